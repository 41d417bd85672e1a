"""The studio's ONNX exports name their classes and input columns in `metadata_props`; the `onnx-raw` export refuses
what raw rows cannot hold (its results on raw rows: test_onnx_raw_rows.py)."""

from __future__ import annotations

import json

import pytest

import engine
from studio import exchange
from studio.data.preprocess import FeatureState, Preprocessor, TargetState
from studio.exchange_onnx import PREPARED
from studio.onnx_raw import RawOnnxError, raw_rows_model

onnx = pytest.importorskip("onnx")

def props(path) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def test_onnx_metadata_names_classes_and_input_columns(trained_iris):
    ort = pytest.importorskip("onnxruntime")
    project, folder = trained_iris
    path = exchange.export_onnx(project, folder / "iris.onnx")
    preprocessor = exchange.fitted_preprocessor(project)
    written = props(path)
    assert json.loads(written["class_names"]) == preprocessor.class_names == ["setosa", "versicolor", "virginica"]
    assert json.loads(written["input_columns"]) == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert written["preprocessing"] == PREPARED and written["target"] == "species"
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert session.get_modelmeta().custom_metadata_map == written


def test_raw_onnx_refuses_what_raw_rows_cannot_hold():
    pre = Preprocessor([FeatureState("size", "numeric", "drop"), FeatureState("photo", "image", "drop")],
                       TargetState("y", "binary", "integer", ["no", "yes"]), "standard")
    model = engine.Sequential([engine.Input((2,)), engine.layers.Dense(2)])
    with pytest.raises(RawOnnxError, match="column 'photo' is a image feature"):
        raw_rows_model(pre, model)
    pre = Preprocessor([FeatureState("size", "numeric", "drop")], TargetState("y", "binary", "integer",
                                                                               ["no", "yes"]), "standard")
    model = engine.Sequential([engine.Input((3,)), engine.layers.Dense(2)])
    with pytest.raises(RawOnnxError, match=r"input has shape \(None, 3\), not the prepared \(1,\)"):
        raw_rows_model(pre, model)
