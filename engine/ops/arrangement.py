"""Shape-changing and selecting ops of `keras.ops.numpy` beyond the basics in `array.py`: triangles and
diagonals, rolling and rotating, stacking and splitting variants, gathering along an axis, selecting."""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.autodiff import Tensor, make, unbroadcast
from engine.ops.array import concatenate, flip, get_item, reshape, split
from engine.ops.core import value_of

__all__ = [
    "append", "array_split", "copy", "diagonal", "diff", "dsplit", "dstack", "fliplr", "flipud", "hsplit", "hstack",
    "identity", "isin", "ndim", "nonzero", "ravel", "roll", "rot90", "select", "take_along_axis", "trace", "tril",
    "triu", "unravel_index", "view", "vsplit", "vstack",
]


def _array(x) -> np.ndarray:
    return np.asarray(value_of(x))


def _masked(x, mask: np.ndarray) -> Tensor:
    a = _array(x)
    return make(np.where(mask, a, np.zeros((), a.dtype)), (x,), lambda g: (np.where(mask, g, 0).astype(g.dtype),))


def _triangle(a: np.ndarray, k: int, lower: bool) -> np.ndarray:
    rows, cols = a.shape[-2:]
    tri = np.tri(rows, cols, k, dtype=bool)
    return tri if lower else ~np.tri(rows, cols, k - 1, dtype=bool)


def tril(x, k: int = 0) -> Tensor:
    return _masked(x, _triangle(_array(x), k, lower=True))


def triu(x, k: int = 0) -> Tensor:
    return _masked(x, _triangle(_array(x), k, lower=False))


def diagonal(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    a = _array(x)
    out = np.diagonal(a, offset, axis1, axis2).copy()

    def vjp(g):
        grad = np.zeros(a.shape, dtype=g.dtype)
        view = np.moveaxis(grad, (axis1, axis2), (-2, -1))
        n = out.shape[-1]
        rows = np.arange(n) + max(-offset, 0)
        cols = np.arange(n) + max(offset, 0)
        view[..., rows, cols] = g
        return (grad,)

    return make(out, (x,), vjp)


def trace(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    from engine.ops.math import sum as reduce_sum
    return reduce_sum(diagonal(x, offset, axis1, axis2), axis=-1)


def roll(x, shift, axis=None) -> Tensor:
    a = _array(x)
    negated = -np.asarray(shift) if np.ndim(shift) else -shift
    return make(np.roll(a, shift, axis), (x,), lambda g: (np.roll(g, negated, axis),))


def rot90(array, k: int = 1, axes=(0, 1)) -> Tensor:
    a = _array(array)
    return make(np.rot90(a, k, axes), (array,), lambda g: (np.rot90(g, -k, axes),))


def fliplr(x) -> Tensor:
    return flip(x, 1)


def flipud(x) -> Tensor:
    return flip(x, 0)


def _at_least(xs, rank: int) -> list:
    out = []
    for x in xs:
        a = _array(x)
        if a.ndim >= rank:
            out.append(x)
        elif rank == 2:
            out.append(reshape(x, (1, -1) if a.ndim == 1 else (1, 1)))
        else:
            out.append(reshape(x, {0: (1, 1, 1), 1: (1, -1, 1), 2: a.shape + (1,)}[a.ndim]))
    return out


def hstack(xs) -> Tensor:
    return concatenate(xs, axis=0 if _array(xs[0]).ndim <= 1 else 1)


def vstack(xs) -> Tensor:
    return concatenate(_at_least(xs, 2), axis=0)


def dstack(xs) -> Tensor:
    return concatenate(_at_least(xs, 3), axis=2)


def array_split(x, indices_or_sections, axis: int = 0) -> list[Tensor]:
    a = _array(x)
    if isinstance(indices_or_sections, int):
        n, sections = a.shape[axis], indices_or_sections
        sizes = [n // sections + (1 if i < n % sections else 0) for i in range(sections)]
        indices_or_sections = list(np.cumsum(sizes)[:-1])
    return split(x, indices_or_sections, axis=axis)


def hsplit(x, indices_or_sections) -> list[Tensor]:
    return split(x, indices_or_sections, axis=0 if _array(x).ndim == 1 else 1)


def vsplit(x, indices_or_sections) -> list[Tensor]:
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections) -> list[Tensor]:
    return split(x, indices_or_sections, axis=2)


def append(x1, x2, axis=None) -> Tensor:
    if axis is None:
        return concatenate([ravel(x1), ravel(x2)], axis=0)
    return concatenate([x1, x2], axis=axis)


def ravel(x) -> Tensor:
    return reshape(x, (-1,))


def copy(x) -> Tensor:
    a = _array(x)
    return make(a.copy(), (x,), lambda g: (g,))


def identity(n: int, dtype=None) -> Tensor:
    return Tensor(np.identity(n, dtype=dtype or backend.floatx()))


def ndim(x) -> int:
    return int(np.ndim(value_of(x)))


def view(x, dtype=None) -> Tensor:
    a = _array(x)
    return Tensor(a.view(dtype) if dtype is not None else a)


def diff(a, n: int = 1, axis: int = -1) -> Tensor:
    from engine.ops.math import subtract
    x = a
    for _ in range(n):
        length = _array(x).shape[axis]
        x = subtract(_slice(x, 1, length, axis), _slice(x, 0, length - 1, axis))
    return x


def _slice(x, start: int, stop: int, axis: int) -> Tensor:
    index = [slice(None)] * _array(x).ndim
    index[axis] = slice(start, stop)
    return get_item(x, tuple(index))


def take_along_axis(x, indices, axis=None) -> Tensor:
    source = _array(x)
    idx = _array(indices).astype(np.int64)
    if axis is None:
        a, axis = source.reshape(-1), 0
    else:
        a, axis = source, axis % source.ndim
        # every axis but `axis` broadcasts between the tensor and the indices, as in Keras
        shape = np.broadcast_shapes(a.shape[:axis] + (1,) + a.shape[axis + 1:],
                                    idx.shape[:axis] + (1,) + idx.shape[axis + 1:])
        a = np.broadcast_to(a, shape[:axis] + (a.shape[axis],) + shape[axis + 1:])
        idx = np.broadcast_to(idx, shape[:axis] + (idx.shape[axis],) + shape[axis + 1:])
    idx = np.where(idx < 0, idx + a.shape[axis], idx)
    out = np.take_along_axis(a, idx, axis)

    def vjp(g):
        grad = np.zeros(a.shape, dtype=g.dtype)
        index = list(np.indices(idx.shape, sparse=True))
        index[axis] = idx
        np.add.at(grad, tuple(index), g)
        return (grad.reshape(source.shape) if grad.ndim == 1 and source.ndim != 1 else unbroadcast(grad, source.shape),)

    return make(out, (x,), vjp)


def select(condlist, choicelist, default=0) -> Tensor:
    """The first choice whose condition holds, elementwise (else `default`)."""
    from engine.ops.math import where
    result = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        result = where(cond, choice, result)
    if not isinstance(result, Tensor):
        result = Tensor(np.asarray(result))
    return result


def nonzero(x) -> Tensor:
    return Tensor(np.stack(np.nonzero(_array(x))).astype(np.int32))


def unravel_index(indices, shape) -> tuple[Tensor, ...]:
    return tuple(Tensor(np.asarray(i)) for i in np.unravel_index(_array(indices), shape))


def isin(x1, x2, assume_unique: bool = False, invert: bool = False) -> Tensor:
    return Tensor(np.isin(_array(x1), _array(x2), assume_unique=assume_unique, invert=invert))

