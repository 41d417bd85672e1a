"""Which function turns which layer class into ONNX nodes, and the error for the layers none can.

A converter is `convert(graph, layer, *args, **kwargs)`: it receives the layer's call arguments with
`Value`s in place of tensors and returns what the layer returns, with `Value`s. Lookup is by exact
class: a subclass may override `call`, so it is not assumed to compute what its parent computes.
"""

from __future__ import annotations

from collections.abc import Callable

_CONVERTERS: dict[type, Callable] = {}
_REFUSALS: dict[type, str] = {}


class ONNXExportError(ValueError):
    """A model or layer that cannot be written as ONNX (raised before anything is written)."""


def unsupported(layer, reason: str) -> ONNXExportError:
    """The error for `layer`, naming it and its class."""
    return ONNXExportError(f"Cannot export layer '{layer.name}' ({type(layer).__name__}) to ONNX: {reason}")


def converts(*classes: type):
    """Decorator: register the function as the converter of `classes`."""
    def register(function: Callable) -> Callable:
        for cls in classes:
            _CONVERTERS[cls] = function
        return function
    return register


def refuses(cls: type, reason: str) -> None:
    """Record why `cls` has no converter, so the export error says it plainly."""
    _REFUSALS[cls] = reason


def refusal_for(layer) -> str | None:
    _load_converters()
    return _REFUSALS.get(type(layer))


def converter_for(layer) -> Callable | None:
    _load_converters()
    return _CONVERTERS.get(type(layer))


def supported_classes() -> list[str]:
    _load_converters()
    return sorted({cls.__name__ for cls in _CONVERTERS})


def _load_converters() -> None:
    """Import the converter modules (each registers its layer family when imported)."""
    from engine.export import layers  # noqa: F401
