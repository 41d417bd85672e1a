"""Keras's `{"module", "class_name", "config", "registered_name"}` form, and looking objects up by name."""

from __future__ import annotations

import difflib


def serialize_object(obj, module: str) -> dict | str | None:
    """An object as Keras 3 writes it in a config; plain functions by their name."""
    if obj is None:
        return None
    if hasattr(obj, "get_config"):
        return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
                "registered_name": None}
    return getattr(obj, "__name__", str(obj))


def lookup(identifier, registry: dict, kind: str, instantiate: bool = True):
    """Resolve a name, a config dict, a class or an instance against `registry` (name -> class/function)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        config = identifier.get("config") or {}
        target = registry.get(name)
        if target is None:
            raise ValueError(unknown_message(name, registry, kind))
        return target.from_config(config) if hasattr(target, "from_config") else target
    if isinstance(identifier, str):
        target = registry.get(identifier)
        if target is None:
            raise ValueError(unknown_message(identifier, registry, kind))
        return target() if instantiate and isinstance(target, type) else target
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")


def unknown_message(name, registry: dict, kind: str) -> str:
    close = difflib.get_close_matches(str(name), list(registry), n=3)
    hint = f" Did you mean: {', '.join(repr(c) for c in close)}?" if close else ""
    known = ", ".join(sorted(k for k in registry if k.islower() or "_" in k)) or ", ".join(sorted(registry))
    return f"Unknown {kind}: {name!r}.{hint} Known {kind}s: {known}."
