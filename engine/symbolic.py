"""Symbolic tensors: shapes flowing through a graph of layer calls, with no values computed.

`engine.Input(shape)` returns a `KerasTensor`. Calling a layer on KerasTensors infers the output
shape (`compute_output_shape`) and records a `Node`: which layer turned which tensors into which.
The functional `Model` reads that record back as its graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine import backend


class KerasTensor:
    """A placeholder with a shape (None for unknown dims) and a dtype."""

    def __init__(self, shape, dtype: str | None = None, name: str | None = None, sparse: bool = False):
        self.shape = backend.standardize_shape(shape)
        self.dtype = dtype or backend.floatx()
        self.name = name
        self.sparse = sparse
        self.keras_history: tuple | None = None  # (layer, node_index, tensor_index)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"A symbolic tensor {self.name or ''} {self.shape} has no value: it only describes the shape "
            "flowing through a model. Call the model on real data to get numbers.")


@dataclass
class Node:
    """One call of a layer on symbolic tensors."""

    layer: Any
    call_args: tuple
    call_kwargs: dict
    outputs: list
    input_tensors: list = field(default_factory=list)

    def __post_init__(self):
        leaves = flatten(self.call_args) + flatten(self.call_kwargs)
        self.input_tensors = [t for t in leaves if isinstance(t, KerasTensor)]

    @property
    def parent_nodes(self) -> list[Node]:
        nodes = []
        for t in self.input_tensors:
            if t.keras_history is not None:
                layer, node_index, _ = t.keras_history
                nodes.append(layer._inbound_nodes[node_index])
        return nodes


def flatten(structure) -> list:
    """The leaves of nested lists, tuples and dicts (dicts in key-insertion order)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def pack_like(structure, leaves: list):
    """Rebuild `structure` with `leaves` in place of its leaves."""
    return _rebuild(structure, iter(leaves))


def _rebuild(structure, leaves):
    # A module-level function, not a closure over itself: such a closure is a reference cycle that would keep
    # every tensor it touched (a whole training step's graph) alive until the garbage collector runs.
    if isinstance(structure, (list, tuple)):
        items = [_rebuild(item, leaves) for item in structure]
        return items if isinstance(structure, list) else tuple(items)
    if isinstance(structure, dict):
        return {k: _rebuild(v, leaves) for k, v in structure.items()}
    return next(leaves)


def map_structure(fn, structure):
    return pack_like(structure, [fn(leaf) for leaf in flatten(structure)])


def any_symbolic(structure) -> bool:
    return any(isinstance(leaf, KerasTensor) for leaf in flatten(structure))


def serialize_constant(value):
    """A constant call argument as Keras writes it in a config: slices, `...`, arrays and tensors tagged."""
    from engine.autodiff import Tensor
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {"start": serialize_constant(value.start),
                                                      "stop": serialize_constant(value.stop),
                                                      "step": serialize_constant(value.step)}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, Tensor):
        return {"class_name": "__tensor__", "config": {"value": value.value.tolist(), "dtype": str(value.dtype)}}
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return value.item()
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [serialize_constant(v) for v in value]
    if isinstance(value, dict):
        return {k: serialize_constant(v) for k, v in value.items()}
    return value


def deserialize_constant(value):
    """The inverse of `serialize_constant` (arrays come back as NumPy arrays, tensors as Tensors)."""
    from engine.autodiff import Tensor
    if isinstance(value, dict):
        kind, config = value.get("class_name"), value.get("config") or {}
        if kind == "__slice__":
            return slice(*(deserialize_constant(config.get(k)) for k in ("start", "stop", "step")))
        if kind == "__ellipsis__":
            return Ellipsis
        if kind in ("__numpy__", "__tensor__"):
            array = np.array(config["value"], dtype=config["dtype"])
            return Tensor(array) if kind == "__tensor__" else array
        return {k: deserialize_constant(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deserialize_constant(v) for v in value]
    return value
