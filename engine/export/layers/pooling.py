"""Converters of the pooling layers: Max/AveragePooling1D/2D as ONNX MaxPool/AveragePool (Keras's average
with "same" padding counts only the real cells: count_include_pad=0), and global pooling as reductions."""

from __future__ import annotations

import numpy as np

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
    op_type = "ReduceMean" if "Average" in type(layer).__name__ else "ReduceMax"
    if mask is None:
        return graph.reduce(op_type, x, layer._spatial_axes(), keepdims=layer.keepdims)
    if not isinstance(layer, GlobalAveragePooling1D):
        raise unsupported(layer, "a mask is only taken by GlobalAveragePooling1D.")
    return masked_average(graph, layer, x, mask)


def masked_average(graph: GraphBuilder, layer: GlobalAveragePooling1D, x: Value, mask: Value) -> Value:
    """The mean over the steps the mask keeps; a masked step is left out by `Where` (as Keras does), so a NaN or
    inf there does not reach the sum."""
    channel_axis = 2 if layer.data_format == "channels_last" else 1
    keep = graph.unsqueeze(graph.cast(mask, np.bool_), [channel_axis])
    kept = graph.op("Where", [keep, x, graph.scalar(0.0, x.dtype)], x.shape, x.dtype)
    steps = layer._spatial_axes()
    total = graph.reduce("ReduceSum", kept, steps, keepdims=layer.keepdims)
    count = graph.reduce("ReduceSum", graph.cast(keep, x.dtype), steps, keepdims=layer.keepdims)
    return graph.binary("Div", total, count, shape=total.shape)
