"""Converters of the activation layers (ReLU, LeakyReLU, PReLU, ELU, Softmax) and Identity."""

from __future__ import annotations

import functools

from engine import activations
from engine.export.activations import apply_activation
from engine.export.graph import GraphBuilder, Value
from engine.export.layers.core import weight
from engine.export.registry import converts, unsupported
from engine.layers import ELU, Identity, LeakyReLU, PReLU, ReLU, Softmax


@converts(ReLU)
def relu(graph: GraphBuilder, layer: ReLU, x: Value) -> Value:
    function = functools.partial(activations.relu, negative_slope=layer.negative_slope, max_value=layer.max_value,
                                 threshold=layer.threshold)
    return apply_activation(graph, function, x, layer)


@converts(LeakyReLU)
def leaky_relu(graph: GraphBuilder, layer: LeakyReLU, x: Value) -> Value:
    return graph.unary("LeakyRelu", x, alpha=float(layer.negative_slope))


@converts(ELU)
def elu(graph: GraphBuilder, layer: ELU, x: Value) -> Value:
    return graph.unary("Elu", x, alpha=float(layer.alpha))


@converts(PReLU)
def prelu(graph: GraphBuilder, layer: PReLU, x: Value) -> Value:
    return graph.op("PRelu", [x, weight(graph, layer.alpha, "alpha")], x.shape)


@converts(Softmax)
def softmax(graph: GraphBuilder, layer: Softmax, x: Value, mask=None) -> Value:
    if mask is not None:
        raise unsupported(layer, "a masked softmax cannot be exported (masks are not carried into the ONNX graph).")
    axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    if len(axes) == 1:
        return graph.unary("Softmax", x, axis=x.axis(axes[0]))
    shifted = graph.binary("Sub", x, graph.reduce("ReduceMax", x, axes, keepdims=True))
    e = graph.unary("Exp", shifted)
    return graph.binary("Div", e, graph.reduce("ReduceSum", e, axes, keepdims=True))


@converts(Identity)
def identity(graph: GraphBuilder, layer: Identity, x: Value) -> Value:
    return x
