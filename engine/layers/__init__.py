"""`engine.layers`: every layer class, by its Keras name, plus `serialize` / `deserialize`."""

from engine.layers.core.activation import Activation
from engine.layers.core.dense import Dense
from engine.layers.core.input_layer import Input, InputLayer
from engine.layers.input_spec import InputSpec
from engine.layers.layer import Layer
from engine.layers.regularization.dropout import Dropout
from engine.layers.reshaping.flatten import Flatten
from engine.layers.reshaping.reshape import Reshape

__all__ = [
    "Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "InputSpec", "Layer", "Reshape",
    "serialize", "deserialize",
]


def serialize(layer) -> dict:
    from engine.saving.serialization_lib import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config: dict, custom_objects: dict | None = None):
    from engine.saving.serialization_lib import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects=custom_objects)
