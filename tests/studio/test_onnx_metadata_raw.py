"""The studio's ONNX exports name their classes and input columns in `metadata_props`, and the `onnx-raw` export
takes raw Iris rows: onnxruntime on the CSV's numbers matches the studio's own Predict."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import engine
from studio import exchange, headless
from studio.data.preprocess import FeatureState, Preprocessor, TargetState
from studio.exchange_onnx import PREPARED, RAW, RawOnnxError, raw_numeric_model

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


def test_raw_onnx_on_raw_csv_rows_matches_the_studios_predict(trained_iris):
    ort = pytest.importorskip("onnxruntime")
    project, folder = trained_iris
    path = exchange.export_raw_onnx(project, folder / "iris_raw.onnx")
    written = props(path)
    assert written["preprocessing"] == RAW
    columns = json.loads(written["input_columns"])
    classes = json.loads(written["class_names"])
    spec = exchange.data_spec(project)
    with open(spec.path, newline="", encoding="utf-8") as f:  # the CSV's rows as they are, read by csv alone
        raw = np.array([[float(row[c]) for c in columns] for row in csv.DictReader(f)], dtype="float32")
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert session.get_modelmeta().custom_metadata_map == written
    (got,) = session.run(None, {session.get_inputs()[0].name: raw})
    out = folder / "predicted.csv"
    headless.predict_csv(project, spec.path, str(out))
    with open(out, newline="", encoding="utf-8") as f:
        expected = np.array([[float(r[f"p({c})"]) for c in classes] for r in csv.DictReader(f)])
    assert got.shape == expected.shape == (150, 3)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    plain = ort.InferenceSession(exchange.export_onnx(project, folder / "plain.onnx"),
                                 providers=["CPUExecutionProvider"])
    (prepared,) = plain.run(None, {plain.get_inputs()[0].name: raw})
    assert np.abs(prepared - got).max() > 1e-3  # the plain export expects standardized features, not raw rows


def test_raw_onnx_refuses_categorical_columns():
    pre = Preprocessor([FeatureState("size", "numeric", "drop"), FeatureState("city", "categorical", "drop",
                                                                              categories=["a", "b"])],
                       TargetState("y", "binary", "integer", ["no", "yes"]), "standard")
    model = engine.Sequential([engine.Input((3,)), engine.layers.Dense(2)])
    with pytest.raises(RawOnnxError, match=r"\['city'\] are not numeric"):
        raw_numeric_model(pre, model)
