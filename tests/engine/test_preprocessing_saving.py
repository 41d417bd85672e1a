"""Models that take raw strings and numbers, saved as `.keras` files both ways between the engine and Keras.

An adapted vocabulary travels as the asset `assets/<layer path>/vocabulary.txt`, a given one in the
config, as Keras 3 stores them. The Keras-written file in tests/engine/data was made by real Keras on
TensorFlow (make_preprocessing_fixtures.py); the live checks need TensorFlow and skip without it.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile

import numpy as np
import pytest

import engine

DATA = os.path.join(os.path.dirname(__file__), "data")
sys.path.insert(0, DATA)
from mixed_preprocessing_model import build, raw_columns  # noqa: E402


@pytest.fixture(scope="module")
def engine_model():
    return build(engine)


def test_predict_takes_raw_strings_and_returns_probabilities(engine_model):
    probabilities = engine_model.predict(raw_columns(), verbose=0)
    assert probabilities.shape == (30, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    as_objects = {k: v.astype(object) if v.dtype.kind == "U" else v for k, v in raw_columns().items()}
    np.testing.assert_allclose(engine_model.predict(as_objects, verbose=0), probabilities, rtol=1e-6)


def test_engine_round_trip_keeps_vocabularies_and_predictions(engine_model, tmp_path):
    path = str(tmp_path / "mixed.keras")
    engine_model.save(path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        vocabulary = archive.read("assets/layers/string_lookup_1/vocabulary.txt").decode()
    assert "assets/layers/text_vectorization/vocabulary.txt" in names
    assert vocabulary.splitlines()[:2] == ["[UNK]", "red"]
    loaded = engine.saving.load_model(path)
    assert loaded.get_layer("words").get_vocabulary() == engine_model.get_layer("words").get_vocabulary()
    np.testing.assert_allclose(loaded.predict(raw_columns(), verbose=0),
                               engine_model.predict(raw_columns(), verbose=0), rtol=1e-6)


def test_training_with_raw_string_inputs(engine_model):
    model = build(engine, seed=1)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    labels = np.arange(30) % 3
    history = model.fit(raw_columns(), labels, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_keras_written_file_loads_and_predicts_as_keras():
    model = engine.saving.load_model(os.path.join(DATA, "keras_mixed_preprocessing.keras"))
    with open(os.path.join(DATA, "keras_mixed_preprocessing.json"), encoding="utf-8") as f:
        expected = np.array(json.load(f)["predictions"])
    np.testing.assert_allclose(model.predict(raw_columns(), verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_missing_vocabulary_asset_is_named(engine_model, tmp_path):
    path = str(tmp_path / "mixed.keras")
    engine_model.save(path)
    broken = str(tmp_path / "broken.keras")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            if item.filename != "assets/layers/string_lookup_1/vocabulary.txt":
                target.writestr(item, source.read(item.filename))
    with pytest.raises(ValueError, match="color_lookup.*vocabulary"):
        engine.saving.load_model(broken)


def test_asset_names_leaving_the_assets_folder_are_refused(engine_model, tmp_path):
    path = str(tmp_path / "evil.keras")
    engine_model.save(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("assets/../../evil.txt", "x")
    with pytest.raises(ValueError, match="leaves the assets directory"):
        engine.saving.load_model(path)


def test_real_keras_predicts_with_an_engine_written_file(engine_model, tmp_path):
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("Keras runs string inputs in a model only on its TensorFlow backend")
    path = str(tmp_path / "mixed.keras")
    engine_model.save(path)
    model = keras.saving.load_model(path)
    x = {k: tf.constant(v) for k, v in raw_columns().items()}
    np.testing.assert_allclose(np.asarray(model.predict(x, verbose=0)), engine_model.predict(raw_columns(), verbose=0),
                               rtol=1e-5, atol=1e-6)


HARNESS = """
import runpy, sys
import numpy as np
if sys.argv[1] == "engine":
    import engine
    sys.modules["keras"] = engine
sys.path.insert(0, sys.argv[3])
from mixed_preprocessing_model import raw_columns
model = runpy.run_path(sys.argv[2])["model"]
x = raw_columns()
if sys.argv[1] != "engine":
    import tensorflow as tf
    x = {k: tf.constant(v) for k, v in x.items()}
np.save(sys.argv[4], np.asarray(model.predict(x, verbose=0)))
"""


@pytest.mark.parametrize("runner", ["engine", "keras"])
def test_python_script_states_adapted_vocabularies(engine_model, runner, tmp_path):
    """Keras's load_weights reads no assets: the script gives adapted vocabularies and bins as arguments."""
    import subprocess

    from engine.export import export_python_script
    if runner == "keras":
        pytest.importorskip("tensorflow")
    engine_model.save(tmp_path / "mixed.keras")
    export_python_script(engine_model, tmp_path / "mixed.py", weights_path="mixed.keras")
    (tmp_path / "harness.py").write_text(HARNESS)
    env = {**os.environ, "KERAS_BACKEND": "tensorflow" if runner == "keras" else os.environ.get("KERAS_BACKEND", "")}
    result = subprocess.run([sys.executable, str(tmp_path / "harness.py"), runner, str(tmp_path / "mixed.py"), DATA,
                             str(tmp_path / "out.npy")], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), engine_model.predict(raw_columns(), verbose=0),
                               rtol=1e-5, atol=1e-6)
