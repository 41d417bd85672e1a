"""Converters of EinsumDense and the attention layers (MultiHeadAttention, Attention, AdditiveAttention).

EinsumDense is ONNX's `Einsum` with the layer's equation. Attention is written out as MatMul, Softmax and
MatMul over (batch, heads, T, S) scores; a causal mask is a constant, so it needs known sequence lengths.
Masks carried by the inputs (padding masks) are not exported: such a call is refused by name.
"""

from __future__ import annotations

import numpy as np

from engine.export.activations import apply_activation
from engine.export.graph import GraphBuilder, Value
from engine.export.layers.core import weight
from engine.export.registry import converts, unsupported
from engine.layers import AdditiveAttention, Attention, EinsumDense, MultiHeadAttention


@converts(EinsumDense)
def einsum_dense(graph: GraphBuilder, layer: EinsumDense, x: Value) -> Value:
    shape = tuple(layer.compute_output_shape(x.shape))
    y = graph.op("Einsum", [x, weight(graph, layer.kernel, "kernel")], shape, equation=layer.equation.replace(" ", ""))
    if layer.bias is not None:
        y = graph.binary("Add", y, weight(graph, layer.bias, "bias"))
    return apply_activation(graph, layer.activation, y, layer)


def _no_input_masks(layer, **masks) -> None:
    given = [name for name, value in masks.items() if value is not None]
    if given:
        raise unsupported(layer, f"a call with {', '.join(given)} cannot be exported (masks are not carried into "
                                 "the ONNX graph).")


def _causal_keep(graph: GraphBuilder, layer, steps_q, steps_v) -> str:
    if steps_q is None or steps_v is None:
        raise unsupported(layer, "a causal mask needs known sequence lengths in the Input shape to be exported.")
    return graph.const(np.tril(np.ones((steps_q, steps_v), dtype=bool)), "causal_mask")


def _masked(graph: GraphBuilder, scores: Value, keep, fill: float) -> Value:
    """`scores` where `keep` is True, `fill` elsewhere (keep: a bool Value or constant name)."""
    return graph.op("Where", [keep, scores, graph.scalar(fill, scores.dtype)], scores.shape, scores.dtype)


@converts(MultiHeadAttention)
def multi_head_attention(graph: GraphBuilder, layer: MultiHeadAttention, query: Value, value: Value, key=None,
                         query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
                         return_attention_scores=False, training=None, use_causal_mask=False):
    _no_input_masks(layer, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask)
    if len(query.shape) != 3 or layer._sliding_window is not None:
        raise unsupported(layer, "only attention over the steps of (batch, steps, features) inputs, without a "
                                 "sliding window, can be exported.")
    key = value if key is None else key
    gate = einsum_dense(graph, layer._gate_dense, query) if layer._use_gate else None
    with graph.scope("query"):
        q = einsum_dense(graph, layer.query_dense, query)  # (B, T, N, H)
    with graph.scope("key"):
        k = einsum_dense(graph, layer.key_dense, key)
    with graph.scope("value"):
        v = einsum_dense(graph, layer.value_dense, value)
    batch, steps_q, heads = q.shape[0], q.shape[1], q.shape[2]
    steps_v = v.shape[1]
    q = graph.binary("Mul", graph.transpose(q, (0, 2, 1, 3)), graph.scalar(layer._inverse_sqrt_key_dim, q.dtype))
    scores = graph.op("MatMul", [q, graph.transpose(k, (0, 2, 3, 1))], (batch, heads, steps_q, steps_v))
    keep = None
    if use_causal_mask:
        keep = _causal_keep(graph, layer, steps_q, steps_v)
    if attention_mask is not None:
        given = graph.unsqueeze(graph.cast(attention_mask, bool), [1]) if attention_mask.rank == 3 else \
            graph.cast(attention_mask, bool)
        keep = given if keep is None else graph.op("And", [given, keep], scores.shape, bool)
    if keep is not None:
        scores = _masked(graph, scores, keep, -1e9)
    probs = graph.unary("Softmax", scores, axis=3)
    if keep is not None:  # masked probabilities are 0, as Keras's Softmax layer gives them
        probs = _masked(graph, probs, keep, 0.0)
    out = graph.op("MatMul", [probs, graph.transpose(v, (0, 2, 1, 3))], (batch, heads, steps_q, v.shape[-1]))
    out = graph.transpose(out, (0, 2, 1, 3))
    if gate is not None:
        out = graph.binary("Mul", out, gate)
    with graph.scope("attention_output"):
        out = einsum_dense(graph, layer.output_dense, out)
    return (out, probs) if return_attention_scores else out


@converts(Attention, AdditiveAttention)
def attention(graph: GraphBuilder, layer: Attention, inputs, mask=None, training=None,
              return_attention_scores=False, use_causal_mask=False):
    if mask is not None and any(m is not None for m in mask):
        raise unsupported(layer, "masked inputs cannot be exported (masks are not carried into the ONNX graph).")
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    shape = (*query.shape[:-1], key.shape[-2])
    if isinstance(layer, AdditiveAttention) or layer.score_mode == "concat":
        summed = graph.binary("Add", graph.unsqueeze(query, [-2]), graph.unsqueeze(key, [-3]),
                              shape=(*query.shape[:-1], key.shape[-2], query.shape[-1]))
        if isinstance(layer, AdditiveAttention):
            summed = graph.unary("Tanh", summed)
            if layer.scale is not None:
                summed = graph.binary("Mul", summed, weight(graph, layer.scale, "scale"))
        else:
            if layer.scale is not None:
                summed = graph.binary("Mul", summed, weight(graph, layer.scale, "scale"))
            summed = graph.unary("Tanh", summed)
        scores = graph.reduce("ReduceSum", summed, [-1])
        if not isinstance(layer, AdditiveAttention):
            scores = graph.binary("Mul", scores, weight(graph, layer.concat_score_weight, "concat_score_weight"))
    else:
        perm = (*range(key.rank - 2), key.rank - 1, key.rank - 2)
        scores = graph.op("MatMul", [query, graph.transpose(key, perm)], shape)
        if layer.scale is not None:
            scores = graph.binary("Mul", scores, weight(graph, layer.scale, "scale"))
    if use_causal_mask:
        keep = _causal_keep(graph, layer, shape[-2], shape[-1])
        scores = graph.op("Where", [keep, scores, graph.binary("Sub", scores, graph.scalar(1e9, scores.dtype))],
                          shape)
    weights = graph.unary("Softmax", scores, axis=scores.rank - 1)
    out = graph.op("MatMul", [weights, value], (*query.shape[:-1], value.shape[-1]))
    return (out, weights) if return_attention_scores else out
