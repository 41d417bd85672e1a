"""What convolutions and poolings share: ONNX's channels_first layout around them, and window padding.

ONNX's Conv and Pool operators read (batch, channels, *spatial). A channels_last value is transposed
in, and the result transposed back; the graph builder cancels a transpose back followed by a transpose
in, so stacked convolutions and poolings stay channels_first in between.
"""

from __future__ import annotations

from engine.export.activations import apply_activation, is_elementwise
from engine.export.graph import GraphBuilder, Value
from engine.ops.conv import same_padding


def to_channels_first(graph: GraphBuilder, x: Value, data_format: str) -> Value:
    if data_format == "channels_first":
        return x
    return graph.transpose(x, (0, x.rank - 1, *range(1, x.rank - 1)))


def from_channels_first(graph: GraphBuilder, y: Value, data_format: str) -> Value:
    if data_format == "channels_first":
        return y
    return graph.transpose(y, (0, *range(2, y.rank), 1))


def channels_first_shape(shape, data_format: str) -> tuple:
    """A shape in the layer's data format, in channels_first order."""
    if data_format == "channels_first":
        return tuple(shape)
    return (shape[0], shape[-1], *shape[1:-1])


def window_padding(spatial_sizes, window, strides, dilation, padding: str) -> dict:
    """ONNX attributes for Keras's padding: "valid" is none; "same" puts the extra cell after (right,
    bottom), as TensorFlow does; with an unknown input size, ONNX's SAME_UPPER computes the same split."""
    rank = len(window)
    if padding == "valid":
        return {"pads": [0] * (2 * rank)}
    if any(n is None for n in spatial_sizes):
        return {"auto_pad": "SAME_UPPER"}
    pairs = [same_padding(n, (k - 1) * d + 1, s) for n, k, s, d in zip(spatial_sizes, window, strides, dilation)]
    return {"pads": [lo for lo, _ in pairs] + [hi for _, hi in pairs]}


def spatial_sizes(x: Value, data_format: str) -> tuple:
    return tuple(x.shape[1:-1] if data_format == "channels_last" else x.shape[2:])


def finish(graph: GraphBuilder, layer, y: Value) -> Value:
    """The layer's activation on a channels_first result, and the result back in the layer's layout
    (an elementwise activation runs before the transpose back, so the next layer can skip it)."""
    if is_elementwise(layer.activation):
        return from_channels_first(graph, apply_activation(graph, layer.activation, y, layer), layer.data_format)
    return apply_activation(graph, layer.activation, from_channels_first(graph, y, layer.data_format), layer)
