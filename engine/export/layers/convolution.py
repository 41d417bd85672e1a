"""Converters of the convolutions: Conv1D/2D/3D (groups, dilation, causal padding), DepthwiseConv1D/2D,
SeparableConv1D/2D and Conv1D/2DTranspose, as ONNX Conv and ConvTranspose with Keras's kernels
rearranged to ONNX's (out_channels, in_channels / group, *kernel_size)."""

from __future__ import annotations

import numpy as np

from engine.export.graph import GraphBuilder, Value
from engine.export.layers.core import weight
from engine.export.layers.spatial import (
    channels_first_shape,
    finish,
    spatial_sizes,
    to_channels_first,
    window_padding,
)
from engine.export.registry import converts, unsupported
from engine.layers import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from engine.ops.transposed_conv import transpose_padding


def _conv_kernel(kernel: np.ndarray) -> np.ndarray:
    """Keras (*k, in, out) -> ONNX (out, in, *k)."""
    rank = kernel.ndim - 2
    return kernel.transpose(rank + 1, rank, *range(rank))


def _depthwise_kernel(kernel: np.ndarray) -> np.ndarray:
    """Keras (*k, channels, multiplier) -> ONNX (channels * multiplier, 1, *k); output channel
    c * multiplier + m comes from input channel c in both."""
    rank = kernel.ndim - 2
    flat = kernel.reshape(*kernel.shape[:rank], -1)
    return np.moveaxis(flat, -1, 0)[:, None]


def _window_attributes(layer, x: Value, padding: str | None = None) -> dict:
    attributes = {"kernel_shape": list(layer.kernel_size), "strides": list(layer.strides),
                  "dilations": list(layer.dilation_rate)}
    padding = padding or layer.padding
    if padding == "causal":
        left = layer.dilation_rate[0] * (layer.kernel_size[0] - 1)
        return {**attributes, "pads": [left, 0]}
    return {**attributes, **window_padding(spatial_sizes(x, layer.data_format), layer.kernel_size, layer.strides,
                                           layer.dilation_rate, padding)}


def _output(layer, x: Value) -> tuple:
    return channels_first_shape(layer.compute_output_shape(x.shape), layer.data_format)


@converts(Conv1D, Conv2D, Conv3D)
def conv(graph: GraphBuilder, layer, x: Value) -> Value:
    inputs = [to_channels_first(graph, x, layer.data_format), weight(graph, layer.kernel, "kernel", _conv_kernel)]
    if layer.use_bias:
        inputs.append(weight(graph, layer.bias, "bias"))
    y = graph.op("Conv", inputs, _output(layer, x), group=layer.groups, **_window_attributes(layer, x))
    return finish(graph, layer, y)


@converts(DepthwiseConv1D, DepthwiseConv2D)
def depthwise_conv(graph: GraphBuilder, layer, x: Value) -> Value:
    channels = layer.kernel.shape[-2]
    inputs = [to_channels_first(graph, x, layer.data_format),
              weight(graph, layer.kernel, "depthwise_kernel", _depthwise_kernel)]
    if layer.use_bias:
        inputs.append(weight(graph, layer.bias, "bias"))
    y = graph.op("Conv", inputs, _output(layer, x), group=channels, **_window_attributes(layer, x))
    return finish(graph, layer, y)


@converts(SeparableConv1D, SeparableConv2D)
def separable_conv(graph: GraphBuilder, layer, x: Value) -> Value:
    """The depthwise convolution (strides, padding, dilation), then a 1x1 convolution with the bias."""
    channels, multiplier = layer.depthwise_kernel.shape[-2:]
    out = _output(layer, x)
    depthwise = graph.op("Conv", [to_channels_first(graph, x, layer.data_format),
                                  weight(graph, layer.depthwise_kernel, "depthwise_kernel", _depthwise_kernel)],
                         (out[0], channels * multiplier, *out[2:]), group=channels, **_window_attributes(layer, x))
    inputs = [depthwise, weight(graph, layer.pointwise_kernel, "pointwise_kernel", _conv_kernel)]
    if layer.use_bias:
        inputs.append(weight(graph, layer.bias, "bias"))
    ones = [1] * layer.rank
    y = graph.op("Conv", inputs, out, kernel_shape=ones, strides=ones, pads=[0] * (2 * layer.rank))
    return finish(graph, layer, y)


@converts(Conv1DTranspose, Conv2DTranspose)
def conv_transpose(graph: GraphBuilder, layer, x: Value) -> Value:
    """Keras's output size and padding split as ONNX pads (cropped from the full transposed convolution)
    and output_padding (cells added at the end where Keras pads beyond it)."""
    begins, ends, extras = [], [], []
    extra_sizes = layer.output_padding or (None,) * layer.rank
    for k, s, d, extra in zip(layer.kernel_size, layer.strides, layer.dilation_rate, extra_sizes):
        span = (k - 1) * d + 1
        before, after = transpose_padding(span, s, layer.padding, extra)
        crop_begin, crop_end = span - 1 - before, span - 1 - after
        if crop_begin < 0 or -crop_end >= max(s, d):
            raise unsupported(layer, f"its padding (kernel_size={layer.kernel_size}, strides={layer.strides}, "
                                     f"output_padding={layer.output_padding}) has no ONNX ConvTranspose equivalent.")
        begins.append(crop_begin)
        ends.append(max(crop_end, 0))
        extras.append(max(-crop_end, 0))
    inputs = [to_channels_first(graph, x, layer.data_format), weight(graph, layer.kernel, "kernel", _conv_kernel)]
    if layer.use_bias:
        inputs.append(weight(graph, layer.bias, "bias"))
    y = graph.op("ConvTranspose", inputs, _output(layer, x), kernel_shape=list(layer.kernel_size),
                 strides=list(layer.strides), dilations=list(layer.dilation_rate), pads=begins + ends,
                 output_padding=extras)
    return finish(graph, layer, y)
