"""Converter of TimeDistributed: the steps folded into the batch (a Reshape), the wrapped layer's own converter,
then the steps unfolded again."""

from __future__ import annotations

from engine.export.graph import GraphBuilder, Value
from engine.export.layers.models import convert_layer
from engine.export.registry import converts, unsupported
from engine.layers import TimeDistributed


@converts(TimeDistributed)
def time_distributed(graph: GraphBuilder, layer: TimeDistributed, x: Value, training=None, mask=None) -> Value:
    if mask is not None:
        raise unsupported(layer, "masked sequences cannot be exported.")
    steps = x.shape[1]
    if steps is None or any(d is None for d in x.shape[2:]):
        raise unsupported(layer, "the number of steps and the step shape must be known (set them in the Input) to "
                                 "be exported.")
    folded = graph.reshape(x, [-1, *x.shape[2:]], (None, *x.shape[2:]))
    out = convert_layer(graph, layer.layer, (folded,), {})
    if not isinstance(out, Value) or any(d is None for d in out.shape[1:]):
        raise unsupported(layer, "the wrapped layer must give one output of known shape to be exported.")
    return graph.reshape(out, [-1, steps, *out.shape[1:]], (x.shape[0], steps, *out.shape[1:]))
