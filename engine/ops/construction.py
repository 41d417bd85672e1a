"""Tensors made from a shape or from a few numbers: grids, ranges, triangles, diagonals and the signal
windows of `keras.ops.numpy`."""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.autodiff import Tensor, make
from engine.ops.core import value_of

__all__ = [
    "bartlett", "blackman", "diag", "diagflat", "empty", "empty_like", "geomspace", "hamming", "hanning", "kaiser",
    "linspace", "logspace", "meshgrid", "saturate_cast", "tri", "vander",
]


def _array(x) -> np.ndarray:
    return np.asarray(value_of(x))


def _floatx(dtype):
    return dtype or backend.floatx()


def empty(shape, dtype=None) -> Tensor:
    return Tensor(np.empty(shape, dtype=_floatx(dtype)))


def empty_like(x, dtype=None) -> Tensor:
    return Tensor(np.empty_like(_array(x), dtype=dtype))


def tri(N: int, M: int | None = None, k: int = 0, dtype=None) -> Tensor:  # noqa: N803 - Keras names
    return Tensor(np.tri(N, M, k, dtype=_floatx(dtype)))


def diag(x, k: int = 0) -> Tensor:
    a = _array(x)
    if a.ndim == 2:
        from engine.ops.arrangement import diagonal
        return diagonal(x, offset=k)
    if a.ndim != 1:
        raise ValueError(f"diag needs a 1-D or 2-D tensor, got shape {a.shape}")
    out = np.diag(a, k)
    return make(out, (x,), lambda g: (np.diagonal(g, k).copy(),))


def diagflat(x, k: int = 0) -> Tensor:
    from engine.ops.array import reshape
    return diag(reshape(x, (-1,)), k)


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False, dtype=None, axis: int = 0):
    values, step = np.linspace(_array(start), _array(stop), num, endpoint=endpoint, retstep=True, axis=axis)
    out = Tensor(values.astype(_floatx(dtype)))
    return (out, Tensor(np.asarray(step, dtype=_floatx(dtype)))) if retstep else out


def logspace(start, stop, num: int = 50, endpoint: bool = True, base=10, dtype=None, axis: int = 0) -> Tensor:
    return Tensor(np.logspace(_array(start), _array(stop), num, endpoint=endpoint, base=base,
                              axis=axis).astype(_floatx(dtype)))


def geomspace(start, stop, num: int = 50, endpoint: bool = True, dtype=None, axis: int = 0) -> Tensor:
    return Tensor(np.geomspace(_array(start), _array(stop), num, endpoint=endpoint, axis=axis).astype(_floatx(dtype)))


def meshgrid(*x, indexing: str = "xy") -> list[Tensor]:
    """Coordinate grids, differentiable in each 1-D input."""
    from engine.ops.array import broadcast_to, reshape
    sizes = [_array(v).size for v in x]
    if indexing == "xy" and len(x) >= 2:
        order = [1, 0] + list(range(2, len(x)))
        shape = [sizes[k] for k in order]
    else:
        order, shape = list(range(len(x))), sizes
    grids = []
    for i, v in enumerate(x):
        view = [1] * len(x)
        view[order.index(i)] = sizes[i]
        grids.append(broadcast_to(reshape(v, tuple(view)), tuple(shape)))
    return grids


def vander(x, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803 - Keras name
    from engine.ops.array import expand_dims
    from engine.ops.math import power
    a = _array(x)
    n = len(a) if N is None else N
    exponents = np.arange(n) if increasing else np.arange(n - 1, -1, -1)
    return power(expand_dims(x, -1), exponents.astype(a.dtype))


def _window(fn, x) -> Tensor:
    return Tensor(fn(int(_array(x))).astype(backend.floatx()))


def bartlett(x) -> Tensor:
    return _window(np.bartlett, x)


def blackman(x) -> Tensor:
    return _window(np.blackman, x)


def hamming(x) -> Tensor:
    return _window(np.hamming, x)


def hanning(x) -> Tensor:
    return _window(np.hanning, x)


def kaiser(x, beta) -> Tensor:
    return Tensor(np.kaiser(int(_array(x)), float(_array(beta))).astype(backend.floatx()))


def saturate_cast(x, dtype) -> Tensor:
    """Cast to `dtype`, first clipping values into its range (no wrap-around)."""
    from engine.ops.core import cast
    a = _array(x)
    target = np.dtype(dtype)
    if target.kind in "iu" and a.dtype.kind in "fiu":
        info = np.iinfo(target)
        clipped = np.clip(np.nan_to_num(a.astype(np.float64)), float(info.min), float(info.max))
        if target.itemsize == 8:  # 2**63 - 1 is not a float64: stay just below it
            clipped = np.clip(clipped, float(info.min), np.nextafter(float(info.max), 0.0))
        return Tensor(clipped.astype(target))
    return cast(x, target)
