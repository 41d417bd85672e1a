"""`engine.saving`: configs of layers and models (and, later, `.keras` files)."""

from engine.saving.serialization_lib import (
    deserialize_keras_object,
    register_keras_serializable,
    serialize_keras_object,
)

__all__ = ["deserialize_keras_object", "register_keras_serializable", "serialize_keras_object"]
