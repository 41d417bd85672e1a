"""Objects to and from Keras 3's config dicts (losses, metrics, initializers, ...), and resolving names.

Keras writes a class as `{"module", "class_name", "config", "registered_name"}` and a function as
`{"module": "builtins", "class_name": "function", "config": <name>, "registered_name": "function"}`.
Reading looks names up in a table (and `custom_objects`): nothing in a config can run code.
"""

from __future__ import annotations

import difflib
import inspect

# Classes Keras does not export publicly, so it writes their private module path.
_PRIVATE_MODULES = {"LossFunctionWrapper": "keras.src.losses.losses"}


def serialize_object(obj, module: str):
    """`obj` (an instance with `get_config`, or a function) as Keras 3 writes it."""
    if obj is None:
        return None
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        registered = getattr(obj, "_registered_name", None)  # `@register_keras_serializable()` functions
        if registered is not None:
            return {"module": "builtins", "class_name": "function", "config": registered,
                    "registered_name": "function"}
        return {"module": "builtins", "class_name": "function", "config": obj.__name__,
                "registered_name": "function"}
    cls = type(obj)
    if cls.__module__.startswith("engine."):
        module_name = _PRIVATE_MODULES.get(cls.__name__, module)
        registered = cls.__name__ if cls.__name__ in _PRIVATE_MODULES else None
    else:
        module_name = cls.__module__
        registered = getattr(cls, "_registered_name", cls.__name__)
    return {"module": module_name, "class_name": cls.__name__, "config": obj.get_config(),
            "registered_name": registered}


def unknown_identifier(name, table: dict, kind: str) -> ValueError:
    """A ValueError naming the unknown identifier, close matches, and the known names."""
    close = difflib.get_close_matches(str(name), list(table), n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    known = ", ".join(sorted(k for k in table if k == k.lower()))
    return ValueError(f"Could not interpret {kind} identifier: {name!r}.{hint} "
                      f"Known {kind} names: {known} (or their class names).")


def deserialize_object(config, table: dict, kind: str, custom_objects: dict | None = None):
    """The object (class instance or function) a name or config dict describes; names are looked up in
    `custom_objects`, an open `custom_object_scope`, the registered objects, then `table`."""
    from engine.saving.serialization_lib import registered_and_scoped_objects
    custom = {**registered_and_scoped_objects(), **(custom_objects or {})}
    if isinstance(config, str):
        found = custom.get(config, table.get(config))
        if found is None:
            raise unknown_identifier(config, table, kind)
        return found
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret {kind} config: expected a name or a dict with 'class_name', "
                         f"received {config!r:.200}")
    class_name = config["class_name"]
    inner = config.get("config", {})
    if class_name == "function":
        name = inner if isinstance(inner, str) else config.get("registered_name")
        found = custom.get(name, table.get(name))
        if found is None:
            raise unknown_identifier(name, table, kind)
        return found
    registered = config.get("registered_name")
    cls = custom.get(registered) or custom.get(class_name) or table.get(class_name)
    if cls is None:
        raise unknown_identifier(class_name, table, kind)
    if not inspect.isclass(cls):
        return cls
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(inner or {}, custom_objects=custom_objects)
    return cls.from_config(inner or {})


def get_object(identifier, table: dict, kind: str):
    """Keras's `get`: None, a name, a config dict, a class (instantiated) or a callable (passed through)."""
    if identifier is None:
        return None
    if isinstance(identifier, (dict, str)):
        obj = deserialize_object(identifier, table, kind)
    else:
        obj = identifier
    if inspect.isclass(obj):
        return obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")
