"""Objects to and from Keras 3's config dicts. Only registered classes are built: nothing executes code."""

from __future__ import annotations

import inspect

_CUSTOM_OBJECTS: dict[str, type] = {}


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Decorator making a custom class loadable by name (`"package>Name"` or plain `Name`)."""
    def decorate(cls):
        key = f"{package}>{name or cls.__name__}"
        _CUSTOM_OBJECTS[key] = cls
        _CUSTOM_OBJECTS[name or cls.__name__] = cls
        cls._registered_name = key
        return cls
    return decorate


def get_registered_name(obj) -> str:
    cls = obj if inspect.isclass(obj) else type(obj)
    return getattr(cls, "_registered_name", cls.__name__)


def _module_of(obj) -> str:
    from engine.layers.layer import Layer
    from engine.models.model import Model
    if isinstance(obj, Model):
        return "keras" if type(obj).__name__ in ("Sequential", "Functional", "Model") else "builtins"
    if isinstance(obj, Layer):
        return "keras.layers"
    return "builtins"


def serialize_keras_object(obj) -> dict:
    """`{"module", "class_name", "config", "registered_name", "build_config"}` as Keras writes a layer."""
    config = {
        "module": _module_of(obj),
        "class_name": type(obj).__name__,
        "config": obj.get_config(),
        "registered_name": getattr(type(obj), "_registered_name", None),
    }
    build_config = obj.get_build_config() if hasattr(obj, "get_build_config") else None
    if build_config is not None:
        config["build_config"] = build_config
    return config


def builtin_classes() -> dict[str, type]:
    """The classes a config may name: every engine layer and model."""
    from engine import layers, models
    classes = {name: getattr(layers, name) for name in dir(layers)
               if inspect.isclass(getattr(layers, name))}
    classes.update({"Sequential": models.Sequential, "Functional": models.Functional, "Model": models.Model})
    return classes


def deserialize_keras_object(config: dict, custom_objects: dict | None = None):
    """Build the object a config describes, then build its weights from `build_config`."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Not a Keras object config (expected a dict with 'class_name'): {config!r:.200}")
    class_name = config["class_name"]
    registered = config.get("registered_name")
    custom = {**_CUSTOM_OBJECTS, **(custom_objects or {})}
    cls = custom.get(registered) or custom.get(class_name) or builtin_classes().get(class_name)
    if cls is None:
        raise ValueError(
            f"Unknown layer class '{class_name}'. If it is a custom layer, pass it in `custom_objects` "
            "or decorate it with `@engine.saving.register_keras_serializable()`.")
    inner = config.get("config", {})
    if hasattr(cls, "from_config"):
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            obj = cls.from_config(inner, custom_objects=custom_objects)
        else:
            obj = cls.from_config(inner)
    else:
        obj = cls(**inner)
    build_config = config.get("build_config")
    if build_config and hasattr(obj, "build_from_config"):
        obj.build_from_config(build_config)
    return obj
