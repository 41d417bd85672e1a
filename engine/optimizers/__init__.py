"""Optimizers with the Keras 3 API: `engine.optimizers.Adam(...)`, `get("adam")`, `serialize`, `deserialize`."""

from __future__ import annotations

import difflib

from engine.optimizers import schedules
from engine.optimizers.adadelta import Adadelta
from engine.optimizers.adagrad import Adagrad
from engine.optimizers.adam import Adam
from engine.optimizers.adamax import Adamax
from engine.optimizers.adamw import AdamW
from engine.optimizers.base import Optimizer
from engine.optimizers.lion import Lion
from engine.optimizers.nadam import Nadam
from engine.optimizers.rmsprop import RMSprop
from engine.optimizers.sgd import SGD

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion",
           "schedules", "get", "serialize", "deserialize"]

# Keras resolves names case-insensitively against the lowercased class names ("rmsprop", "adamw").
ALL_OBJECTS_DICT: dict[str, type[Optimizer]] = {
    cls.__name__.lower(): cls for cls in (Adadelta, Adagrad, Adam, Adamax, AdamW, Lion, Nadam, RMSprop, SGD)}


def serialize(optimizer: Optimizer) -> dict:
    """The optimizer as Keras 3 writes it in a config: `{"module", "class_name", "config", "registered_name"}`."""
    cls = type(optimizer)
    builtin = ALL_OBJECTS_DICT.get(cls.__name__.lower()) is cls
    return {"module": "keras.optimizers" if builtin else cls.__module__, "class_name": cls.__name__,
            "config": optimizer.get_config(), "registered_name": None if builtin else cls.__name__}


def _unknown(name) -> ValueError:
    close = difflib.get_close_matches(str(name).lower(), list(ALL_OBJECTS_DICT), n=2)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(f"Could not interpret optimizer identifier: {name!r}.{hint} "
                      f"Known optimizers: {', '.join(sorted(ALL_OBJECTS_DICT))}.")


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """An optimizer from `serialize()`'s output; built-in class names match case-insensitively."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret optimizer config: {config!r}; expected a dict with a 'class_name'")
    name = config["class_name"]
    custom_objects = custom_objects or {}
    cls = custom_objects.get(name) or custom_objects.get(config.get("registered_name") or "")
    if cls is None:
        cls = ALL_OBJECTS_DICT.get(str(name).lower())
    if cls is None:
        raise _unknown(name)
    inner = dict(config.get("config") or {})
    return cls.from_config(inner, custom_objects=custom_objects) if custom_objects else cls.from_config(inner)


def get(identifier) -> Optimizer | None:
    """An optimizer from a name ("adam"), a config dict or an instance (returned unchanged)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, Optimizer):
        return identifier
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
