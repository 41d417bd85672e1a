"""The `TextVectorization` converter: Keras's standardize, split and lookup in operators onnxruntime runs.

Every step works on characters, so the result is Keras's for any text:
- standardize: the text is cut into characters (onnxruntime's `com.microsoft` `Tokenizer` in character mode),
  A-Z lowered and ASCII punctuation dropped by an ONNX-ML `LabelEncoder` (other characters kept as they are),
  and the characters joined again (a `Loop` of `StringConcat`, opset 20);
- split: on runs of ASCII whitespace (`Tokenizer` with the six whitespace separators) or into characters;
- lookup: a `LabelEncoder` from token to index, as `StringLookup` does it (`lookup_indices`); the padding that
  the tokenizer adds to short rows gets the mask index.
Not exported: n-grams (refused with the reason). Needs opset 20 or later (`StringConcat`).
"""

from __future__ import annotations

import string

import numpy as np
from onnx import TensorProto, helper

from engine.export.graph import GraphBuilder, Value
from engine.export.layers.preprocessing import ML_DOMAIN, encode, lookup_indices
from engine.export.registry import converts, unsupported
from engine.layers import TextVectorization

MS_DOMAIN = "com.microsoft"
WHITESPACE = [" ", "\t", "\n", "\v", "\f", "\r"]  # what TensorFlow's whitespace split (and bytes.split) cuts on
_CHARACTER_PAD = "<pad>"  # fills short rows of characters: never one character, so never a character of the text
_KEEP = "<keep>"  # the LabelEncoder's answer for a character the standardization leaves as it is
_WORD_PAD = " "  # fills short rows of words: a word never holds whitespace


@converts(TextVectorization)
def text_vectorization(graph: GraphBuilder, layer: TextVectorization, x: Value) -> Value:
    if layer._ngrams is not None:
        raise unsupported(layer, f"ngrams={layer._ngrams_arg!r} is not exported (tokens would have to be joined "
                                 "pairwise in the graph); vectorize the text before the model.")
    if graph.opset < 20:
        raise unsupported(layer, f"text standardization needs ONNX's StringConcat (opset 20); export with "
                                 f"opset=20 or later (this export uses opset {graph.opset}).")
    if x.dtype.kind not in "OUS":
        raise unsupported(layer, f"its input '{x.name}' holds {x.dtype}, not strings.")
    if layer._split is not None:
        if x.rank == 2 and x.shape[-1] == 1:
            x = graph.squeeze(x, [-1])
        if x.rank != 1:
            raise unsupported(layer, f"a text input of shape {x.shape} (Keras splits a batch of strings, shape "
                                     "(batch,) or (batch, 1)).")
    text = standardize(graph, x, layer._standardize)
    lookup = layer._lookup_layer
    if layer._split is None:
        tokens, pad = text, None
    else:
        separators, pad = (WHITESPACE, _WORD_PAD) if layer._split == "whitespace" else ([""], _CHARACTER_PAD)
        tokens = _tokenize(graph, text, separators, pad)
    indices = lookup_indices(graph, lookup, tokens, masked=[pad] if pad is not None else [])
    if layer._output_mode == "int":
        length = layer._output_sequence_length
        if length is None or layer._split is None:
            return indices
        padded = graph.op("Pad", [indices, graph.ints([0, 0, 0, length]), graph.scalar(0, np.int64)],
                          (indices.shape[0], None), mode="constant")
        return graph.slice(padded, 1, 0, length)
    mode = "count" if layer._output_mode == "tf_idf" else layer._output_mode
    if indices.rank == 1:
        indices = graph.unsqueeze(indices, [-1])
    elif layer._split is not None:  # one dropped index more, so a batch of empty texts still has a token axis
        indices = graph.op("Pad", [indices, graph.ints([0, 0, 0, 1]), graph.scalar(-1, np.int64)],
                           (indices.shape[0], None), mode="constant")
    output = encode(graph, indices, mode, lookup._depth(), layer._output_dtype(None))
    if layer._output_mode == "tf_idf":
        output = graph.binary("Mul", output, graph.const(np.asarray(lookup.idf_weights, dtype=output.dtype), "idf"))
    return output


def standardize(graph: GraphBuilder, text: Value, mode: str | None) -> Value:
    """Keras's `lower` / `strip_punctuation` / both on a tensor of strings (ASCII only, as TensorFlow does)."""
    if mode is None:
        return text
    keys, values = [], []
    if mode in ("lower", "lower_and_strip_punctuation"):
        keys += list(string.ascii_uppercase)
        values += list(string.ascii_lowercase)
    if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
        keys += list(string.punctuation)
        values += [""] * len(string.punctuation)
    flat = graph.reshape(text, [-1], (None,))
    characters = _tokenize(graph, flat, [""], _CHARACTER_PAD)
    mapped = graph.op("LabelEncoder", [characters], characters.shape, domain=ML_DOMAIN,
                      keys_strings=[*keys, _CHARACTER_PAD], values_strings=[*values, ""], default_string=_KEEP)
    kept = graph.op("Equal", [mapped, graph.const(np.array(_KEEP, dtype=object), "keep")], mapped.shape, np.bool_)
    characters = graph.op("Where", [kept, characters, mapped], characters.shape)
    empty = graph.op("LabelEncoder", [flat], flat.shape, domain=ML_DOMAIN, keys_strings=[_KEEP],
                     values_strings=[""], default_string="")  # "" for every text: where the joining starts
    count = graph.op("Gather", [graph.op("Shape", [characters], (2,), np.int64), graph.scalar(1, np.int64)], (),
                     axis=0)
    joined, _ = graph.node("Loop", [count, "", empty, characters], 2, body=_join_body())
    joined = Value(joined, flat.shape, flat.dtype)
    return joined if text.rank == 1 else graph.op("Reshape", [joined, graph.op("Shape", [text], (text.rank,),
                                                                                 np.int64)], text.shape)


def _tokenize(graph: GraphBuilder, text: Value, separators: list[str], pad: str) -> Value:
    """onnxruntime's Tokenizer on a batch of strings: (batch, longest) tokens, short rows filled with `pad`;
    `separators` [""] cuts characters."""
    tokens = graph.op("Tokenizer", [text], (text.shape[0], None), np.dtype(object), domain=MS_DOMAIN, mark=0,
                      mincharnum=1, pad_value=pad, separators=separators)
    return graph.declare(tokens)


def _join_body():
    """Loop body: the text so far followed by character number `i` (the characters are carried through, so the
    loop names everything it reads: a Scan over them hits an onnxruntime bug that repeats earlier characters)."""
    def strings(name, dims):
        return helper.make_tensor_value_info(name, TensorProto.STRING, dims)

    nodes = [helper.make_node("Gather", ["characters", "i"], ["character"], axis=1),
             helper.make_node("StringConcat", ["so_far", "character"], ["longer"]),
             helper.make_node("Identity", ["go_on"], ["go_on_next"]),
             helper.make_node("Identity", ["characters"], ["characters_next"])]
    return helper.make_graph(nodes, "join", [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                                             helper.make_tensor_value_info("go_on", TensorProto.BOOL, []),
                                             strings("so_far", ["n"]), strings("characters", ["n", "m"])],
                             [helper.make_tensor_value_info("go_on_next", TensorProto.BOOL, []),
                              strings("longer", ["n"]), strings("characters_next", ["n", "m"])])
