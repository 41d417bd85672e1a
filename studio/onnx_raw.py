"""The ONNX model on raw CSV rows: the project's fitted preprocessing inside the graph, in front of the model.

The preprocessing is the studio's own, as Keras layers (`studio.data.preprocessing_layers`: missing numbers
filled, `Normalization`, `StringLookup` + a fixed one-hot `Dense`, `TextVectorization`), exported by the engine's
converters (text through onnxruntime's Tokenizer, opset 20). Around it, `RawRows` does what the studio's CSV reader
and Predict do: one graph input per feature column, named as the column, shape (batch, 1) (numbers float32 with NaN
for a missing cell; categories and text the cell's string, without surrounding spaces); any spelling of NA, N/A,
NaN, null, none, ?, missing or an empty cell is missing; a row Predict leaves out (a missing value in a column whose
rows are dropped, an infinite number) comes out as NaN. A category not seen in training is unknown (no category;
for an Input feeding an Embedding, code 0), as in the studio. The output `probabilities` holds one column per class
name (in `class_names` order), or for regression an output named as the target, in the file's units.
"""

from __future__ import annotations

import numpy as np

import engine
from engine import layers
from engine.export import GraphAdapter
from engine.export.graph import GraphBuilder, Value
from studio.data.errors import DataError
from studio.data.preprocess import BINARY, REGRESSION, Preprocessor
from studio.data.preprocessing_layers import layer_name, missing_markers, preprocessing_graph
from studio.data.spec import MissingStrategy

ML_DOMAIN = "ai.onnx.ml"
TEXT_OPSET = 20  # StringConcat, used to standardize text

LAYOUT = ("raw CSV rows: one input per column of input_columns, named as the column, shape (batch, 1): numbers as "
          "float32 with NaN where the cell is missing, categories and text as strings (the cell's text without "
          "surrounding spaces). Missing values are filled, numbers standardized, categories one-hot encoded (one "
          "not seen in training: no category; for an Embedding, coded with 0 for an unseen one) and text "
          "vectorized inside the graph as the project does; output 'probabilities' has one column per class in "
          "class_names order (regression: one output named as the target, in the file's units). A row the "
          "studio's Predict leaves out (a missing value in a column whose rows are dropped, an infinite number) "
          "gives NaN.")


class RawOnnxError(ValueError):
    """A project whose model cannot take raw rows in ONNX; the message says why."""


def raw_rows_model(preprocessor: Preprocessor, model, codes: dict[str, int] | None = None):
    """(engine model from a dict of raw columns to `probabilities`, the adapter that reads raw cells as the studio
    does and marks refused rows in the ONNX graph, the opset it needs). The preprocessing layers are the studio's
    own (`studio.data.preprocessing_layers`); `codes`: the category columns the model's Input takes as codes for an
    Embedding (`ModelFeed.code_columns`)."""
    if len(model.inputs) != 1 or len(model.outputs) != 1 or len(preprocessor.targets) != 1:
        raise RawOnnxError("the model has several inputs or outputs; raw rows are taken by one input and one "
                           "output.")
    used = {model.name}
    try:
        inputs, features = preprocessing_graph(preprocessor, used, codes)
    except DataError as err:
        raise RawOnnxError(str(err)) from None
    if tuple(model.inputs[0].shape[1:]) != tuple(features.shape[1:]):
        raise RawOnnxError(f"the model's input has shape {model.inputs[0].shape}, not the prepared "
                           f"{tuple(features.shape[1:])}.")
    output = model(features)
    target = preprocessor.target
    if target.task == REGRESSION:
        if target.std != 1.0 or target.mean != 0.0:
            output = layers.Rescaling(scale=target.std, offset=target.mean, name=layer_name("in_file_units", used))(
                output)
    elif target.task == BINARY and output.shape[-1] == 1:  # a sigmoid unit: p(first class) = 1 - p(second)
        complement = layers.Rescaling(scale=-1.0, offset=1.0, name=layer_name("complement", used))(output)
        output = layers.Concatenate(name=layer_name("both_classes", used))([complement, output])
    elif output.shape[-1] != len(target.classes):
        raise RawOnnxError(f"the model's output has {output.shape[-1]} columns for {len(target.classes)} classes "
                           f"of {target.name!r}.")
    output = layers.Identity(name=layer_name("probabilities" if target.task != REGRESSION else target.name, used))(
        output)
    opset = TEXT_OPSET if preprocessor.encoder is not None else 17
    keys = {t.keras_history[0].name: name for name, t in inputs.items()}
    return engine.Model(inputs, output, name=f"{model.name}_raw_rows"), RawRows(preprocessor, keys), opset


class RawRows(GraphAdapter):
    """Names the graph's inputs after the columns, reads a raw cell as the studio's CSV reader does (any spelling of
    a missing value is missing: "" for a string, NaN for a number), and turns the outputs of rows the studio's
    Predict leaves out (a missing value in a drop-rows column, an infinite number) into NaN."""

    def __init__(self, preprocessor: Preprocessor, keys: dict[str, str]):
        self.features = {f.name: f for f in preprocessor.features}
        self.columns = keys  # input layer name -> column name
        self.valid: list[Value] = []  # (batch, 1) booleans: the rows each column lets through

    def input_name(self, name: str) -> str:
        return self.columns.get(name, name)

    def inputs(self, graph: GraphBuilder, inputs: list[Value]) -> list[Value]:
        fed = []
        for x in inputs:
            feature = self.features[x.name]
            with graph.scope(f"{x.name}_missing"):
                fed.append(self._number(graph, feature, x) if x.dtype.kind == "f" else self._string(graph, feature, x))
        return fed

    def _number(self, graph: GraphBuilder, feature, x: Value) -> Value:
        refused = graph.op("IsInf", [x], x.shape, np.bool_)
        if feature.fill is None:  # drop rows
            refused = graph.op("Or", [refused, graph.op("IsNaN", [x], x.shape, np.bool_)], x.shape)
        self._refuse(graph, refused)
        return x

    def _string(self, graph: GraphBuilder, feature, x: Value) -> Value:
        spellings = missing_markers(feature.categories if feature.type == "categorical" else [])
        flag = graph.op("LabelEncoder", [x], x.shape, np.int64, domain=ML_DOMAIN, keys_strings=spellings,
                        values_int64s=[1] * len(spellings), default_int64=0)
        missing = graph.cast(flag, np.bool_)
        if feature.missing == MissingStrategy.DROP_ROWS or (feature.type == "categorical" and feature.fill is None):
            self._refuse(graph, missing)
        return graph.op("Where", [missing, graph.const(np.array("", dtype=object), "missing"), x], x.shape, x.dtype)

    def _refuse(self, graph: GraphBuilder, refused: Value) -> None:
        self.valid.append(graph.op("Not", [refused], refused.shape))

    def outputs(self, graph: GraphBuilder, outputs: list[Value]) -> list[Value]:
        if not self.valid:
            return outputs
        valid = self.valid[0]
        for other in self.valid[1:]:
            valid = graph.op("And", [valid, other], valid.shape)
        return [graph.op("Where", [valid, y, graph.scalar(np.nan, y.dtype)], y.shape, y.dtype) for y in outputs]
