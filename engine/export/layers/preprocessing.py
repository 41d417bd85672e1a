"""Converters of the preprocessing layers: Rescaling, CategoryEncoding, Discretization in standard ONNX, and
StringLookup / IntegerLookup through ONNX-ML's `LabelEncoder` (which onnxruntime runs); TextVectorization
is in `text.py`, Hashing (integers) in `hashing.py`.

Category vectors are built as `Equal(indices[..., None], range(depth))`, so out-of-range indices give
zero rows exactly as the engine and Keras do. What ONNX cannot express is refused with the reason:
string lookups with several OOV buckets (spread by FarmHash64 of the string's bytes), and `invert=True`.
"""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.export.graph import INT64_MIN, GraphBuilder, Value
from engine.export.registry import converts, unsupported
from engine.layers import (
    CategoryEncoding,
    Discretization,
    IntegerLookup,
    Rescaling,
    StringLookup,
)

ML_DOMAIN = "ai.onnx.ml"



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
    """The bucket index is the number of boundaries x is not below (NumPy's `digitize`, TensorFlow's `Bucketize`:
    NaN is below none, so it lands in the last bucket)."""
    boundaries = np.asarray(layer.bin_boundaries, dtype=np.float64)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    x = graph.cast(x, dtype)
    shape = (*x.shape, len(boundaries))
    below = graph.op("Less", [graph.unsqueeze(x, [-1]), graph.const(boundaries.astype(dtype), "bin_boundaries")],
                     shape, np.bool_)
    indices = graph.reduce("ReduceSum", graph.cast(graph.op("Not", [below], shape), np.int64), [-1])
    dtype = "int32" if layer.output_mode == "int" else layer.dtype
    return encode(graph, indices, layer.output_mode, len(boundaries) + 1, dtype)


@converts(StringLookup, IntegerLookup)
def index_lookup(graph: GraphBuilder, layer, x: Value) -> Value:
    """The lookup's indices, encoded as its `output_mode` says."""
    looked_up = lookup_indices(graph, layer, x)
    if layer.output_mode == "int":
        return looked_up
    mode = "count" if layer.output_mode == "tf_idf" else layer.output_mode
    output = encode(graph, looked_up, mode, layer._depth(), backend.floatx())
    if layer.output_mode == "tf_idf":
        output = graph.binary("Mul", output, graph.const(np.asarray(layer.idf_weights, dtype=output.dtype), "idf"))
    return output


def lookup_indices(graph: GraphBuilder, layer, x: Value, masked=()) -> Value:
    """int64 indices of `x` in `layer`'s vocabulary, as Keras's `IndexLookup.lookup`: a `LabelEncoder` from each
    token (and the mask token, and the tokens in `masked`) to its index. Unknown tokens go to the OOV index; with
    several OOV indices, integers to `floormod(x, n)` after it (Keras's IntegerLookup); with none (an error in
    Keras), to -1, which encodes as a zero vector."""
    if layer.invert:
        raise unsupported(layer, "`invert=True` (indices back to tokens) is not exported.")
    strings = isinstance(layer, StringLookup) or layer.vocabulary_dtype == "string"
    several = layer.num_oov_indices > 1
    if several and (strings or layer.oov_method != "floormod"):
        raise unsupported(layer, f"num_oov_indices={layer.num_oov_indices} with strings or oov_method='farmhash': "
                                 "unknown tokens are spread over the OOV indices by FarmHash64, which ONNX has no "
                                 "operator for; use num_oov_indices=1.")
    tokens = layer.get_vocabulary(include_special_tokens=False)
    indices = list(range(layer._token_start_index(), layer._token_start_index() + len(tokens)))
    mask_index = 0 if layer.output_mode == "int" else -1
    for token in [*([layer.mask_token] if layer.mask_token is not None else []), *masked]:
        tokens.append(token)
        indices.append(mask_index)
    if not tokens:
        raise unsupported(layer, "its vocabulary is empty (adapt it or give it a `vocabulary`).")
    unknown = -1 if layer.num_oov_indices == 0 else layer._oov_start_index()
    keys = {"keys_strings": [str(t) for t in tokens]} if strings else {"keys_int64s": [int(t) for t in tokens]}
    x = x if strings else graph.cast(x, np.int64)
    found = graph.op("LabelEncoder", [x], x.shape, np.int64, domain=ML_DOMAIN, **keys, values_int64s=indices,
                     default_int64=INT64_MIN if several else unknown)
    if not several:
        return found
    spread = graph.binary("Add", graph.binary("Mod", x, graph.scalar(layer.num_oov_indices, np.int64)),
                          graph.scalar(layer._oov_start_index(), np.int64))
    is_unknown = graph.op("Equal", [found, graph.scalar(INT64_MIN, np.int64)], x.shape, np.bool_)
    return graph.op("Where", [is_unknown, spread, found], x.shape, np.int64)
