"""`engine.utils.FeatureSpace` against Keras's: adapt on a dict of columns, concat and dict outputs, and an
inference model on raw columns saved both ways (Keras's values in tests/engine/data/feature_space_keras.json)."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

import engine

DATA = os.path.join(os.path.dirname(__file__), "data")
sys.path.insert(0, DATA)
from make_preprocessing_fixtures import FEATURE_TYPES, feature_space_columns  # noqa: E402

with open(os.path.join(DATA, "feature_space_keras.json"), encoding="utf-8") as _f:
    KERAS = json.load(_f)
ROWS = {k: np.asarray(v, dtype="float32" if FEATURE_TYPES[k].startswith("float") else None)
        for k, v in KERAS["rows"].items()}


def adapted(output_mode: str = "concat", types: dict = FEATURE_TYPES):
    space = engine.utils.FeatureSpace(types, output_mode=output_mode, hashing_dim=8, num_discretization_bins=4)
    space.adapt({k: v for k, v in feature_space_columns().items() if k in types})
    return space


def test_adapt_learns_keras_vocabularies_and_bins():
    space = adapted()
    assert space.preprocessors["city"].get_vocabulary() == KERAS["city_vocabulary"]
    assert space.preprocessors["code"].get_vocabulary() == KERAS["code_vocabulary"]
    np.testing.assert_allclose(space.preprocessors["fare"].bin_boundaries, KERAS["fare_boundaries"], rtol=1e-6)


@pytest.mark.parametrize("output_mode", ["concat", "dict"])
def test_encoding_matches_keras(output_mode):
    encoded = adapted(output_mode)(ROWS)
    expected = KERAS[output_mode]
    if output_mode == "dict":
        assert sorted(encoded) == sorted(expected)
        for name, value in expected.items():
            np.testing.assert_allclose(np.asarray(encoded[name]), value, rtol=1e-5, atol=1e-6, err_msg=name)
    else:
        np.testing.assert_allclose(np.asarray(encoded), expected, rtol=1e-5, atol=1e-6)


def test_one_row_of_scalars_gives_one_vector():
    space = adapted()
    row = {k: v[0] for k, v in ROWS.items()}
    np.testing.assert_allclose(np.asarray(space(row)), KERAS["concat"][0], rtol=1e-5, atol=1e-6)


def inference_model(types: dict = FEATURE_TYPES):
    space = adapted(types=types)
    return engine.Model(space.get_inputs(), engine.layers.Dense(3, activation="softmax")(space.get_encoded_features()))


def test_inference_model_on_raw_columns_round_trips(tmp_path):
    model = inference_model()
    columns = {k: ROWS[k].reshape(-1, 1) for k in FEATURE_TYPES}
    expected = model.predict(columns, verbose=0)
    np.testing.assert_allclose(expected.sum(axis=1), 1.0, rtol=1e-5)
    model.save(tmp_path / "space.keras")
    np.testing.assert_allclose(engine.saving.load_model(tmp_path / "space.keras").predict(columns, verbose=0),
                               expected, rtol=1e-6)


def test_keras_feature_space_model_loads_with_keras_predictions():
    model = engine.saving.load_model(os.path.join(DATA, "keras_feature_space_model.keras"))
    columns = {k: ROWS[k].reshape(-1, 1) for k in FEATURE_TYPES if FEATURE_TYPES[k] != "float"}
    np.testing.assert_allclose(model.predict(columns, verbose=0), KERAS["model_predictions"], rtol=1e-5, atol=1e-6)


def test_bad_uses_are_named():
    with pytest.raises(ValueError, match="Invalid feature type: money"):
        engine.utils.FeatureSpace({"a": "money"})
    with pytest.raises(ValueError, match="crosses"):
        engine.utils.FeatureSpace({"a": "float"}, crosses=[("a", "a")])
    space = engine.utils.FeatureSpace({"a": "float_normalized", "b": "string_categorical"})
    with pytest.raises(ValueError, match="adapt"):
        space({"a": [1.0], "b": ["x"]})
    with pytest.raises(ValueError, match="missing \\['b'\\]"):
        space.adapt({"a": [1.0, 2.0]})


def test_real_keras_predicts_with_an_engine_feature_space_model(tmp_path):
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("Keras runs string inputs in a model only on its TensorFlow backend")
    model = inference_model()
    model.save(tmp_path / "space.keras")
    columns = {k: ROWS[k].reshape(-1, 1) for k in FEATURE_TYPES}
    theirs = keras.saving.load_model(tmp_path / "space.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict({k: tf.constant(v) for k, v in columns.items()}, verbose=0)),
                               model.predict(columns, verbose=0), rtol=1e-5, atol=1e-6)
