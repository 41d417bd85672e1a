"""The exported `.keras` inference model, given raw CSV rows (read with Python's csv module), returns the studio's
own Predict's classes and probabilities, with the class names read back from the file: a penguins-like table of
numbers and categories with missing values, and a text column.

Real Keras runs string inputs only on its TensorFlow backend: the numbers-only checks run in real Keras on torch
(as CI does); the checks with categories and text run real Keras on TensorFlow in a subprocess when this Python
has TensorFlow, and the engine's own loader everywhere.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import engine
from studio import exchange, headless
from studio.data.column_data import MISSING_TOKENS
from tests.studio.csv_rows import read_rows, write_rows
from tests.studio.penguins_like import penguins_project, trained

os.environ.setdefault("KERAS_BACKEND", "torch")


def raw_inputs(model_inputs: dict[str, str], rows: list[dict[str, str]]) -> dict[str, np.ndarray]:
    """CSV rows as the inference model takes them (`model_inputs`: column -> "float32" or "string"): a number as
    float32 (NaN where the cell is missing), a category or text as the cell's text ("" where missing)."""
    def number(cell: str) -> float:
        return float("nan") if cell.strip().lower() in MISSING_TOKENS else float(cell)

    def text(cell: str) -> str:
        return "" if cell.strip().lower() in MISSING_TOKENS else cell.strip()

    return {name: np.array([[number(r[name])] for r in rows], dtype="float32") if dtype == "float32" else
            np.array([[text(r[name])] for r in rows], dtype=object) for name, dtype in model_inputs.items()}


def input_dtypes(path) -> dict[str, str]:
    """The inference model's inputs as its saved config names them: column -> dtype."""
    model = engine.saving.load_model(path)
    return {name: ("string" if t.dtype == "string" else "float32") for name, t in model._inputs_struct.items()}


def studio_predict(project, csv_path, folder) -> tuple[list[dict[str, str]], list[str], np.ndarray]:
    out = folder / "studio_predicted.csv"
    headless.predict_csv(project, str(csv_path), str(out))
    rows = read_rows(out)
    classes = exchange.fitted_preprocessor(project).class_names
    return rows, classes, np.array([[float(r[f"p({c})"]) for c in classes] for r in rows])


def probabilities(outputs: dict, classes: list[str]) -> np.ndarray:
    return np.hstack([np.asarray(outputs[c], dtype=np.float64).reshape(-1, 1) for c in classes])


KERAS_ON_TENSORFLOW = """
import json, sys
import numpy as np
import keras
import tensorflow as tf
spec = json.load(open(sys.argv[2]))
x = {k: tf.constant(np.array(v, dtype="float32" if spec["dtypes"][k] == "float32" else object))
     for k, v in spec["columns"].items()}
model = keras.saving.load_model(sys.argv[1])
out = model.predict(x, verbose=0)
json.dump({k: np.asarray(v, dtype="float64").ravel().tolist() for k, v in out.items()}, open(sys.argv[3], "w"))
"""


def keras_on_tensorflow(path, columns: dict[str, np.ndarray], folder) -> dict[str, np.ndarray]:
    """Real Keras on its TensorFlow backend (the one that runs string inputs), in a subprocess."""
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("real Keras runs string inputs on TensorFlow, which this Python does not have")
    spec = {"dtypes": {k: "float32" if v.dtype != object else "string" for k, v in columns.items()},
            "columns": {k: [[None if isinstance(x, float) and np.isnan(x) else x for x in row] for row in v.tolist()]
                        for k, v in columns.items()}}
    (folder / "columns.json").write_text(json.dumps(spec).replace("null", "NaN"))
    (folder / "run_keras.py").write_text(KERAS_ON_TENSORFLOW)
    result = subprocess.run([sys.executable, str(folder / "run_keras.py"), str(path), str(folder / "columns.json"),
                             str(folder / "out.json")], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    assert result.returncode == 0, result.stderr[-3000:]
    return {k: np.array(v).reshape(-1, 1) for k, v in json.loads((folder / "out.json").read_text()).items()}


@pytest.fixture(scope="module")
def penguins(tmp_path_factory):
    folder = tmp_path_factory.mktemp("penguins_keras")
    project, csv_path = penguins_project(folder)
    rows = read_rows(csv_path)
    rows[5]["body_mass_g"] = "NA"  # filled with the training mean inside the model
    rows[6]["sex"] = "Missing"  # any usual spelling of a missing value: filled with the most frequent sex
    rows[7]["island"] = "Atlantis"  # not seen in training: out of vocabulary, no island
    edited = folder / "new_penguins.csv"
    write_rows(edited, rows)
    path = exchange.export_inference_keras(project, folder / "penguins.keras")
    return project, edited, rows, path, folder


def test_penguins_engine_matches_the_studios_predict_on_raw_rows(penguins, tmp_path):
    project, edited, rows, path, _ = penguins
    predicted, classes, expected = studio_predict(project, edited, tmp_path)
    answered = [i for i, r in enumerate(rows) if r["Sample ID"] in {p["Sample ID"] for p in predicted}]
    assert len(answered) == len(rows) - 2  # rows 3 and 50 miss bill_length_mm, whose rows are dropped
    model = engine.saving.load_model(path)
    assert sorted(model._outputs_struct) == sorted(classes) == ["Adelie", "Chinstrap", "Gentoo"]
    got = probabilities(model.predict(raw_inputs(input_dtypes(path), rows), verbose=0), classes)
    np.testing.assert_allclose(got[answered], expected, atol=1e-5)
    assert got[answered].argmax(axis=1).tolist() == expected.argmax(axis=1).tolist()
    assert np.isnan(got[[3, 50]]).all()  # a missing number in a drop-rows column: NaN, never a guess


def test_penguins_real_keras_on_tensorflow_matches_the_studios_predict(penguins, tmp_path):
    project, edited, rows, path, _ = penguins
    predicted, classes, expected = studio_predict(project, edited, tmp_path)
    answered = [i for i, r in enumerate(rows) if r["Sample ID"] in {p["Sample ID"] for p in predicted}]
    outputs = keras_on_tensorflow(path, raw_inputs(input_dtypes(path), rows), tmp_path)
    assert sorted(outputs) == sorted(classes)
    got = probabilities(outputs, classes)
    np.testing.assert_allclose(got[answered], expected, atol=1e-5)
    assert got[answered].argmax(axis=1).tolist() == expected.argmax(axis=1).tolist()


def test_numbers_with_missing_values_real_keras_on_torch_matches_the_studios_predict(tmp_path):
    keras = pytest.importorskip("keras")
    project, csv_path = penguins_project(tmp_path, numbers_only=True)
    rows = read_rows(csv_path)
    rows[5]["body_mass_g"] = "NA"
    rows[9]["body_mass_g"] = ""
    edited = tmp_path / "new_penguins.csv"
    write_rows(edited, rows)
    path = exchange.export_inference_keras(project, tmp_path / "numbers.keras")
    predicted, classes, expected = studio_predict(project, edited, tmp_path)
    answered = [i for i, r in enumerate(rows) if r["Sample ID"] in {p["Sample ID"] for p in predicted}]
    model = keras.saving.load_model(path)
    outputs = model.predict(raw_inputs(input_dtypes(path), rows), verbose=0)
    assert sorted(outputs) == sorted(classes)
    got = probabilities(outputs, classes)
    assert not np.isnan(got[[5, 9]]).any()  # filled inside the model by standard Keras layers
    np.testing.assert_allclose(got[answered], expected, atol=1e-5)
    assert got[answered].argmax(axis=1).tolist() == expected.argmax(axis=1).tolist()


@pytest.fixture(scope="module")
def definitions(tmp_path_factory):
    from studio.data.examples import example_spec
    from studio.document.examples import text

    folder = tmp_path_factory.mktemp("definitions_keras")
    spec = example_spec("definitions")
    project = trained(text(), spec, folder, epochs=1)
    rows = read_rows(spec.path)[:200]
    rows[0]["definition"] = "  A Person, who -- LACKS good judgment!!  (Unseen-Words: xyzzy) \t é "
    rows[1]["definition"] = ""
    edited = folder / "definitions.csv"
    write_rows(edited, rows)
    path = exchange.export_inference_keras(project, folder / "definitions.keras")
    return project, edited, rows, path


def test_text_engine_and_real_keras_match_the_studios_predict(definitions, tmp_path):
    project, edited, rows, path = definitions
    predicted, classes, expected = studio_predict(project, edited, tmp_path)
    answered = [i for i, r in enumerate(rows) if r["word"] in {p["word"] for p in predicted}]
    assert 1 not in answered and len(answered) == len(rows) - 1  # the studio drops a row with no text
    assert input_dtypes(path) == {"definition": "string"}
    got = probabilities(engine.saving.load_model(path).predict(raw_inputs(input_dtypes(path), rows), verbose=0),
                        classes)
    np.testing.assert_allclose(got[answered], expected, atol=1e-5)
    assert np.isfinite(got[1]).all()  # the model answers for a text of no words (padding only)
    outputs = keras_on_tensorflow(path, raw_inputs(input_dtypes(path), rows), tmp_path)
    assert sorted(outputs) == sorted(classes) and len(classes) == 4
    np.testing.assert_allclose(probabilities(outputs, classes)[answered], expected, atol=1e-5)


def test_digits_pixel_columns_real_keras_on_torch_matches_the_studios_predict(tmp_path):
    """The CNN example on 8x8 digits: the model takes the 64 pixel columns raw and makes the images itself
    (Rescaling by the largest training pixel, clipped to 1, reshaped)."""
    keras = pytest.importorskip("keras")
    from studio.data.examples import example_spec
    from studio.document.examples import cnn

    spec = example_spec("digits")
    project = trained(cnn(), spec, tmp_path, epochs=1)
    rows = read_rows(spec.path)[:300]
    edited = tmp_path / "digits.csv"
    write_rows(edited, rows)
    path = exchange.export_inference_keras(project, tmp_path / "digits.keras")
    _, classes, expected = studio_predict(project, edited, tmp_path)
    dtypes = input_dtypes(path)
    assert len(dtypes) == 64 and set(dtypes.values()) == {"float32"}
    outputs = keras.saving.load_model(path).predict(raw_inputs(dtypes, rows), verbose=0)
    assert sorted(outputs) == sorted(classes) and len(classes) == 10
    got = probabilities(outputs, classes)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert got.argmax(axis=1).tolist() == expected.argmax(axis=1).tolist()
