"""`Sequential`: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from engine.layers.core.input_layer import InputLayer
from engine.layers.layer import Layer, _as_shape_structure
from engine.models.model import Model
from engine.symbolic import KerasTensor


class Sequential(Model):
    """Layers from a list or `add()`; built from an `Input` or lazily on the first batch it sees."""

    def __new__(cls, *args, **kwargs):  # never functional, whatever its arguments
        return object.__new__(cls)

    def __init__(self, layers=None, trainable: bool = True, name: str | None = None):
        Model.__init__(self, trainable=trainable, name=name)
        self._output_shapes: dict[str, object] = {}
        self._build_input_shape = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def add(self, layer, rebuild: bool = True) -> None:
        """Append a layer (or an `Input`) to the stack."""
        if isinstance(layer, KerasTensor):
            origin = layer.keras_history[0] if layer.keras_history else None
            if not isinstance(origin, InputLayer):
                raise ValueError("Only `Input` tensors may be added to a Sequential model; "
                                 f"received a tensor from layer '{getattr(origin, 'name', '?')}'")
            layer = origin
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `Layer` can be added to a Sequential model. Received: {layer!r} "
                             f"(of type {type(layer).__name__})")
        if isinstance(layer, InputLayer) and self._layers:
            raise ValueError("Sequential model: an Input may only be the first layer; "
                             f"the model already has {[x.name for x in self._layers]}.")
        if not self._layers and not isinstance(layer, InputLayer) and hasattr(layer, "_input_shape_arg"):
            self._layers.append(InputLayer(shape=layer._input_shape_arg))
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(f"All layers added to a Sequential model should have unique names. Name "
                             f"'{layer.name}' is already the name of a layer in this model. Update the `name` "
                             "argument to pass a unique name.")
        self._layers.append(layer)
        self.built = False
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild: bool = True) -> Layer:
        layer = self._layers.pop()
        self.built = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self) -> None:
        if self._layers and isinstance(self._layers[0], InputLayer) and len(self._layers) > 1:
            self.build(self._layers[0].batch_shape)

    @property
    def layers(self) -> list[Layer]:
        """The layers, without the `InputLayer`."""
        return [layer for layer in self._layers if not isinstance(layer, InputLayer)]

    def build(self, input_shape=None) -> None:
        """Build every layer by passing the shape down the stack."""
        if input_shape is None:
            if self._layers and isinstance(self._layers[0], InputLayer):
                input_shape = self._layers[0].batch_shape
            else:
                raise ValueError("You must provide an `input_shape` argument to build a Sequential model.")
        input_shape = _as_shape_structure(input_shape)
        if not self.layers:
            raise ValueError(f"Sequential model '{self.name}' has no layers to build.")
        first = self._layers[0]
        if isinstance(first, InputLayer) and tuple(first.batch_shape) == tuple(input_shape):
            x = first.output_tensor
        else:
            x = KerasTensor(input_shape, name="input")
        inputs = x
        shapes = {}
        for layer in self.layers:
            try:
                x = layer(x)  # a symbolic call: builds the layer, infers the shape, records the graph
            except ValueError as err:
                message = str(err)
                if layer.name not in message:
                    message = f"Layer '{layer.name}' ({type(layer).__name__}) with input shape {x.shape}: {message}"
                raise ValueError(message) from err
            shapes[layer.name] = x.shape if isinstance(x, KerasTensor) else [t.shape for t in x]
        self.inputs, self.outputs = [inputs], [x]
        self._output_shapes = shapes
        self._build_input_shape = input_shape
        self._build_shapes = input_shape
        self.built = True

    def call(self, inputs, training=None):
        x = inputs
        for layer in self.layers:
            x = layer(x, training=training)
        return x

    def __call__(self, *args, **kwargs):
        if args and not self.built and not isinstance(args[0], KerasTensor):
            shape = getattr(args[0], "shape", None)
            if shape is not None:
                self.build((None, *tuple(shape)[1:]))
        return super().__call__(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        shape = _as_shape_structure(input_shape)
        for layer in self.layers:
            shape = _as_shape_structure(layer.compute_output_shape(shape))
        return shape

    @property
    def input_shape(self):
        return self._build_input_shape

    @property
    def output_shape(self):
        if not self._output_shapes:
            raise AttributeError(f"Sequential model '{self.name}' has not been built yet.")
        return list(self._output_shapes.values())[-1]

    def layer_output_shapes(self) -> dict[str, object]:
        return dict(self._output_shapes)

    def get_config(self) -> dict:
        from engine.saving.serialization_lib import serialize_keras_object
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": self.dtype},
                            "registered_name": None},
                  "layers": [serialize_keras_object(layer) for layer in self._layers]}
        if self._build_input_shape is not None:
            config["build_input_shape"] = list(self._build_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        from engine.saving.serialization_lib import deserialize_keras_object
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config.get("layers", []):
            model.add(deserialize_keras_object(layer_config, custom_objects=custom_objects), rebuild=False)
        starts_with_input = bool(model._layers) and isinstance(model._layers[0], InputLayer)
        if not starts_with_input and config.get("build_input_shape") is not None:
            model.build(config["build_input_shape"])
        else:  # the InputLayer's shape wins, as in Keras: layers built for another shape refuse it
            model._maybe_rebuild()
        return model

    def get_build_config(self):
        return None
