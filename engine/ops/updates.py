"""Writing into tensors and reducing by segment: `slice`, `slice_update`, `scatter`, `scatter_update` and
the `segment_*` reductions of `keras.ops`, each differentiable in its float inputs."""

from __future__ import annotations

import builtins

import numpy as np

from engine.autodiff import Tensor, make
from engine.ops.array import get_item
from engine.ops.core import value_of

__all__ = ["scatter", "scatter_update", "segment_max", "segment_min", "segment_prod", "segment_sum", "slice",
           "slice_update"]


def _array(x) -> np.ndarray:
    return np.asarray(value_of(x))


def _region(start_indices, shape) -> tuple:
    starts = [int(s) for s in np.asarray(value_of(start_indices)).reshape(-1)]
    return tuple(builtins.slice(s, s + n) for s, n in zip(starts, shape))


def slice(inputs, start_indices, shape) -> Tensor:  # noqa: A001 - Keras name
    """The block of `shape` starting at `start_indices`."""
    return get_item(inputs, _region(start_indices, [int(n) for n in shape]))


def slice_update(inputs, start_indices, updates) -> Tensor:
    """`inputs` with the block at `start_indices` replaced by `updates`."""
    a, u = _array(inputs), _array(updates)
    region = _region(start_indices, u.shape)
    out = a.copy()
    out[region] = u

    def vjp(g):
        grad_inputs = g.copy()
        grad_inputs[region] = 0
        return grad_inputs, g[region].astype(u.dtype, copy=False)

    return make(out, (inputs, updates), vjp)


def _index_tuple(indices) -> tuple:
    idx = _array(indices).astype(np.int64)
    idx = idx.reshape(-1, idx.shape[-1])
    return tuple(idx.T)


def scatter(indices, values, shape) -> Tensor:
    """Zeros of `shape` with `values` added at `indices` (repeated indices add up)."""
    v = _array(values)
    index = _index_tuple(indices)
    k = len(index)
    flat = v.reshape((-1,) + tuple(shape[k:]))
    out = np.zeros(tuple(shape), dtype=v.dtype)
    np.add.at(out, index, flat)
    return make(out, (values,), lambda g: (g[index].reshape(v.shape),))


def scatter_update(inputs, indices, updates, reduction=None) -> Tensor:
    """`inputs[indices] = updates` (last write wins), or combined by `reduction` ("add", "max", "min", "mul")."""
    a = _array(inputs)
    u = _array(updates).astype(a.dtype, copy=False)
    index = _index_tuple(indices)
    out = a.copy()
    if reduction is None:
        out[index] = u

        def vjp(g):
            grad_inputs = g.copy()
            grad_inputs[index] = 0
            return grad_inputs, g[index].reshape(u.shape)

        return make(out, (inputs, updates), vjp)
    if reduction == "add":
        np.add.at(out, index, u)
        return make(out, (inputs, updates), lambda g: (g, g[index].reshape(u.shape)))
    ufunc = {"max": np.maximum, "min": np.minimum, "mul": np.multiply}.get(reduction)
    if ufunc is None:
        raise ValueError(f"Unsupported reduction: {reduction}")
    ufunc.at(out, index, u)
    return Tensor(out)


def _segments(data, segment_ids, num_segments):
    d = _array(data)
    ids = _array(segment_ids).astype(np.int64)
    n = int(ids.max(initial=-1)) + 1 if num_segments is None else int(num_segments)
    valid = (ids >= 0) & (ids < n)
    return d, ids, n, valid


def segment_sum(data, segment_ids, num_segments=None, sorted: bool = False) -> Tensor:  # noqa: A002
    d, ids, n, valid = _segments(data, segment_ids, num_segments)
    out = np.zeros((n,) + d.shape[1:], dtype=d.dtype)
    np.add.at(out, ids[valid], d[valid])

    def vjp(g):
        grad = np.zeros(d.shape, dtype=g.dtype)
        grad[valid] = g[ids[valid]]
        return (grad,)

    return make(out, (data,), vjp)


def _segment_extreme(data, segment_ids, num_segments, ufunc, empty) -> Tensor:
    d, ids, n, valid = _segments(data, segment_ids, num_segments)
    fill = empty if d.dtype.kind == "f" else (np.iinfo(d.dtype).min if empty < 0 else np.iinfo(d.dtype).max)
    out = np.full((n,) + d.shape[1:], fill, dtype=d.dtype)
    ufunc.at(out, ids[valid], d[valid])

    def vjp(g):
        # the gradient goes to the entries equal to their segment's extreme, shared among ties
        hits = np.zeros(d.shape, dtype=bool)
        hits[valid] = d[valid] == out[ids[valid]]
        counts = np.zeros(out.shape, dtype=g.dtype)
        np.add.at(counts, ids[valid], hits[valid].astype(g.dtype))
        grad = np.zeros(d.shape, dtype=g.dtype)
        grad[valid] = np.where(hits[valid], g[ids[valid]] / np.maximum(counts[ids[valid]], 1), 0)
        return (grad,)

    return make(out, (data,), vjp)


def segment_max(data, segment_ids, num_segments=None, sorted: bool = False) -> Tensor:  # noqa: A002
    return _segment_extreme(data, segment_ids, num_segments, np.maximum, -np.inf)


def segment_min(data, segment_ids, num_segments=None, sorted: bool = False) -> Tensor:  # noqa: A002
    return _segment_extreme(data, segment_ids, num_segments, np.minimum, np.inf)


def segment_prod(data, segment_ids, num_segments=None, sorted: bool = False) -> Tensor:  # noqa: A002
    d, ids, n, valid = _segments(data, segment_ids, num_segments)
    out = np.ones((n,) + d.shape[1:], dtype=d.dtype)
    np.multiply.at(out, ids[valid], d[valid])

    def vjp(g):
        # product of the other entries of the segment, computed without dividing by zero
        grad = np.zeros(d.shape, dtype=g.dtype)
        rows = np.nonzero(valid)[0]
        for r in rows:
            others = np.ones(d.shape[1:], dtype=d.dtype)
            for s in rows:
                if s != r and ids[s] == ids[r]:
                    others = others * d[s]
            grad[r] = g[ids[r]] * others
        return (grad,)

    return make(out, (data,), vjp)
