"""`Model`: a layer that can be trained. `Model(inputs, outputs)` builds a functional graph; subclass it
and write `call` for anything else."""

from __future__ import annotations

import numpy as np

from engine.autodiff import no_grad
from engine.layers.layer import Layer, _as_shape_structure, map_shapes
from engine.trainers.trainer import Trainer


class Model(Trainer, Layer):
    """A trainable stack or graph of layers (compile / fit / evaluate / predict come from `Trainer`)."""

    def __new__(cls, *args, **kwargs):
        if _functional_init_arguments(args, kwargs):
            from engine.models.functional import Functional
            if cls is Model:
                return Functional.__new__(Functional)
            _inject_functional_model_class(cls, Functional)
        return super().__new__(cls)

    def __init__(self, *args, trainable: bool = True, name: str | None = None, dtype=None, **kwargs):
        if args or "inputs" in kwargs:
            raise TypeError("Model(inputs, outputs) must be created as a functional model")
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer of the model by name or by position."""
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}.")

    def summary(self, line_length: int | None = None, positions=None, print_fn=None, expand_nested: bool = False,
                show_trainable: bool = False, layer_range=None) -> None:
        """Print the layers, their output shapes and parameter counts, as Keras does."""
        from engine.utils.summary_utils import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      show_trainable=show_trainable)

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """A functional config (with `input_layers`) rebuilds the graph; otherwise the constructor is called."""
        if "input_layers" in config and "output_layers" in config:
            from engine.models.functional import Functional, functional_from_config
            return functional_from_config(Functional if cls is Model else cls, config, custom_objects)
        return cls(**config)

    def layer_output_shapes(self) -> dict[str, object]:
        """Output shape of each layer by name, where known (for summaries and the studio)."""
        return {}

    # -- saving (engine.saving does the work) ----------------------------------------------
    def save(self, filepath, overwrite: bool = True, zipped: bool | None = None, **kwargs) -> None:
        """Write the model to a `.keras` file that real Keras 3 can load."""
        from engine.saving.saving_lib import save_model
        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite: bool = True, max_shard_size=None) -> None:
        """Write the weights (and optimizer state) to a `.weights.h5` file in Keras's layout."""
        from engine.saving.saving_lib import save_weights
        save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch: bool = False, **kwargs) -> None:
        """Read weights from a `.weights.h5` or `.keras` file; on an error nothing changes."""
        from engine.saving.saving_lib import load_weights
        if kwargs:
            raise ValueError(f"Invalid keyword arguments: {kwargs}")
        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs) -> str:
        """The model's architecture (its Keras config) as a JSON string; `models.model_from_json` reads it."""
        import json

        from engine.saving.serialization_lib import serialize_keras_object
        return json.dumps(serialize_keras_object(self), **kwargs)

    def get_compile_config(self) -> dict:
        """The `compile()` arguments in Keras's `compile_config` form ({} if not compiled)."""
        if not self.compiled:
            return {}
        from engine.saving.compile_config import serialize_compile_config
        return serialize_compile_config(self)

    def compile_from_config(self, config: dict, custom_objects: dict | None = None) -> None:
        """Compile as `get_compile_config()` describes, and create the optimizer's variables."""
        from engine.saving.compile_config import deserialize_compile_config
        self.compile(**deserialize_compile_config(config, custom_objects))
        if self.built and self.optimizer is not None:
            self.optimizer.build(self.trainable_variables)

    def build_from_config(self, config: dict) -> None:
        """Create the weights for `get_build_config()`'s input shape: `build` if the model defines one,
        otherwise one call on zeros so that every layer builds."""
        if not config or self.built or config.get("input_shape") is None:
            return
        shape = _as_shape_structure(config["input_shape"])
        if type(self).build is not Layer.build:
            self._build(shape)
            return
        zeros = map_shapes(lambda s: np.zeros([1 if d is None else d for d in s], dtype=self.dtype), shape)
        with no_grad():
            self(zeros, training=False)
        self._build_shapes = shape


def _functional_init_arguments(args, kwargs) -> bool:
    """Keras's test for `Model(inputs, outputs)` (positional or keyword)."""
    return len(args) == 2 or (len(args) == 1 and "outputs" in kwargs) or ("inputs" in kwargs and "outputs" in kwargs)


def _inject_functional_model_class(cls, functional) -> None:
    """`CustomModel(inputs, outputs)` on a `Model` subclass: the subclass (and its Model ancestors) are
    rebased on `Functional`, as Keras does, so its own `train_step`, `call` overrides etc. still apply."""
    from engine.models.sequential import Sequential
    if cls is Model or issubclass(cls, (functional, Sequential)):
        return
    for base in cls.__bases__:
        if isinstance(base, type) and issubclass(base, Model):
            _inject_functional_model_class(base, functional)
    cls.__bases__ = tuple(functional if base is Model else base for base in cls.__bases__)
