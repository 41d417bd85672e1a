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
from engine.autodiff import Tensor, make, needs_grad
from engine.kernels.transposed_conv import add_filter_sums, add_windows, gather_windows
from engine.ops.conv import (
    _arr,
    _channels_first,
    _check_bias,
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
    batch, dtype, relu = xv.shape[0], xv.dtype, activation == "relu"
    x2 = np.ascontiguousarray(xv).reshape(-1, channels)
    k2 = np.ascontiguousarray(kv, dtype=dtype).reshape(-1, channels)  # (kernel_volume * filters, channels)
    bias_values = np.zeros(filters, dtype) if bias is None else np.asarray(_arr(bias), dtype=dtype)
    z = _add_products(x2, k2, bias_values, axes, relu)

    def backward(g):
        g5 = np.ascontiguousarray(g, dtype=dtype).reshape(z.shape)
        gx, gk, gb = _gradients(g5, z, relu, x2, k2, axes, needs_grad(inputs), needs_grad(kernel),
                                bias is not None and needs_grad(bias))
        return (None if gx is None else gx.reshape(xv.shape), None if gk is None else gk.reshape(kv.shape),
                None if gb is None else gb.astype(_arr(bias).dtype))

    parents = (inputs, kernel, bias)
    out_shape = (batch, *(axis.out for axis in axes[_AXES - rank:]), filters)
    if relu:  # applied in the kernels: the output and the gradient columns pass through it on the way
        return make(z.reshape(out_shape), parents, backward)
    return _fused(z.reshape(out_shape), parents, backward, activation)


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


def _add_products(x2: np.ndarray, k2: np.ndarray, bias: np.ndarray, axes, relu: bool) -> np.ndarray:
    """The output (batch, o0, o1, o2, filters): each sample slice's products x @ kernel, a few samples at a time,
    summed where they land (starting from the bias, then relu'd if asked), in the threads of `_over_batch`."""
    filters = len(bias)
    sizes, kernel, pixels = tuple(a.size for a in axes), tuple(a.kernel for a in axes), math.prod(a.size for a in axes)
    batch = len(x2) // pixels
    out = take("conv_transpose", (batch, *(a.out for a in axes), filters), x2.dtype)
    chunk = max(1, _CHUNK_ELEMENTS // (pixels * len(k2)))
    k2t = k2.T
    taps = [a.taps for a in axes]

    def add(b):
        start, stop, _ = b.indices(batch)
        buffer = np.empty((min(chunk, stop - start) * pixels, len(k2)), x2.dtype)
        for lo in range(start, stop, chunk):
            hi = min(lo + chunk, stop)
            products = np.matmul(x2[lo * pixels:hi * pixels], k2t, out=buffer[:(hi - lo) * pixels])
            add_windows(products.reshape(hi - lo, *sizes, *kernel, filters), *taps, bias, relu, out[lo:hi])

    with config.blas_single_threaded():  # each of our threads runs its own products: no BLAS threads on top
        _over_batch(add, batch, batch * pixels * len(k2))
    return out


def _gradients(g: np.ndarray, y: np.ndarray, relu: bool, x2: np.ndarray, k2: np.ndarray, axes, want_input: bool,
               want_kernel: bool, want_bias: bool):
    """The input's, the kernel's and the bias's gradients from the output gradient g (batch, o0, o1, o2, filters)
    (through the relu whose output is y, if `relu`): a few samples at a time, the gradient's windows are
    gathered into columns (input pixels, kernel_volume * filters), which, while in cache, give the input's
    gradient rows (columns @ kernel) and add to the kernel's (columns^T @ inputs)."""
    batch, filters, channels = g.shape[0], g.shape[-1], x2.shape[1]
    sizes, kernel, pixels = tuple(a.size for a in axes), tuple(a.kernel for a in axes), math.prod(a.size for a in axes)
    width = len(k2)
    gx = take("conv_transpose.input_gradient", (len(x2), channels), x2.dtype) if want_input else None
    chunk = max(1, _CHUNK_ELEMENTS // (pixels * width))
    landing = [a.landing for a in axes]
    kernel_parts, bias_parts = [], []

    def work(b):
        start, stop, _ = b.indices(batch)
        buffer = np.empty((min(chunk, stop - start) * pixels, width), x2.dtype)
        gk = np.zeros((width, channels), x2.dtype) if want_kernel else None
        gb = np.zeros(filters, np.float64) if want_bias else None
        for lo in range(start, stop, chunk):
            hi = min(lo + chunk, stop)
            rows = slice(lo * pixels, hi * pixels)
            if want_input or want_kernel:
                cols = buffer[:(hi - lo) * pixels]
                gather_windows(g[lo:hi], y[lo:hi], relu, *landing, cols.reshape(hi - lo, *sizes, *kernel, filters))
                if want_input:
                    np.matmul(cols, k2, out=gx[rows])
                if want_kernel:
                    gk += cols.T @ x2[rows]
            if want_bias:
                add_filter_sums(g[lo:hi].reshape(-1, filters), y[lo:hi].reshape(-1, filters), relu, gb)
        kernel_parts.append(gk)
        bias_parts.append(gb)

    with config.blas_single_threaded():  # each of our threads runs its own products: no BLAS threads on top
        _over_batch(work, batch, batch * pixels * width)
    return gx, sum(kernel_parts) if want_kernel else None, sum(bias_parts) if want_bias else None
