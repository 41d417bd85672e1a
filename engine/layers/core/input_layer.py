"""`Input(shape)`: the symbolic entry point of a model, and the `InputLayer` that owns it."""

from __future__ import annotations

from engine import backend
from engine.layers.layer import Layer
from engine.symbolic import KerasTensor, Node


class InputLayer(Layer):
    """Holds a model input's shape; calling it is never needed."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name or backend.unique_name("input_layer"), dtype=dtype, **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        if input_tensor is not None:
            batch_shape = input_tensor.shape
        elif batch_shape is None:
            if shape is None:
                raise ValueError("You must pass a `shape` argument, e.g. Input(shape=(784,)).")
            batch_shape = (batch_size, *backend.standardize_shape(shape))
        self.batch_shape = backend.standardize_shape(batch_shape)
        self.sparse = bool(sparse)
        self.ragged = bool(ragged)
        self.optional = optional
        self.built = True
        self._build_shapes = self.batch_shape
        if input_tensor is None:
            input_tensor = KerasTensor(self.batch_shape, dtype=self.dtype, name=self.name)
        self._inbound_nodes.append(Node(self, (), {}, [input_tensor]))
        input_tensor.keras_history = (self, 0, 0)
        self.output_tensor = input_tensor

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return self.batch_shape

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "sparse": self.sparse,
                "ragged": self.ragged, "name": self.name, "optional": self.optional}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        return cls(**config)


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None, name=None,
          tensor=None, optional=False) -> KerasTensor:
    """A symbolic model input: `Input(shape=(784,))` stands for a batch of 784-feature rows."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, ragged=ragged,
                       batch_shape=batch_shape, input_tensor=tensor, optional=optional, name=name)
    return layer.output_tensor
