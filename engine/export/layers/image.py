"""Converters of the image layers: Resizing (two MatMuls with the layer's interpolation matrices) and the random
augmentation layers (RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast), which an exported
model runs at inference, where Keras makes them the identity: they are written as no node at all."""

from __future__ import annotations

from engine.export.graph import GraphBuilder, Value
from engine.export.registry import converts, unsupported
from engine.layers import RandomContrast, RandomFlip, RandomRotation, RandomTranslation, RandomZoom, Resizing
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


@converts(RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast)
def random_augmentation(graph: GraphBuilder, layer, x: Value, training=None) -> Value:
    """Augmentation happens in training only; inference passes the images through."""
    return x
