"""`engine.models`: `Model`, `Sequential`, functional models, and rebuilding them from configs."""

from engine.models.functional import Functional
from engine.models.model import Model
from engine.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "clone_model", "model_from_config"]


def model_from_config(config: dict, custom_objects: dict | None = None):
    """A new, unbuilt-weights model from `{"class_name": ..., "config": ...}`."""
    from engine.saving.serialization_lib import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects=custom_objects)


def clone_model(model, custom_objects: dict | None = None):
    """The same architecture with freshly initialized weights."""
    from engine.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
    return deserialize_keras_object(serialize_keras_object(model), custom_objects=custom_objects)
