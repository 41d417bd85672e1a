"""Converters of the image layers: Resizing (two MatMuls with the layer's interpolation matrices) and RandomFlip
(the identity at inference, as in Keras)."""

from __future__ import annotations

from engine.export.graph import GraphBuilder, Value
from engine.export.registry import converts, unsupported
from engine.layers import RandomFlip, Resizing
from engine.layers.preprocessing.image.resizing import interpolation_matrix


@converts(Resizing)
def resizing(graph: GraphBuilder, layer: Resizing, x: Value) -> Value:
    h_axis, w_axis = layer._axes(x.rank)
    if x.shape[h_axis] is None or x.shape[w_axis] is None:
        raise unsupported(layer, "the image height and width must be known (set them in the Input) to be exported.")
    rows = interpolation_matrix(layer.height, x.shape[h_axis], layer.interpolation).astype(x.dtype)
    cols = interpolation_matrix(layer.width, x.shape[w_axis], layer.interpolation).astype(x.dtype)
    perm = [a for a in range(x.rank) if a not in (h_axis, w_axis)] + [h_axis, w_axis]
    moved = graph.transpose(x, perm)
    tall = graph.op("MatMul", [graph.const(rows, "rows"), moved], (*moved.shape[:-2], layer.height, moved.shape[-1]))
    wide = graph.op("MatMul", [tall, graph.const(cols.T.copy(), "columns")], (*tall.shape[:-1], layer.width))
    back = [perm.index(a) for a in range(x.rank)]
    return graph.transpose(wide, back)


@converts(RandomFlip)
def random_flip(graph: GraphBuilder, layer: RandomFlip, x: Value, training=None) -> Value:
    return x
