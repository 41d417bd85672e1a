"""Masks flow from Embedding(mask_zero=True) or Masking to the layers that use them, as in Keras."""

import os

import numpy as np
import pytest

import engine
from engine import layers


def test_masking_layer_marks_padded_timesteps():
    x = np.ones((2, 4, 3), "float32")
    x[0, 2:] = 0
    out = layers.Masking()(x)
    np.testing.assert_array_equal(out._keras_mask, [[True, True, False, False], [True] * 4])
    np.testing.assert_array_equal(np.asarray(out), x)


def test_recurrent_layer_skips_masked_steps():
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    padded = x.copy()
    padded[0, 3:] = 0
    lstm = layers.LSTM(4)
    masked = np.asarray(engine.Sequential([layers.Masking(), lstm])(padded))
    np.testing.assert_allclose(masked[0], np.asarray(lstm(x[:1, :3]))[0], rtol=1e-5)


def test_mask_propagates_like_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6]])
    outputs = []
    for lib in (keras, engine):
        model = lib.Sequential([lib.Input((6,), dtype="int32"), lib.layers.Embedding(10, 4, mask_zero=True),
                                lib.layers.LSTM(3, return_sequences=True), lib.layers.GRU(2), lib.layers.Dense(2)])
        if lib is keras:
            weights = model.get_weights()
        else:
            model.set_weights(weights)
        outputs.append(model.predict(x, verbose=0))
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-4, atol=1e-6)


def test_masked_timesteps_do_not_count_in_the_loss_like_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0], [1, 2, 3, 4, 5], [2, 2, 2, 0, 0]])
    y = (np.random.default_rng(1).random((4, 5, 1)) > 0.5).astype("float32")
    histories = []
    for lib in (keras, engine):
        model = lib.Sequential([lib.Input((5,), dtype="int32"), lib.layers.Embedding(8, 3, mask_zero=True),
                                lib.layers.SimpleRNN(4, return_sequences=True),
                                lib.layers.Dense(1, activation="sigmoid")])
        if lib is keras:
            weights = model.get_weights()
        else:
            model.set_weights(weights)
        model.compile("sgd", "binary_crossentropy")
        histories.append(model.fit(x, y, epochs=2, batch_size=2, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(histories[1], histories[0], rtol=1e-4)


def _two_branch_masked(lib, merge):
    tokens = lib.Input((6,), dtype="int32")
    embedded = lib.layers.Embedding(10, 4, mask_zero=True)(tokens)
    left = lib.layers.Dense(4)(embedded)
    right = lib.layers.Dense(4, activation="tanh")(embedded)
    merged = merge(lib)([left, right])
    return lib.Model(tokens, lib.layers.Dense(2)(lib.layers.LSTM(3)(merged)))


@pytest.mark.parametrize("merge", ["Concatenate", "Add", "Maximum", "Average"])
def test_masks_through_merges_like_keras(merge):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6]])
    outputs = []
    for lib in (keras, engine):
        model = _two_branch_masked(lib, lambda lib: getattr(lib.layers, merge)())
        if lib is keras:
            weights = model.get_weights()
        else:
            model.set_weights(weights)
        outputs.append(model.predict(x, verbose=0))
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-4, atol=1e-6)


def test_a_sequence_summarised_by_a_recurrent_layer_carries_no_mask_to_the_loss():
    x = np.random.default_rng(0).normal(size=(8, 5, 3)).astype("float32")
    x[:4, 3:] = 0
    model = engine.Sequential([engine.Input((5, 3)), layers.Masking(), layers.LSTM(4), layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(x, np.ones((8, 1), "float32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
