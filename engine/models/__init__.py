"""`engine.models`: `Model`, `Sequential`, functional models, and rebuilding them from configs."""

from engine.models.functional import Functional
from engine.models.model import Model
from engine.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_config", "model_from_json",
           "save_model"]


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True):
    """A model from a `.keras` file (see `engine.saving.load_model`)."""
    from engine.saving.saving_lib import load_model as load
    return load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite: bool = True, **kwargs) -> None:
    """Write `model` to a `.keras` file (see `engine.saving.save_model`)."""
    from engine.saving.saving_lib import save_model as save
    save(model, filepath, overwrite=overwrite, **kwargs)


def model_from_config(config: dict, custom_objects: dict | None = None):
    """A new, unbuilt-weights model from `{"class_name": ..., "config": ...}`."""
    from engine.saving.serialization_lib import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects=custom_objects)


def model_from_json(json_string: str, custom_objects: dict | None = None):
    """A new model from `model.to_json()` (architecture only; weights are freshly initialized)."""
    import json

    from engine.saving.serialization_lib import custom_object_scope, deserialize_keras_object
    try:
        config = json.loads(json_string)
    except json.JSONDecodeError as err:
        raise ValueError(f"model_from_json: not valid JSON ({err})") from err
    with custom_object_scope(custom_objects or {}):
        return deserialize_keras_object(config, custom_objects=custom_objects)


def clone_model(model, custom_objects: dict | None = None):
    """The same architecture with freshly initialized weights."""
    from engine.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
    return deserialize_keras_object(serialize_keras_object(model), custom_objects=custom_objects)
