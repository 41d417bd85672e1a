"""Differentiable shape ops: reshaping, joining and splitting, indexing, tiling, padding."""

from __future__ import annotations

import numpy as np

from engine.autodiff import Tensor, make, unbroadcast
from engine.ops.core import as_array as _as_array
from engine.ops.core import value_of

# The ops `engine.ops` exports (not the modules and helpers imported here).
__all__ = [
    "reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "broadcast_to", "concatenate",
    "stack", "split", "unstack", "get_item", "take", "tile", "repeat", "flip", "pad", "size",
]


def reshape(x, newshape) -> Tensor:
    a = np.asarray(_as_array(x))
    return make(a.reshape(newshape), (x,), lambda g: (g.reshape(a.shape),))


def transpose(x, axes=None) -> Tensor:
    a = np.asarray(_as_array(x))
    out = np.transpose(a, axes)
    inverse = None if axes is None else np.argsort(axes)
    return make(out, (x,), lambda g: (np.transpose(g, inverse),))


def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    a = np.asarray(_as_array(x))
    return make(np.swapaxes(a, axis1, axis2), (x,), lambda g: (np.swapaxes(g, axis1, axis2),))


def moveaxis(x, source, destination) -> Tensor:
    a = np.asarray(_as_array(x))
    return make(np.moveaxis(a, source, destination), (x,), lambda g: (np.moveaxis(g, destination, source),))


def expand_dims(x, axis) -> Tensor:
    a = np.asarray(_as_array(x))
    return make(np.expand_dims(a, axis), (x,), lambda g: (g.reshape(a.shape),))


def squeeze(x, axis=None) -> Tensor:
    a = np.asarray(_as_array(x))
    return make(np.squeeze(a, axis), (x,), lambda g: (g.reshape(a.shape),))


def broadcast_to(x, shape) -> Tensor:
    a = np.asarray(_as_array(x))
    return make(np.broadcast_to(a, shape), (x,), lambda g: (unbroadcast(g, a.shape),))


def concatenate(xs, axis: int = 0) -> Tensor:
    values = [np.asarray(_as_array(x)) for x in xs]
    out = np.concatenate(values, axis=axis)
    bounds = np.cumsum([v.shape[axis] for v in values])[:-1]
    return make(out, tuple(xs), lambda g: tuple(np.split(g, bounds, axis=axis)))


def stack(xs, axis: int = 0) -> Tensor:
    values = [np.asarray(_as_array(x)) for x in xs]
    out = np.stack(values, axis=axis)
    return make(out, tuple(xs), lambda g: tuple(np.moveaxis(g, axis, 0)))


def split(x, indices_or_sections, axis: int = 0) -> list[Tensor]:
    a = np.asarray(_as_array(x))
    pieces = np.split(a, indices_or_sections, axis=axis)
    outs = []
    start = 0
    for piece in pieces:
        index = [slice(None)] * a.ndim
        index[axis] = slice(start, start + piece.shape[axis])
        outs.append(get_item(x, tuple(index)))
        start += piece.shape[axis]
    return outs


def unstack(x, axis: int = 0) -> list[Tensor]:
    a = np.asarray(_as_array(x))
    index = [slice(None)] * a.ndim
    outs = []
    for i in range(a.shape[axis]):
        index[axis] = i
        outs.append(get_item(x, tuple(index)))
    return outs


def get_item(x, key) -> Tensor:
    a = np.asarray(_as_array(x))
    if isinstance(key, list) and any(k is None or k is Ellipsis or isinstance(k, slice) for k in key):
        key = tuple(key)  # a key read back from a config: lists stand for tuples
    if isinstance(key, Tensor):
        key = key.value
    elif isinstance(key, tuple):
        key = tuple(k.value if isinstance(k, Tensor) else k for k in key)
    out = a[key]

    def vjp(g):
        grad = np.zeros_like(a, dtype=g.dtype)
        np.add.at(grad, key, g)
        return (grad,)

    return make(np.asarray(out), (x,), vjp)


def take(x, indices, axis=None) -> Tensor:
    a = np.asarray(_as_array(x))
    idx = np.asarray(value_of(indices)).astype(np.int64)
    out = np.take(a, idx, axis=axis)

    def vjp(g):
        grad = np.zeros_like(a, dtype=g.dtype)
        if axis is None:
            np.add.at(grad.reshape(-1), idx.reshape(-1), g.reshape(-1))
        else:
            ax = axis % a.ndim
            moved = np.moveaxis(grad, ax, 0)
            g_moved = np.moveaxis(g.reshape(a.shape[:ax] + idx.shape + a.shape[ax + 1:]),
                                  list(range(ax, ax + idx.ndim)), list(range(idx.ndim)))
            np.add.at(moved, idx, g_moved)
        return (grad,)

    return make(out, (x,), vjp)


def tile(x, repeats) -> Tensor:
    a = np.asarray(_as_array(x))
    out = np.tile(a, repeats)
    reps = (1,) * (out.ndim - len(np.atleast_1d(repeats))) + tuple(np.atleast_1d(repeats))
    shape_in = (1,) * (out.ndim - a.ndim) + a.shape

    def vjp(g):
        split_shape = []
        for r, n in zip(reps, shape_in):
            split_shape += [r, n]
        return (g.reshape(split_shape).sum(axis=tuple(range(0, 2 * out.ndim, 2))).reshape(a.shape),)

    return make(out, (x,), vjp)


def repeat(x, repeats: int, axis=None) -> Tensor:
    a = np.asarray(_as_array(x))
    out = np.repeat(a, repeats, axis=axis)

    def vjp(g):
        if axis is None:
            return (g.reshape(-1, repeats).sum(axis=1).reshape(a.shape),)
        ax = axis % a.ndim
        shape = a.shape[:ax] + (a.shape[ax], repeats) + a.shape[ax + 1:]
        return (g.reshape(shape).sum(axis=ax + 1),)

    return make(out, (x,), vjp)


def flip(x, axis=None) -> Tensor:
    a = np.asarray(_as_array(x))
    return make(np.flip(a, axis), (x,), lambda g: (np.flip(g, axis),))


def pad(x, pad_width, mode: str = "constant", constant_values=0) -> Tensor:
    a = np.asarray(_as_array(x))
    pw = np.broadcast_to(np.asarray(pad_width, dtype=int), (a.ndim, 2))
    out = np.pad(a, pw, mode=mode, constant_values=constant_values)
    index = tuple(slice(lo, lo + n) for (lo, _), n in zip(pw, a.shape))
    return make(out, (x,), lambda g: (g[index],))


def size(x) -> int:
    return int(np.size(value_of(x)))
