"""The exported inference model takes raw CSV columns and returns one probability per class name: on the Iris
example, real Keras opening the file matches the studio's own Predict on the same raw rows."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest

import engine
from studio import exchange, headless
from studio.data import read_csv
from studio.data.preprocess import Preprocessor
from studio.inference_model import InferenceModelError, inference_model, raw_columns

os.environ.setdefault("KERAS_BACKEND", "torch")

def studio_predictions(project, folder) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(class names, probabilities, rows) from the studio's Predict on the raw Iris CSV."""
    spec = exchange.data_spec(project)
    out = folder / "predicted.csv"
    headless.predict_csv(project, spec.path, str(out))
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    classes = exchange.fitted_preprocessor(project).class_names
    return classes, np.array([[float(r[f"p({c})"]) for c in classes] for r in rows]), rows


def test_real_keras_matches_the_studios_predict_on_raw_rows(trained_iris):
    keras = pytest.importorskip("keras")
    project, folder = trained_iris
    path = exchange.export_inference_keras(project, folder / "iris_raw.keras")
    classes, expected, _ = studio_predictions(project, folder)
    preprocessor = exchange.fitted_preprocessor(project)
    columns = raw_columns(preprocessor, read_csv(exchange.data_spec(project).path))
    model = keras.saving.load_model(path)
    got = model.predict(columns, verbose=0)
    assert sorted(got) == sorted(classes)  # the class names are the output names in the saved config
    np.testing.assert_allclose(np.hstack([np.asarray(got[c]) for c in classes]), expected, atol=1e-5)


def test_engine_reads_the_inference_model_back(trained_iris):
    project, folder = trained_iris
    path = exchange.export_inference_keras(project, folder / "iris_raw_engine.keras")
    classes, expected, rows = studio_predictions(project, folder)
    model = engine.saving.load_model(path)
    assert [t.keras_history[0].name for t in model.inputs] == ["sepal_length", "sepal_width", "petal_length",
                                                               "petal_width"]
    one_row = {name: np.array([[float(rows[0][name])]], dtype="float32") for name in model._inputs_struct}
    got = model.predict(one_row, verbose=0)
    np.testing.assert_allclose([float(got[c][0, 0]) for c in classes], expected[0], atol=1e-5)


def test_categories_become_string_lookups_and_binary_sigmoid_gets_both_classes():
    preprocessor = Preprocessor.from_dict({
        "scaling": "standard",
        "features": [{"name": "size", "type": "numeric", "missing": "drop_rows", "mean": 10.0, "std": 2.0},
                     {"name": "city", "type": "categorical", "missing": "drop_rows", "categories": ["oslo", "rome"]}],
        "target": {"name": "sold", "task": "binary", "encoding": "integer", "classes": ["no", "yes"]}})
    x = engine.Input((3,))
    trained = engine.Model(x, engine.layers.Dense(1, activation="sigmoid")(x))
    model = inference_model(preprocessor, trained)
    raw = {"size": np.array([[12.0], [8.0]], dtype="float32"), "city": np.array([["rome"], ["oslo"]])}
    got = model.predict(raw, verbose=0)
    prepared = np.array([[1.0, 0.0, 1.0], [-1.0, 1.0, 0.0]], dtype="float32")
    p = trained.predict(prepared, verbose=0)
    np.testing.assert_allclose(got["yes"], p, rtol=1e-6)
    np.testing.assert_allclose(got["no"], 1.0 - p, rtol=1e-6)
    unseen = model.predict({"size": np.array([[12.0]], dtype="float32"), "city": np.array([["lima"]])}, verbose=0)
    no_city = trained.predict(np.array([[1.0, 0.0, 0.0]], dtype="float32"), verbose=0)  # out of vocabulary: zeros
    np.testing.assert_allclose(unseen["yes"], no_city, rtol=1e-6)


def test_projects_it_cannot_express_are_refused_with_the_reason():
    preprocessor = Preprocessor.from_dict({
        "scaling": "standard", "features": [{"name": "a", "type": "numeric", "missing": "drop_rows"}],
        "target": {"name": "t", "task": "regression", "encoding": "float"}})
    x = engine.Input((2,))
    with pytest.raises(InferenceModelError, match="not the 1 prepared feature columns"):
        inference_model(preprocessor, engine.Model(x, engine.layers.Dense(1)(x)))


def test_file_export_menu_writes_the_inference_model(window, trained_iris, tmp_path, monkeypatch, qtbot):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from studio.ui.exchange import update_export_actions
    project, _ = trained_iris
    window.set_project(project)
    update_export_actions(window)
    action = next(a for a in window.export_menu.actions() if "inference model" in a.text())
    assert action.isEnabled()
    target = tmp_path / "raw_columns.keras"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    errors = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda parent, title, text, *a, **k: errors.append(text)))
    with qtbot.waitSignal(window.exporter.finished, timeout=20000):
        action.trigger()
    assert errors == [] and target.exists()
    model = engine.saving.load_model(target)
    assert sorted(model._outputs_struct) == sorted(exchange.fitted_preprocessor(project).class_names)


def test_importing_a_keras_model_with_string_lookups_says_why_the_canvas_cannot_show_it():
    path = os.path.join(os.path.dirname(__file__), "..", "engine", "data", "keras_mixed_preprocessing.keras")
    with pytest.raises(exchange.ExchangeError, match="'color_lookup' is a StringLookup.*raw text or ids"):
        exchange.import_keras(path)
