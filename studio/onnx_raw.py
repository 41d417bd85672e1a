"""The ONNX model on raw CSV rows: the project's fitted preprocessing inside the graph, in front of the model.

One graph input per feature column, named as the column, shape (batch, 1): numbers as float32 with NaN for a
missing cell; categories and text as strings, the cell's text (without surrounding spaces, as LayerStudio reads
it; any spelling of NA, N/A, NaN, null, none, ?, missing or an empty cell is missing). Inside the graph, in the
project's words: missing values are filled as the project says (the training mean or most frequent value),
numbers standardized (`Normalization`), categories one-hot encoded (`StringLookup`), text vectorized
(`TextVectorization`: Keras's lower-casing, punctuation stripping, whitespace split and vocabulary, through
onnxruntime's Tokenizer). The output `probabilities` holds one column per class name (in `class_names` order),
or for regression an output named as the target, in the file's units. A row the studio's Predict refuses (a
missing value in a column whose rule is to drop the row, a category not seen in training, an infinite number)
comes out as NaN.
"""

from __future__ import annotations

import itertools

import numpy as np

import engine
from engine import layers
from engine.export import GraphAdapter
from engine.export.graph import GraphBuilder, Value
from studio.data.column_data import MISSING_TOKENS
from studio.data.preprocess import BINARY, REGRESSION, Preprocessor
from studio.data.spec import MissingStrategy, Scaling

ML_DOMAIN = "ai.onnx.ml"
TEXT_OPSET = 20  # StringConcat, used to standardize text

LAYOUT = ("raw CSV rows: one input per column of input_columns, named as the column, shape (batch, 1): numbers as "
          "float32 with NaN where the cell is missing, categories and text as strings (the cell's text without "
          "surrounding spaces). Missing values are filled, numbers standardized, categories one-hot encoded and "
          "text vectorized inside the graph as the project does; output 'probabilities' has one column per class "
          "in class_names order (regression: one output named as the target, in the file's units). A row the "
          "studio's Predict refuses (a missing value in a column whose rows are dropped, a category not seen in "
          "training, an infinite number) gives NaN.")


class RawOnnxError(ValueError):
    """A project whose model cannot take raw rows in ONNX; the message says why."""


def missing_spellings() -> list[str]:
    """Every upper/lower-case spelling of the cells the studio reads as missing ("na", "NA", "Na", ...)."""
    spellings = set()
    for token in MISSING_TOKENS:
        spellings.update("".join(letters) for letters in itertools.product(*[{c.lower(), c.upper()} for c in token]))
    return sorted(spellings)


def raw_rows_model(preprocessor: Preprocessor, model):
    """(engine model from a dict of raw columns to `probabilities`, the adapter that fills missing values and
    marks refused rows in the ONNX graph, the opset it needs)."""
    if preprocessor.windows is not None or (preprocessor.encoder is not None and preprocessor.encoder.kind != "text"):
        kind = "time-series windows" if preprocessor.windows is not None else preprocessor.encoder.kind
        raise RawOnnxError(f"the project's data are {kind.replace('_', ' ')}; raw rows in ONNX are tables of "
                           "numbers, categories and text.")
    if len(model.inputs) != 1 or len(model.outputs) != 1 or len(preprocessor.targets) != 1:
        raise RawOnnxError("the model has several inputs or outputs; raw rows are taken by one input and one "
                           "output.")
    expected = tuple(preprocessor.input_shape)
    if tuple(model.inputs[0].shape[1:]) != expected:
        raise RawOnnxError(f"the model's input has shape {model.inputs[0].shape}, not the prepared {expected}.")
    inputs, encoded = {}, []
    for feature in preprocessor.features:
        if feature.type == "numeric":
            x = engine.Input(shape=(1,), name=feature.name)
            if preprocessor.scaling == Scaling.STANDARD:
                x_scaled = layers.Normalization(mean=[feature.mean], variance=[feature.std ** 2])(x)
            else:
                x_scaled = x
            encoded.append(x_scaled)
        elif feature.type == "categorical":
            x = engine.Input(shape=(1,), dtype="string", name=feature.name)
            encoded.append(layers.StringLookup(vocabulary=list(feature.categories), num_oov_indices=0,
                                               output_mode="one_hot")(x))
        elif feature.type == "text":
            x = engine.Input(shape=(1,), dtype="string", name=feature.name)
            text = preprocessor.encoder
            encoded.append(layers.TextVectorization(**text.layer_config())(x))
        else:
            raise RawOnnxError(f"column {feature.name!r} holds {feature.type}s; raw rows in ONNX take numbers, "
                               "categories and text.")
        inputs[feature.name] = x
    features = encoded[0] if len(encoded) == 1 else layers.Concatenate()(encoded)
    output = model(features)
    target = preprocessor.target
    if target.task == REGRESSION:
        if target.std != 1.0 or target.mean != 0.0:
            output = layers.Rescaling(scale=target.std, offset=target.mean)(output)
    elif target.task == BINARY and output.shape[-1] == 1:  # a sigmoid unit: p(first class) = 1 - p(second)
        output = layers.Concatenate()([layers.Rescaling(scale=-1.0, offset=1.0)(output), output])
    elif output.shape[-1] != len(target.classes):
        raise RawOnnxError(f"the model's output has {output.shape[-1]} columns for {len(target.classes)} classes "
                           f"of {target.name!r}.")
    output = layers.Identity(name="probabilities" if target.task != REGRESSION else target.name)(output)
    opset = TEXT_OPSET if preprocessor.encoder is not None else 17
    return engine.Model(inputs, output, name=f"{model.name}_raw_rows"), RawRows(preprocessor), opset


class RawRows(GraphAdapter):
    """Fills missing values as the project does before the preprocessing layers, and turns the outputs of rows the
    studio's Predict refuses into NaN."""

    def __init__(self, preprocessor: Preprocessor):
        self.features = preprocessor.features
        self.valid: list[Value] = []  # (batch, 1) booleans: the rows each column lets through

    def inputs(self, graph: GraphBuilder, inputs: list[Value]) -> list[Value]:
        by_name = {f.name: f for f in self.features}
        fed = []
        for x in inputs:
            feature = by_name[x.name]
            with graph.scope(f"{x.name}_missing"):
                fed.append(self._numbers(graph, feature, x) if feature.type == "numeric" else
                           self._strings(graph, feature, x))
        return fed

    def _numbers(self, graph: GraphBuilder, feature, x: Value) -> Value:
        infinite = graph.op("IsInf", [x], x.shape, np.bool_)
        missing = graph.op("IsNaN", [x], x.shape, np.bool_)
        if feature.fill is None:  # drop rows
            self._refuse(graph, graph.op("Or", [infinite, missing], x.shape))
            return x
        self._refuse(graph, infinite)
        return graph.op("Where", [missing, graph.scalar(feature.fill, x.dtype), x], x.shape, x.dtype)

    def _strings(self, graph: GraphBuilder, feature, x: Value) -> Value:
        spellings = missing_spellings()
        flag = graph.op("LabelEncoder", [x], x.shape, np.int64, domain=ML_DOMAIN, keys_strings=spellings,
                        values_int64s=[1] * len(spellings), default_int64=0)
        missing = graph.cast(flag, np.bool_)
        fill = feature.fill if feature.type == "categorical" else ""  # a missing text is a text of no words
        drop = feature.missing == MissingStrategy.DROP_ROWS or fill is None
        if feature.type == "categorical":
            known = [*feature.categories, *([] if drop else spellings)]
            found = graph.op("LabelEncoder", [x], x.shape, np.int64, domain=ML_DOMAIN, keys_strings=known,
                             values_int64s=[1] * len(known), default_int64=0)
            self._refuse(graph, graph.op("Not", [graph.cast(found, np.bool_)], x.shape))
        elif drop:
            self._refuse(graph, missing)
        if drop:
            return x
        return graph.op("Where", [missing, graph.const(np.array(fill, dtype=object), "fill"), x], x.shape, x.dtype)

    def _refuse(self, graph: GraphBuilder, refused: Value) -> None:
        self.valid.append(graph.op("Not", [refused], refused.shape))

    def outputs(self, graph: GraphBuilder, outputs: list[Value]) -> list[Value]:
        if not self.valid:
            return outputs
        valid = self.valid[0]
        for other in self.valid[1:]:
            valid = graph.op("And", [valid, other], valid.shape)
        return [graph.op("Where", [valid, y, graph.scalar(np.nan, y.dtype)], y.shape, y.dtype) for y in outputs]
