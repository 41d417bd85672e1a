"""Converters of the core layers: Dense, Activation, Embedding, and the layers that are the identity at
inference (dropout variants, noise, activity regularization)."""

from __future__ import annotations

import numpy as np

from engine.export.activations import apply_activation
from engine.export.graph import GraphBuilder, Value
from engine.export.registry import converts, refuses, unsupported
from engine.layers import (
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Embedding,
    GaussianDropout,
    GaussianNoise,
    Lambda,
    Masking,
    SpatialDropout1D,
    SpatialDropout2D,
)


def weight(graph: GraphBuilder, variable, hint: str, transform=None) -> str:
    """A layer weight (rearranged by `transform`) as an initializer, made once per weight and `hint` however
    often the layer is called: a converter gives each different arrangement of a weight its own hint."""
    array = np.asarray(variable.value)
    return graph.const(array if transform is None else transform(array), hint, key=(id(variable), hint))


@converts(Dense)
def dense(graph: GraphBuilder, layer: Dense, x: Value) -> Value:
    """`x @ kernel + bias` on the last axis (any rank: MatMul broadcasts), then the activation."""
    y = graph.op("MatMul", [x, weight(graph, layer.kernel, "kernel")], (*x.shape[:-1], layer.units))
    if layer.use_bias:
        y = graph.binary("Add", y, weight(graph, layer.bias, "bias"))
    return apply_activation(graph, layer.activation, y, layer)


@converts(Activation)
def activation(graph: GraphBuilder, layer: Activation, x: Value) -> Value:
    return apply_activation(graph, layer.activation, x, layer)


@converts(Embedding)
def embedding(graph: GraphBuilder, layer: Embedding, x: Value) -> Value:
    """Rows of the table gathered by index (float indices are truncated to integers, as Keras casts them)."""
    if layer.mask_zero:
        raise unsupported(layer, "mask_zero=True makes a padding mask for the layers after it, and masks are not "
                                 "carried into the ONNX graph (later layers would attend to or average over padding).")
    indices = x if x.dtype in (np.int32, np.int64) else graph.cast(x, np.int64)
    table = weight(graph, layer.embeddings, "embeddings")
    return graph.op("Gather", [table, indices], (*x.shape, layer.output_dim), layer.embeddings.value.dtype, axis=0)


@converts(Dropout, SpatialDropout1D, SpatialDropout2D, GaussianNoise, GaussianDropout, ActivityRegularization)
def identity_at_inference(graph: GraphBuilder, layer, x: Value, **kwargs) -> Value:
    return x


refuses(Lambda, "it runs a Python function, whose computation is unknown until it runs; write it with layers "
                "that have converters")
refuses(Masking, "it makes a padding mask for the layers after it, and masks are not carried into the ONNX graph")
