"""Pooling ops, named and argumented as `keras.ops` (`max_pool`, `average_pool`; any spatial rank).

Pooling reads the same windows as convolution (engine/ops/windows.py); each direction is one compiled pass
over memory (engine/kernels/pooling.py), run on slices of the batch in parallel. Max pooling remembers which
window position won, so that its backward pass sends each gradient straight there; right after a fused relu
it also applies the relu's derivative, on its smaller output. Average pooling with "same" padding divides by
the number of real (not padded) cells, as Keras/TF do.
"""

from __future__ import annotations

import numpy as np

from engine.autodiff import Tensor, grad_enabled, make, needs_grad
from engine.kernels import pooling as kernels
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
    sizes, (starts, taps) = xp.shape[1:-1], w.pixel_offsets(xp.shape[1:-1])
    batch, channels = xv.shape[0], xv.shape[-1]
    x3 = xp.reshape(batch, -1, channels)
    out = take("max_pool", (batch, *w.out, channels), xv.dtype)
    out3 = out.reshape(batch, -1, channels)
    record = grad_enabled() and needs_grad(inputs)
    # with a gradient to come, remember which window position won
    index_type = np.uint8 if len(taps) < 256 else np.uint32
    winner = take("max_pool.winner", out3.shape if record else (0, 0, 0), index_type)
    _over_batch(lambda b: kernels.max_pool_forward(x3[b], starts, taps, out3[b], winner[b] if record else winner),
                batch, xp.size)
    if not record:
        return Tensor(out)
    tiled = w.tile(sizes)  # then every element of the input's gradient is written: no zero fill needed

    def vjp(g):
        dxp = take("max_pool.grad", xp.shape, g.dtype, zero=not tiled)
        d3, g3 = dxp.reshape(x3.shape), np.ascontiguousarray(g).reshape(out3.shape)
        premasked = getattr(getattr(inputs, "vjp", None), _RELU_PREMASKED, None)
        relu = premasked is not None  # apply the relu's derivative here, on the pooled values
        _over_batch(lambda b: kernels.max_pool_backward(g3[b], winner[b], starts, taps, out3[b], relu, tiled, d3[b]),
                    batch, dxp.size)
        dx = dxp[_inner(xv.shape, pads)]
        if relu:
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
    sizes, (starts, taps) = xp.shape[1:-1], w.pixel_offsets(xp.shape[1:-1])
    batch, channels = xv.shape[0], xv.shape[-1]
    x3 = xp.reshape(batch, -1, channels)
    scale = _inverse_counts(xv.shape[1:-1], w, pads).astype(xv.dtype).ravel()
    out = np.empty((batch, *w.out, channels), dtype=xv.dtype)
    out3 = out.reshape(batch, -1, channels)
    _over_batch(lambda b: kernels.average_pool_forward(x3[b], starts, taps, scale, out3[b]), batch, xp.size)
    tiled = w.tile(sizes)

    def vjp(g):
        dxp = np.empty(xp.shape, dtype=g.dtype) if tiled else np.zeros(xp.shape, dtype=g.dtype)
        d3, g3 = dxp.reshape(x3.shape), np.ascontiguousarray(g).reshape(out3.shape)
        _over_batch(lambda b: kernels.average_pool_backward(g3[b], starts, taps, scale, tiled, d3[b]),
                    batch, dxp.size)
        return (dxp[_inner(xv.shape, pads)],)

    return make(out, (inputs,), vjp)


def _inverse_counts(sizes, w: _Windows, pads) -> np.ndarray:
    """1 / (number of real, unpadded inputs) in each window, shaped as the output's spatial axes."""
    counts = np.ones((), dtype=np.float64)
    for n, k, s, out, (lo, _) in zip(sizes, w.kernel, w.strides, w.out, pads):
        start = np.arange(out) * s - lo
        counts = np.multiply.outer(counts, np.minimum(start + k, n) - np.maximum(start, 0))
    return 1.0 / counts
