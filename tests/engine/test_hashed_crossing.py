"""`HashedCrossing` against real Keras: the buckets below were computed by Keras 3.15 on TensorFlow 2.21
(`keras.layers.HashedCrossing`, which needs TensorFlow); a live comparison runs where TensorFlow is installed."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import layers

COLORS = np.array(["red", "blue", "grün", "", "red"])
NUMBERS = np.array([1, -2, 3, 0, 2 ** 40])
LETTERS = np.array(["x", "y", "x", "y", "z"])
KERAS_BUCKETS = [  # (inputs, num_bins, output_mode) -> what Keras gives
    ((COLORS, NUMBERS), 1000, "int", [804, 520, 422, 600, 312]),
    ((NUMBERS, NUMBERS), 7, "int", [0, 0, 2, 1, 5]),
    ((COLORS, NUMBERS, LETTERS), 97, "int", [12, 64, 95, 11, 87]),
    ((COLORS.reshape(-1, 1), LETTERS.reshape(-1, 1)), 4, "one_hot", np.eye(4)[[0, 1, 3, 2, 0]].tolist()),
]


@pytest.mark.parametrize("inputs, num_bins, output_mode, expected", KERAS_BUCKETS)
def test_buckets_match_keras(inputs, num_bins, output_mode, expected):
    layer = layers.HashedCrossing(num_bins=num_bins, output_mode=output_mode)
    out = np.asarray(layer(inputs))
    assert out.tolist() == expected
    assert out.dtype == (np.int64 if output_mode == "int" else np.float32)
    assert layer.compute_output_shape([x.shape for x in inputs]) == out.shape


def test_in_a_model_saved_and_loaded(tmp_path):
    color = engine.Input((1,), dtype="string", name="color")
    number = engine.Input((1,), dtype="int64", name="number")
    crossed = layers.HashedCrossing(num_bins=1000, name="cross")([color, number])
    model = engine.Model({"color": color, "number": number}, crossed)
    x = {"color": COLORS.reshape(-1, 1).astype(object), "number": NUMBERS.reshape(-1, 1)}
    assert model.predict(x, verbose=0).ravel().tolist() == [804, 520, 422, 600, 312]
    model.save(tmp_path / "cross.keras")
    loaded = engine.saving.load_model(tmp_path / "cross.keras")
    assert loaded.get_layer("cross").get_config()["num_bins"] == 1000
    assert loaded.predict(x, verbose=0).ravel().tolist() == [804, 520, 422, 600, 312]


def test_bad_inputs_are_named():
    layer = layers.HashedCrossing(num_bins=5)
    with pytest.raises(ValueError, match="at least two inputs"):
        layer([COLORS])
    with pytest.raises(ValueError, match="same shape"):
        layer((COLORS, NUMBERS[:3]))
    with pytest.raises(ValueError, match="integer or string dtype"):
        layer((COLORS, NUMBERS.astype("float32")))
    with pytest.raises(ValueError, match="output_mode"):
        layers.HashedCrossing(num_bins=5, output_mode="multi_hot")


def test_real_keras_on_tensorflow_agrees():
    pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    for inputs, num_bins, output_mode, _ in KERAS_BUCKETS:
        theirs = keras.layers.HashedCrossing(num_bins=num_bins, output_mode=output_mode)(inputs)
        ours = layers.HashedCrossing(num_bins=num_bins, output_mode=output_mode)(inputs)
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
