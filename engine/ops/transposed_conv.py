"""Transposed convolution (`keras.ops.conv_transpose`): the gradient of a convolution w.r.t. its input.

Every input pixel times the whole kernel, added where each kernel offset lands: input pixel i's offset k
lands on output pixel i * stride + k * dilation - crop (per axis, where `crop` is what Keras's padding cuts
from the start of the full result). The products, their adding and the backward pass are in
engine/ops/landing.py; a relu is applied there too, as the output is written and as the gradient is gathered.
"""

from __future__ import annotations

import numpy as np

from engine.autodiff import Tensor, make, needs_grad
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
from engine.ops.landing import MAX_AXES, LandingAxis, add_products, product_gradients

__all__ = ["conv_transpose"]


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
    if not 3 <= xv.ndim <= MAX_AXES + 2 or kv.ndim != xv.ndim or kv.shape[-1] != xv.shape[-1]:
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
    axes = [_axis(n, k, s, d, padding, e) for n, k, s, d, e in zip(xv.shape[1:-1], size, strides, dilation, extra)]
    if any(axis.out <= 0 for axis in axes):
        raise ValueError(f"conv_transpose: the output would be empty; received inputs.shape={xv.shape}, "
                         f"kernel.shape={kv.shape}, strides={strides}, padding={padding!r}, "
                         f"output_padding={output_padding}")
    _check_bias(bias, filters, "conv_transpose")
    dtype, relu = xv.dtype, activation == "relu"
    x2 = np.ascontiguousarray(xv).reshape(-1, channels)
    k2 = np.ascontiguousarray(kv, dtype=dtype).reshape(-1, channels)  # (kernel_volume * filters, channels)
    bias_values = np.zeros(filters, dtype) if bias is None else np.asarray(_arr(bias), dtype=dtype)
    z = add_products(x2, k2, bias_values, axes, relu)

    def backward(g):
        gx, gk, gb = product_gradients(g, z if relu else None, x2, k2, axes, needs_grad(inputs), needs_grad(kernel),
                                       bias is not None and needs_grad(bias))
        return (None if gx is None else gx.reshape(xv.shape), None if gk is None else gk.reshape(kv.shape),
                None if gb is None else gb.astype(_arr(bias).dtype))

    if relu:  # applied as the output was written; the gradient passes through it as it is gathered
        return make(z, (inputs, kernel, bias), backward)
    return _fused(z, (inputs, kernel, bias), backward, activation)


def transpose_padding(span: int, stride: int, padding: str, output_padding: int | None) -> tuple[int, int]:
    """Keras's (before, after) padding of a transposed convolution's dilated input, for a dilated kernel `span`."""
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    total = stride + span - 2 if output_padding is None else span + span % 2 - 2 + output_padding
    before = min(total // 2 + total % 2, span - 1)
    return before, total - before


def _axis(size: int, kernel: int, stride: int, dilation: int, padding: str, output_padding) -> LandingAxis:
    """One axis as Keras pads it: the full result (size - 1) * stride + span, cropped by Keras's padding."""
    span = (kernel - 1) * dilation + 1
    before, after = transpose_padding(span, stride, padding, output_padding)
    out = (size - 1) * stride + before + after - span + 2
    return LandingAxis(size, kernel, stride, dilation, span - 1 - before, out)
