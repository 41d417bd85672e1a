"""Variables: the weights of layers and the state of optimizers and metrics."""

from __future__ import annotations

import contextlib
import math
import threading

import numpy as np

from engine import backend
from engine.autodiff import Tensor

_budget = threading.local()


@contextlib.contextmanager
def variable_budget(max_bytes: int, source: str):
    """Within this block, variables created beyond `max_bytes` in all are refused before allocation
    (a model rebuilt from a file's config cannot make us allocate more than the caller allows)."""
    previous = getattr(_budget, "state", None)
    _budget.state = [max_bytes, 0, source]
    try:
        yield
    finally:
        _budget.state = previous


@contextlib.contextmanager
def shapes_only():
    """Within this block, new variables have their shape and dtype but hold no memory: each is a read-only view
    of a single zero (NumPy broadcasting), and no initializer runs. Building a layer here tells its output shape,
    weight shapes and `count_params()` at once, however large it is. Such a layer is for looking at, not for
    training or predicting."""
    previous = getattr(_budget, "shapes_only", False)
    _budget.shapes_only = True
    try:
        yield
    finally:
        _budget.shapes_only = previous


def _reserve(name: str, shape, dtype) -> None:
    state = getattr(_budget, "state", None)
    if state is None or shape is None:
        return
    nbytes = math.prod(int(d) for d in shape) * np.dtype(dtype).itemsize
    limit, used, source = state
    if used + nbytes > limit:
        raise ValueError(f"{source}: weight '{name}' of shape {tuple(shape)} ({describe_size(nbytes)}) would take "
                         f"the model's weights past the limit of {describe_size(limit)}; refusing to allocate it.")
    state[1] = used + nbytes


def describe_size(nbytes: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit} ({nbytes} bytes)"
    return f"{nbytes} bytes"


class Variable(Tensor):
    """A named, assignable tensor. Trainable variables receive gradients."""

    __slots__ = ("name", "path", "trainable", "regularizer", "constraint")

    def __init__(self, initializer, shape=None, dtype=None, trainable: bool = True, name: str = "variable"):
        dtype = dtype or backend.floatx()
        if callable(initializer) and shape is not None and getattr(_budget, "shapes_only", False):
            value = np.broadcast_to(np.zeros((), dtype=dtype), tuple(int(d) for d in shape))  # no memory
        elif callable(initializer):
            _reserve(name, shape, dtype)
            # always our own copy, in C order: the optimizers update it through a flat view
            value = np.array(initializer(tuple(shape), dtype=dtype), dtype=dtype, order="C")
        else:
            value = np.array(initializer, dtype=dtype, order="C")
        if shape is not None and value.shape != tuple(shape):
            raise ValueError(f"Variable {name!r}: initial value has shape {value.shape}, expected {tuple(shape)}")
        super().__init__(value, requires_grad=trainable)
        self.name = name
        self.path = name
        self.trainable = trainable
        self.regularizer = None  # a callable giving a penalty to add to the loss
        self.constraint = None  # a callable applied to the value after each optimizer update

    def assign(self, value) -> None:
        """Replace the value in place (shape must match)."""
        value = np.asarray(value.value if isinstance(value, Tensor) else value)
        if value.shape != self.value.shape:
            raise ValueError(
                f"Variable {self.path!r} has shape {self.value.shape}; cannot assign a value of shape {value.shape}"
            )
        self.value[...] = value

    def assign_add(self, value) -> None:
        self.value += np.asarray(value.value if isinstance(value, Tensor) else value, dtype=self.value.dtype)

    def assign_sub(self, value) -> None:
        self.value -= np.asarray(value.value if isinstance(value, Tensor) else value, dtype=self.value.dtype)

    def __setattr__(self, key, value):
        if key == "trainable" and hasattr(self, "value"):
            object.__setattr__(self, "requires_grad", bool(value))
        object.__setattr__(self, key, value)

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>\n{self.value!r}"
