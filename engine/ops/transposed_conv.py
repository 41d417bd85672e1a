"""Transposed convolution (`keras.ops.conv_transpose`): the gradient of a convolution w.r.t. its input.

Every input pixel times the whole kernel is one matrix product, (pixels, channels) @ (channels,
kernel_volume * filters); input pixel i's product for kernel offset k lands on output pixel i * stride +
k * dilation - crop (per axis, where `crop` is what Keras's padding cuts from the start of the full result).
The forward pass makes these products a few samples at a time and has every output pixel sum the ones that
land on it (engine/kernels/transposed_conv.py); the backward pass gathers, for every input pixel and kernel
offset, the output gradient where it landed (im2col of the gradient) and multiplies: one product for the
input's gradient, one for the kernel's. Up to three spatial axes; 1-D and 2-D run as 3-D with axes of size 1.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from engine import config
from engine.autodiff import Tensor, needs_grad
from engine.kernels.transposed_conv import add_windows, gather_windows
from engine.ops.conv import (
    _arr,
    _channels_first,
    _check_bias,
    _column_sums,
    _float_input,
    _fused,
    spatial_tuple,
    standardize_data_format,
    standardize_padding,
)
from engine.ops.scratch import take
from engine.ops.windows import _over_batch

__all__ = ["conv_transpose"]

_AXES = 3  # the kernels' spatial rank: fewer axes are padded with axes of size 1 in front
_CHUNK_ELEMENTS = 1 << 18  # products made and added a few samples at a time, while they are in cache


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1, *, bias=None, activation: str | None = None) -> Tensor:
    """Transposed convolution (the gradient of `conv` w.r.t. its input); kernel (*k, filters, in_channels).

    Output sizes and padding follow Keras: "valid" gives (n - 1) * stride + max(kernel, stride), "same"
    gives n * stride, and `output_padding` (< stride) sets the extra size at the end. `bias` (filters,) and a
    fusable `activation` are applied in the same recorded op, as in `conv`.
    """
    if standardize_data_format(data_format) == "channels_first":
        return _channels_first(conv_transpose, inputs, kernel, strides, padding, output_padding,
                               dilation_rate=dilation_rate, bias=bias, activation=activation)
    xv, kv = _float_input(inputs), _arr(kernel)
    if not 3 <= xv.ndim <= _AXES + 2 or kv.ndim != xv.ndim or kv.shape[-1] != xv.shape[-1]:
        raise ValueError("conv_transpose: inputs must be (batch, *spatial, channels) with 1 to 3 spatial axes and "
                         "the kernel (*kernel_size, filters, channels) with the same channels; received "
                         f"inputs.shape={xv.shape}, kernel.shape={kv.shape}")
    rank = xv.ndim - 2
    strides = spatial_tuple(strides, rank, "strides")
    dilation = spatial_tuple(dilation_rate, rank, "dilation_rate")
    extra = (None,) * rank if output_padding is None else spatial_tuple(output_padding, rank, "output_padding",
                                                                         allow_zero=True)
    padding = standardize_padding(padding)
    size, filters, channels = kv.shape[:-2], kv.shape[-2], kv.shape[-1]
    axes = [_Axis.of(n, k, s, d, padding, e) for n, k, s, d, e in zip(xv.shape[1:-1], size, strides, dilation, extra)]
    if any(axis.out <= 0 for axis in axes):
        raise ValueError(f"conv_transpose: the output would be empty; received inputs.shape={xv.shape}, "
                         f"kernel.shape={kv.shape}, strides={strides}, padding={padding!r}, "
                         f"output_padding={output_padding}")
    _check_bias(bias, filters, "conv_transpose")
    axes = [_Axis(1, 1, 1, 1, 0, 1)] * (_AXES - rank) + axes
    batch, dtype = xv.shape[0], xv.dtype
    x2 = np.ascontiguousarray(xv).reshape(-1, channels)
    k2 = np.ascontiguousarray(kv, dtype=dtype).reshape(-1, channels)  # (kernel_volume * filters, channels)
    bias_values = np.zeros(filters, dtype) if bias is None else np.asarray(_arr(bias), dtype=dtype)
    z = _add_products(x2, k2, bias_values, axes, batch)
    z = z.reshape(batch, *(axis.out for axis in axes[_AXES - rank:]), filters)

    def backward(g):
        gx = gk = gb = None
        if needs_grad(inputs) or needs_grad(kernel):
            cols = _gradient_columns(np.ascontiguousarray(g, dtype=dtype), axes, filters)
            gx = (cols @ k2).reshape(xv.shape) if needs_grad(inputs) else None
            gk = (cols.T @ x2).reshape(kv.shape) if needs_grad(kernel) else None
        if bias is not None and needs_grad(bias):
            gb = _column_sums(g.reshape(-1, filters))
        return gx, gk, gb

    return _fused(z, (inputs, kernel, bias), backward, activation)


def transpose_padding(span: int, stride: int, padding: str, output_padding: int | None) -> tuple[int, int]:
    """Keras's (before, after) padding of a transposed convolution's dilated input, for a dilated kernel `span`."""
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    total = stride + span - 2 if output_padding is None else span + span % 2 - 2 + output_padding
    before = min(total // 2 + total % 2, span - 1)
    return before, total - before


class _Axis:
    """One spatial axis of a transposed convolution: input pixel i's kernel offset k lands on output pixel
    i * stride + k * dilation - crop, if that is within 0 .. out - 1."""

    def __init__(self, size: int, kernel: int, stride: int, dilation: int, crop: int, out: int):
        self.size, self.kernel, self.out = size, kernel, out
        self.landing, self.taps = _tables(size, kernel, stride, dilation, crop, out)

    @classmethod
    def of(cls, size: int, kernel: int, stride: int, dilation: int, padding: str, output_padding) -> _Axis:
        """The axis as Keras pads it: the full result (size - 1) * stride + span, cropped by Keras's padding."""
        span = (kernel - 1) * dilation + 1
        before, after = transpose_padding(span, stride, padding, output_padding)
        out = (size - 1) * stride + before + after - span + 2
        return cls(size, kernel, stride, dilation, span - 1 - before, out)


@functools.lru_cache(maxsize=256)
def _tables(size: int, kernel: int, stride: int, dilation: int, crop: int, out: int):
    """(landing, taps) of one axis: landing (size, kernel) gives the output index of each (input index, kernel
    offset), -1 outside the output; taps (out, 1 + 2 * kernel) lists for each output index its number of
    (input index, kernel offset) pairs, then the pairs."""
    landing = np.arange(size)[:, None] * stride + np.arange(kernel)[None, :] * dilation - crop
    landing[(landing < 0) | (landing >= out)] = -1
    taps = np.zeros((out, 1 + 2 * kernel), dtype=np.int64)
    for i, k in zip(*np.nonzero(landing >= 0)):
        o = landing[i, k]
        count = taps[o, 0]
        taps[o, 1 + 2 * count:3 + 2 * count] = i, k
        taps[o, 0] = count + 1
    landing = landing.astype(np.int64)
    landing.setflags(write=False)
    taps.setflags(write=False)
    return landing, taps


def _add_products(x2: np.ndarray, k2: np.ndarray, bias: np.ndarray, axes, batch: int) -> np.ndarray:
    """The output (batch, o0, o1, o2, filters): each sample slice's products x @ kernel, a few samples at a time,
    summed where they land (starting from the bias), in as many threads as `_over_batch` runs."""
    filters = len(bias)
    sizes, kernel = tuple(a.size for a in axes), tuple(a.kernel for a in axes)
    out = take("conv_transpose", (batch, *(a.out for a in axes), filters), x2.dtype)
    pixels = math.prod(sizes)
    chunk = max(1, _CHUNK_ELEMENTS // (pixels * len(k2)))
    k2t = k2.T
    taps = [a.taps for a in axes]

    def add(b):
        start, stop, _ = b.indices(batch)
        buffer = np.empty((min(chunk, stop - start) * pixels, len(k2)), x2.dtype)
        for lo in range(start, stop, chunk):
            hi = min(lo + chunk, stop)
            products = np.matmul(x2[lo * pixels:hi * pixels], k2t, out=buffer[:(hi - lo) * pixels])
            add_windows(products.reshape(hi - lo, *sizes, *kernel, filters), *taps, bias, out[lo:hi])

    with config.blas_single_threaded():  # each of our threads runs its own products: no BLAS threads on top
        _over_batch(add, batch, batch * pixels * len(k2))
    return out


def _gradient_columns(g: np.ndarray, axes, filters: int) -> np.ndarray:
    """im2col of the output gradient: (batch * input pixels, kernel_volume * filters), each input pixel's row
    holding the gradient where each of its kernel offsets landed (zero outside the output)."""
    batch = g.shape[0]
    sizes, kernel = tuple(a.size for a in axes), tuple(a.kernel for a in axes)
    cols = take("conv_transpose.columns", (batch * math.prod(sizes), math.prod(kernel) * filters), g.dtype)
    g5 = g.reshape(batch, *(a.out for a in axes), filters)
    cols8 = cols.reshape(batch, *sizes, *kernel, filters)
    landing = [a.landing for a in axes]
    _over_batch(lambda b: gather_windows(g5[b], *landing, cols8[b]), batch, cols.size)
    return cols
