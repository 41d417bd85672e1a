"""Pooling ops, named and argumented as `keras.ops` (`max_pool`, `average_pool`; any spatial rank).

Pooling takes the same strided window slices as convolution (engine/ops/conv.py). Max pooling remembers
which window position won, so that its backward pass is a few masked copies; right after a fused relu it
also applies the relu's derivative, on its smaller output. Average pooling with "same" padding divides by
the number of real (not padded) cells, as Keras/TF do.
"""

from __future__ import annotations

import numpy as np

from engine.autodiff import Tensor, grad_enabled, make, needs_grad
from engine.ops.array import moveaxis
from engine.ops.conv import _RELU_PREMASKED, _float_input, spatial_tuple, standardize_data_format, standardize_padding
from engine.ops.scratch import take
from engine.ops.windows import _inner, _over_batch, _pad, _window_layout, _Windows

__all__ = ["average_pool", "max_pool"]


def _pool_layout(op, xv, pool_size, strides, padding):
    if xv.ndim < 3:
        raise ValueError(f"{op}: inputs must be (batch, *spatial, channels); received inputs.shape={xv.shape}")
    rank = xv.ndim - 2
    pool = spatial_tuple(pool_size, rank, "pool_size")
    strides = pool if strides is None else spatial_tuple(strides, rank, "strides")
    return _window_layout(op, xv.shape[1:-1], pool, strides, (1,) * rank, standardize_padding(padding),
                          f"inputs.shape={xv.shape}, pool_size={pool}")


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """The maximum of each window; the gradient goes to the first maximum of each window (as TF/Torch)."""
    if standardize_data_format(data_format) == "channels_first":
        return moveaxis(max_pool(moveaxis(inputs, 1, -1), pool_size, strides, padding), -1, 1)
    xv = _float_input(inputs)
    w, pads = _pool_layout("max_pool", xv, pool_size, strides, padding)
    xp = _pad(xv, pads, fill=-np.inf)
    offsets = list(w.offsets())
    out = take("max_pool", (xv.shape[0], *w.out, xv.shape[-1]), xv.dtype)
    record = grad_enabled() and needs_grad(inputs)
    # with a gradient to come, remember which window position won: a later one only when strictly larger,
    # so that ties go to the first maximum
    index_type = np.uint8 if len(offsets) < 256 else np.uint32
    winner = take("max_pool.winner", out.shape, index_type, zero=True) if record else None

    def forward(b):
        best = out[b]
        np.copyto(best, xp[w.slices(offsets[0], b)])
        larger = np.empty(best.shape, dtype=bool) if record else None
        for k, offset in enumerate(offsets[1:], 1):
            window = xp[w.slices(offset, b)]
            if record:
                np.greater(window, best, out=larger)
                np.maximum(winner[b], larger * winner.dtype.type(k), out=winner[b])
            np.maximum(best, window, out=best)

    _over_batch(forward, len(xp), xp.size)
    if not record:
        return Tensor(out)
    disjoint = all(s >= k for s, k in zip(w.strides, w.kernel))
    # windows that tile the input exactly write every element of its gradient: no zero fill needed
    tiled = all(s == k and n * s == size for s, k, n, size in zip(w.strides, w.kernel, w.out, xp.shape[1:-1]))

    def vjp(g):
        dxp = take("max_pool.grad", xp.shape, g.dtype, zero=not tiled)
        premasked = getattr(getattr(inputs, "vjp", None), _RELU_PREMASKED, None)
        if premasked is not None:  # apply the relu's derivative here, on the pooled values
            g = np.multiply(g, out > 0)

        def scatter(b):
            hit = np.empty(g[b].shape, dtype=bool)
            for k, offset in enumerate(offsets):
                np.equal(winner[b], k, out=hit)
                if disjoint:
                    np.multiply(g[b], hit, out=dxp[w.slices(offset, b)])
                else:
                    dxp[w.slices(offset, b)] += g[b] * hit

        _over_batch(scatter, len(g), dxp.size)
        dx = dxp[_inner(xv.shape, pads)]
        if premasked is not None:
            premasked.append(dx)
        return (dx,)

    return make(out, (inputs,), vjp)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """The mean of each window; with "same" padding the padded positions are not counted (as TF/JAX)."""
    if standardize_data_format(data_format) == "channels_first":
        return moveaxis(average_pool(moveaxis(inputs, 1, -1), pool_size, strides, padding), -1, 1)
    xv = _float_input(inputs)
    w, pads = _pool_layout("average_pool", xv, pool_size, strides, padding)
    xp = _pad(xv, pads)
    offsets = list(w.offsets())
    scale = _inverse_counts(xv.shape[1:-1], w, pads).astype(xv.dtype)
    out = np.empty((xv.shape[0], *w.out, xv.shape[-1]), dtype=xv.dtype)

    def forward(b):
        total = out[b]
        np.copyto(total, xp[w.slices(offsets[0], b)])
        for offset in offsets[1:]:
            total += xp[w.slices(offset, b)]
        total *= scale

    _over_batch(forward, len(xp), xp.size)

    def vjp(g):
        dxp = np.zeros(xp.shape, dtype=g.dtype)

        def spread(b):
            share = g[b] * scale
            for offset in offsets:
                dxp[w.slices(offset, b)] += share

        _over_batch(spread, len(g), dxp.size)
        return (dxp[_inner(xv.shape, pads)],)

    return make(out, (inputs,), vjp)


def _inverse_counts(sizes, w: _Windows, pads) -> np.ndarray:
    """1 / (number of real, unpadded inputs) in each window, shaped (1, *out, 1) to broadcast."""
    counts = np.ones((), dtype=np.float64)
    for n, k, s, out, (lo, _) in zip(sizes, w.kernel, w.strides, w.out, pads):
        start = np.arange(out) * s - lo
        counts = np.multiply.outer(counts, np.minimum(start + k, n) - np.maximum(start, 0))
    return (1.0 / counts)[None, ..., None]
