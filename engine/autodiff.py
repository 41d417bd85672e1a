"""Reverse-mode automatic differentiation over NumPy arrays.

A `Tensor` wraps an ndarray. Every op in `engine.ops` that receives a tensor which requires a
gradient records itself on its output: the parent tensors and a vector-Jacobian product (vjp),
a function from the output's gradient to one gradient per parent. `gradients(loss, sources)`
walks that record backwards. Under `no_grad()` (as in `predict`) nothing is recorded.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Sequence

import numpy as np

_state = threading.local()


def grad_enabled() -> bool:
    return getattr(_state, "enabled", True)


@contextlib.contextmanager
def no_grad():
    """Within this block ops record nothing: inference runs at the speed of plain NumPy."""
    previous = grad_enabled()
    _state.enabled = False
    try:
        yield
    finally:
        _state.enabled = previous


class Tensor:
    """An ndarray that remembers how it was computed, so gradients can flow back through it."""

    __slots__ = ("value", "parents", "vjp", "requires_grad", "_keras_logits", "_keras_mask", "__weakref__")
    __array_priority__ = 100.0

    def __init__(self, value, parents: Sequence[Tensor] = (), vjp: Callable | None = None,
                 requires_grad: bool = False):
        self.value = value if isinstance(value, np.ndarray) else np.asarray(value)
        self.parents = parents
        self.vjp = vjp
        self.requires_grad = requires_grad
        self._keras_logits = None
        self._keras_mask = None  # a boolean array (batch, time) marking usable timesteps, as in Keras

    # -- array protocol ---------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    def numpy(self) -> np.ndarray:
        return self.value

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.value.dtype:
            return self.value.astype(dtype)
        return self.value.copy() if copy else self.value

    def __len__(self) -> int:
        return len(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def item(self):
        return self.value.item()

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"<Tensor shape={self.shape} dtype={self.dtype}>\n{self.value!r}"

    __hash__ = object.__hash__

    # -- operators are defined in engine.ops.math (they need the ops) -----------------------


def make(value, parents: Sequence, vjp: Callable) -> Tensor:
    """Wrap `value` as the output of an op; record the op only if a parent needs a gradient."""
    if grad_enabled():
        for p in parents:
            if isinstance(p, Tensor) and p.requires_grad:
                return Tensor(value, tuple(parents), vjp, True)
    return Tensor(value)


def needs_grad(x) -> bool:
    return isinstance(x, Tensor) and x.requires_grad


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` back down to `shape`, undoing NumPy broadcasting."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _topological_order(root: Tensor) -> list[Tensor]:
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent in node.parents:
            if isinstance(parent, Tensor) and parent.requires_grad and id(parent) not in seen:
                stack.append((parent, False))
    return order


def gradients(target: Tensor, sources: Iterable[Tensor], output_gradient=None) -> list:
    """d(sum of target * output_gradient)/d(source) for each source (None where unconnected)."""
    sources = list(sources)
    if not isinstance(target, Tensor) or not target.requires_grad:
        return [None] * len(sources)
    if output_gradient is None:
        output_gradient = np.ones_like(target.value)
    grads: dict[int, np.ndarray] = {id(target): np.asarray(output_gradient, dtype=target.dtype)}
    wanted = {id(s) for s in sources}
    for node in reversed(_topological_order(target)):
        g = grads.get(id(node))
        if g is None or node.vjp is None:
            continue
        if id(node) not in wanted:
            del grads[id(node)]  # an intermediate's gradient is not needed again
        for parent, pg in zip(node.parents, node.vjp(g)):
            if pg is None or not isinstance(parent, Tensor) or not parent.requires_grad:
                continue
            key = id(parent)
            if key in grads:
                grads[key] = grads[key] + pg
            else:
                grads[key] = pg
    return [grads.get(id(s)) for s in sources]
