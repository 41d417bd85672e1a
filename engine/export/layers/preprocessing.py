"""Converters of the preprocessing layers: Rescaling, CategoryEncoding, Discretization in standard ONNX, and
StringLookup / IntegerLookup through ONNX-ML's `LabelEncoder` (which onnxruntime runs).

Category vectors are built as `Equal(indices[..., None], range(depth))`, so out-of-range indices give
zero rows exactly as the engine and Keras do. What ONNX cannot express is refused with the reason:
Hashing (no FarmHash64/SipHash64 operator), TextVectorization (TensorFlow's standardize/split/n-gram
rules), lookups with several OOV buckets (hashed) or none (an error at run time), and `invert=True`.
"""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.export.graph import GraphBuilder, Value
from engine.export.registry import converts, refuses, unsupported
from engine.layers import (
    CategoryEncoding,
    Discretization,
    Hashing,
    IntegerLookup,
    Rescaling,
    StringLookup,
    TextVectorization,
)

ML_DOMAIN = "ai.onnx.ml"

refuses(Hashing, "ONNX has no FarmHash64/SipHash64 operator, so the buckets could not match; hash the column "
                 "before the model, or use a StringLookup with a vocabulary instead.")
refuses(TextVectorization, "ONNX has no operators for TensorFlow's standardize/split/n-gram rules; vectorize the "
                           "text before the exported model.")


@converts(Rescaling)
def rescaling(graph: GraphBuilder, layer: Rescaling, x: Value) -> Value:
    dtype = np.dtype(layer.dtype)
    x = graph.cast(x, dtype)
    scaled = graph.binary("Mul", x, graph.const(np.asarray(layer.scale, dtype=dtype), "scale"))
    return graph.binary("Add", scaled, graph.const(np.asarray(layer.offset, dtype=dtype), "offset"))


def encode(graph: GraphBuilder, indices: Value, output_mode: str, depth: int, dtype) -> Value:
    """`categorical.encode` in ONNX: int64 indices to one_hot / multi_hot / count vectors of `depth`."""
    dtype = np.dtype(dtype)
    if output_mode == "int":
        return graph.cast(indices, dtype)
    indices = graph.cast(indices, np.int64)
    if indices.rank == 0:
        indices = graph.unsqueeze(indices, [0])
    if output_mode == "one_hot" and indices.rank > 1 and indices.shape[-1] == 1:
        indices = graph.squeeze(indices, [-1])
    expanded = graph.unsqueeze(indices, [-1])
    classes = graph.const(np.arange(depth, dtype=np.int64), "classes", key=("classes", depth))
    hits = graph.op("Equal", [expanded, classes], (*indices.shape, depth), np.bool_)
    vectors = graph.cast(hits, dtype)
    if output_mode == "one_hot":
        return vectors
    reduce = "ReduceMax" if output_mode == "multi_hot" else "ReduceSum"
    return graph.reduce(reduce, vectors, [-2])


@converts(CategoryEncoding)
def category_encoding(graph: GraphBuilder, layer: CategoryEncoding, x: Value, count_weights=None) -> Value:
    if count_weights is not None:
        raise unsupported(layer, "`count_weights` cannot be exported.")
    return encode(graph, x, layer.output_mode, layer.num_tokens, layer.dtype)


@converts(Discretization)
def discretization(graph: GraphBuilder, layer: Discretization, x: Value) -> Value:
    """The bucket index is the number of boundaries at or below x (NumPy's `digitize`)."""
    boundaries = np.asarray(layer.bin_boundaries, dtype=np.float64)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    x = graph.cast(x, dtype)
    at_or_below = graph.op("GreaterOrEqual", [graph.unsqueeze(x, [-1]), graph.const(boundaries.astype(dtype),
                                                                                    "bin_boundaries")],
                           (*x.shape, len(boundaries)), np.bool_)
    indices = graph.reduce("ReduceSum", graph.cast(at_or_below, np.int64), [-1])
    dtype = "int32" if layer.output_mode == "int" else layer.dtype
    return encode(graph, indices, layer.output_mode, len(boundaries) + 1, dtype)


@converts(StringLookup, IntegerLookup)
def index_lookup(graph: GraphBuilder, layer, x: Value) -> Value:
    """A `LabelEncoder` from each vocabulary token (and the mask token) to its index; OOV to the OOV index."""
    if layer.invert:
        raise unsupported(layer, "`invert=True` (indices back to tokens) is not exported.")
    if layer.num_oov_indices != 1:
        raise unsupported(layer, f"num_oov_indices={layer.num_oov_indices}: ONNX can only send every unknown "
                                 "token to one OOV index (several are chosen by FarmHash64, none is a run-time "
                                 "error).")
    tokens = layer.get_vocabulary(include_special_tokens=False)
    indices = list(range(layer._token_start_index(), layer._token_start_index() + len(tokens)))
    if layer.mask_token is not None:
        tokens.append(layer.mask_token)
        indices.append(0 if layer.output_mode == "int" else -1)
    if not tokens:
        raise unsupported(layer, "its vocabulary is empty (adapt it or give it a `vocabulary`).")
    strings = isinstance(layer, StringLookup)
    keys = {"keys_strings": [str(t) for t in tokens]} if strings else {"keys_int64s": [int(t) for t in tokens]}
    x = x if strings else graph.cast(x, np.int64)
    looked_up = graph.op("LabelEncoder", [x], x.shape, np.int64, domain=ML_DOMAIN, **keys, values_int64s=indices,
                         default_int64=layer._oov_start_index())
    if layer.output_mode == "int":
        return looked_up
    mode = "count" if layer.output_mode == "tf_idf" else layer.output_mode
    output = encode(graph, looked_up, mode, layer._depth(), backend.floatx())
    if layer.output_mode == "tf_idf":
        output = graph.binary("Mul", output, graph.const(np.asarray(layer.idf_weights, dtype=output.dtype), "idf"))
    return output



