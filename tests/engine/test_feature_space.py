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
from make_preprocessing_fixtures import CROSSES, FEATURE_TYPES, feature_space_columns  # noqa: E402

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


def crossed(output_mode: str):
    crosses = [c if isinstance(c, tuple) else engine.utils.FeatureSpace.cross(**c) for c in CROSSES[output_mode]]
    space = engine.utils.FeatureSpace(FEATURE_TYPES, output_mode=output_mode, hashing_dim=8, num_discretization_bins=4,
                                      crossing_dim=8, crosses=crosses)
    space.adapt(feature_space_columns())
    return space


@pytest.mark.parametrize("output_mode", ["concat", "dict"])
def test_crosses_match_keras(output_mode):
    """HashedCrossing of the preprocessed values (lookup indices, bins), after the features in name order; the
    expected values and configs were written by Keras 3.15 on TensorFlow (write_feature_space_crosses)."""
    with open(os.path.join(DATA, "feature_space_crosses_keras.json"), encoding="utf-8") as f:
        keras_values = json.load(f)
    space = crossed(output_mode)
    assert space.get_config()["crosses"] == keras_values[f"{output_mode}_config_crosses"]
    encoded = space(ROWS)
    expected = keras_values[output_mode]
    if output_mode == "dict":
        assert sorted(encoded) == sorted(expected) and "fare_X_zone" in encoded
        for name, value in expected.items():
            np.testing.assert_allclose(np.asarray(encoded[name]), value, rtol=1e-5, atol=1e-6, err_msg=name)
    else:
        np.testing.assert_allclose(np.asarray(encoded), expected, rtol=1e-5, atol=1e-6)


def test_a_model_with_crosses_saved_and_loaded(tmp_path):
    space = crossed("concat")
    model = engine.Model(space.get_inputs(), engine.layers.Dense(2)(space.get_encoded_features()))
    assert model.get_layer("city_X_code").num_bins == 8
    columns = {k: ROWS[k].reshape(-1, 1) for k in FEATURE_TYPES}
    model.save(tmp_path / "crossed.keras")
    np.testing.assert_allclose(engine.saving.load_model(tmp_path / "crossed.keras").predict(columns, verbose=0),
                               model.predict(columns, verbose=0), rtol=1e-6)


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
    with pytest.raises(ValueError, match="Received unknown features"):
        engine.utils.FeatureSpace({"a": "float"}, crosses=[("a", "b")])
    with pytest.raises(ValueError, match="`crossing_dim`"):
        engine.utils.FeatureSpace({"a": "string_categorical", "b": "string_categorical"}, crosses=[("a", "b")],
                                  crossing_dim=None)
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
    space = crossed("concat")
    with_crosses = engine.Model(space.get_inputs(), engine.layers.Dense(2)(space.get_encoded_features()))
    for model in (inference_model(), with_crosses):
        model.save(tmp_path / "space.keras")
        columns = {k: ROWS[k].reshape(-1, 1) for k in FEATURE_TYPES}
        theirs = keras.saving.load_model(tmp_path / "space.keras")
        np.testing.assert_allclose(np.asarray(theirs.predict({k: tf.constant(v) for k, v in columns.items()},
                                                             verbose=0)),
                                   model.predict(columns, verbose=0), rtol=1e-5, atol=1e-6)
