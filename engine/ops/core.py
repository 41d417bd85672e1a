"""Creating and converting tensors."""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.autodiff import Tensor, make

# The ops (`value_of` and `as_array` are helpers for the other op modules).
__all__ = [
    "convert_to_tensor", "convert_to_numpy", "is_tensor", "shape", "dtype", "cast", "stop_gradient",
    "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "arange", "eye", "one_hot",
]


def value_of(x):
    """The ndarray (or Python scalar) behind `x`."""
    return x.value if isinstance(x, Tensor) else x


def as_array(x):
    """The ndarray behind `x`; Python scalars stay scalars (so NumPy keeps float32 arrays float32)."""
    if isinstance(x, Tensor):
        return x.value
    if isinstance(x, (int, float, bool, np.ndarray, np.generic)):
        return x
    return np.asarray(x)


def convert_to_tensor(x, dtype=None) -> Tensor:
    """A Tensor holding `x`; Python floats and float64 lists become float32 like Keras."""
    if isinstance(x, Tensor):
        if dtype is not None and np.dtype(dtype) != x.dtype:
            return cast(x, dtype)
        return x
    if dtype is None and not isinstance(x, np.ndarray):
        arr = np.asarray(x)
        if arr.dtype == np.float64:
            arr = arr.astype(backend.floatx())
        return Tensor(arr)
    return Tensor(np.asarray(x, dtype=dtype))


def convert_to_numpy(x) -> np.ndarray:
    return np.asarray(value_of(x))


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def shape(x) -> tuple:
    return tuple(np.shape(value_of(x)))


def dtype(x) -> str:
    return str(np.asarray(value_of(x)).dtype)


def cast(x, dtype) -> Tensor:
    x_value = np.asarray(value_of(x))
    out = x_value.astype(dtype)
    if not np.issubdtype(out.dtype, np.floating):
        return Tensor(out)
    return make(out, (x,), lambda g: (g.astype(x_value.dtype),))


def stop_gradient(x) -> Tensor:
    return Tensor(value_of(x))


def _floatx(dtype):
    return dtype or backend.floatx()


def zeros(shape, dtype=None) -> Tensor:
    return Tensor(np.zeros(shape, dtype=_floatx(dtype)))


def ones(shape, dtype=None) -> Tensor:
    return Tensor(np.ones(shape, dtype=_floatx(dtype)))


def full(shape, fill_value, dtype=None) -> Tensor:
    return Tensor(np.full(shape, value_of(fill_value), dtype=_floatx(dtype)))


def zeros_like(x, dtype=None) -> Tensor:
    return Tensor(np.zeros_like(value_of(x), dtype=dtype))


def ones_like(x, dtype=None) -> Tensor:
    return Tensor(np.ones_like(value_of(x), dtype=dtype))


def full_like(x, fill_value, dtype=None) -> Tensor:
    return Tensor(np.full_like(value_of(x), value_of(fill_value), dtype=dtype))


def arange(start, stop=None, step=1, dtype=None) -> Tensor:
    if stop is None:
        start, stop = 0, start
    return Tensor(np.arange(start, stop, step, dtype=dtype))


def eye(n, m=None, dtype=None) -> Tensor:
    return Tensor(np.eye(n, m, dtype=_floatx(dtype)))


def one_hot(x, num_classes: int, axis: int = -1, dtype=None) -> Tensor:
    labels = np.asarray(value_of(x)).astype(np.int64)
    out = np.eye(num_classes, dtype=_floatx(dtype))[labels]
    if axis != -1:
        out = np.moveaxis(out, -1, axis)
    return Tensor(out)
