"""Converters of the merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum (inputs of lower
rank get new axes after the batch axis, as Keras gives them), Concatenate and Dot (as Einsum)."""

from __future__ import annotations

import string

from engine import backend
from engine.export.graph import GraphBuilder, Value
from engine.export.registry import converts, unsupported
from engine.layers import Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract

_BINARY = {Add: "Add", Subtract: "Sub", Multiply: "Mul", Average: "Add", Maximum: "Max", Minimum: "Min"}


def _inputs(layer, inputs) -> list[Value]:
    if not isinstance(inputs, (list, tuple)) or not all(isinstance(v, Value) for v in inputs):
        raise unsupported(layer, "a merge layer must be called on a list of tensors.")
    return list(inputs)


@converts(Add, Subtract, Multiply, Average, Maximum, Minimum)
def elementwise_merge(graph: GraphBuilder, layer, inputs, **kwargs) -> Value:
    """A left-to-right chain of binary ops (the engine's order of operations), Average divided at the end."""
    values = _inputs(layer, inputs)
    top = max(v.rank for v in values)
    values = [graph.unsqueeze(v, list(range(1, 1 + top - v.rank))) if v.rank < top else v for v in values]
    shape = layer.compute_output_shape([v.shape for v in values])
    out = values[0]
    for v in values[1:]:
        out = graph.binary(_BINARY[type(layer)], out, v, shape=shape)
    if isinstance(layer, Average):
        out = graph.binary("Div", out, graph.scalar(len(values), out.dtype))
    return out


@converts(Concatenate)
def concatenate(graph: GraphBuilder, layer: Concatenate, inputs, **kwargs) -> Value:
    values = _inputs(layer, inputs)
    shape = layer.compute_output_shape([v.shape for v in values])
    return graph.op("Concat", values, shape, axis=values[0].axis(layer.axis))


@converts(Dot)
def dot(graph: GraphBuilder, layer: Dot, inputs, **kwargs) -> Value:
    """The batched dot product along `axes` as one Einsum (after L2-normalizing with `normalize=True`)."""
    x, y = _inputs(layer, inputs)
    ax, ay = layer._resolved_axes(x.rank, y.rank)
    if layer.normalize:
        x, y = _l2_normalize(graph, x, ax), _l2_normalize(graph, y, ay)
    letters = iter(string.ascii_letters[2:])
    x_spec = ["a"] + [next(letters) for _ in range(x.rank - 1)]
    x_spec[ax] = "b"
    y_spec = ["a"] + [next(letters) for _ in range(y.rank - 1)]
    y_spec[ay] = "b"
    out_spec = ["a"] + [c for c in x_spec[1:] if c != "b"] + [c for c in y_spec[1:] if c != "b"]
    shape = layer.compute_output_shape([x.shape, y.shape])
    equation = f"{''.join(x_spec)},{''.join(y_spec)}->{''.join(out_spec)}"
    if len(out_spec) == 1:
        out = graph.op("Einsum", [x, y], shape[:1], equation=equation)
        return graph.unsqueeze(out, [1])
    return graph.op("Einsum", [x, y], shape, equation=equation)


def _l2_normalize(graph: GraphBuilder, x: Value, axis: int) -> Value:
    """`x / sqrt(max(sum(x^2), epsilon^2))` along `axis`, as the engine's Dot(normalize=True)."""
    eps = backend.epsilon()
    squares = graph.reduce("ReduceSum", graph.binary("Mul", x, x), [axis], keepdims=True)
    floor = graph.binary("Max", squares, graph.scalar(eps * eps, x.dtype))
    return graph.binary("Mul", x, graph.binary("Pow", floor, graph.scalar(-0.5, x.dtype)), shape=x.shape)
