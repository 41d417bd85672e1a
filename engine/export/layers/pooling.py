"""Converters of the pooling layers: Max/AveragePooling1D/2D as ONNX MaxPool/AveragePool (Keras's average
with "same" padding counts only the real cells: count_include_pad=0), and global pooling as reductions."""

from __future__ import annotations

from engine.export.graph import GraphBuilder, Value
from engine.export.layers.spatial import (
    channels_first_shape,
    from_channels_first,
    spatial_sizes,
    to_channels_first,
    window_padding,
)
from engine.export.registry import converts, unsupported
from engine.layers import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)


@converts(MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D)
def pooling(graph: GraphBuilder, layer, x: Value) -> Value:
    rank = len(layer.pool_size)
    attributes = {"kernel_shape": list(layer.pool_size), "strides": list(layer.strides),
                  **window_padding(spatial_sizes(x, layer.data_format), layer.pool_size, layer.strides,
                                   (1,) * rank, layer.padding)}
    if layer.pool_mode == "average":
        op_type = "AveragePool"
        attributes["count_include_pad"] = 0
    else:
        op_type = "MaxPool"
    shape = channels_first_shape(layer.compute_output_shape(x.shape), layer.data_format)
    y = graph.op(op_type, [to_channels_first(graph, x, layer.data_format)], shape, **attributes)
    return from_channels_first(graph, y, layer.data_format)


@converts(GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D)
def global_pooling(graph: GraphBuilder, layer, x: Value, mask=None) -> Value:
    if mask is not None:
        raise unsupported(layer, "a masked global average cannot be exported.")
    op_type = "ReduceMean" if "Average" in type(layer).__name__ else "ReduceMax"
    return graph.reduce(op_type, x, layer._spatial_axes(), keepdims=layer.keepdims)
