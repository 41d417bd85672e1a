"""`engine.saving`: Keras 3 configs, `.keras` model files and `.weights.h5` weight files."""

from engine.saving.saving_lib import load_model, load_weights, save_model, save_weights
from engine.saving.serialization_lib import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)

__all__ = [
    "CustomObjectScope", "custom_object_scope",
    "deserialize_keras_object", "get_custom_objects", "get_registered_name", "get_registered_object",
    "load_model", "load_weights", "register_keras_serializable", "save_model", "save_weights",
    "serialize_keras_object",
]
