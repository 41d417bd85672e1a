"""Keras's initial weights loaded into the same architecture: same predictions, same training history.

Covers the model families of "Engine breadth": a CNN, an LSTM, a GRU stack, a Conv1D +
BatchNormalization model and a two-branch residual functional model.
"""

import os

import numpy as np
import pytest

import engine

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")


def cnn(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((10, 10, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
                           L.Conv2D(6, 3, padding="same", activation="relu"), L.MaxPooling2D(2), L.Flatten(),
                           L.Dense(3, activation="softmax")])


def lstm(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((7, 3)), L.LSTM(5), L.Dense(3, activation="softmax")])


def gru_stack(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((7, 3)), L.GRU(5, return_sequences=True), L.GRU(4),
                           L.Dense(3, activation="softmax")])


def conv1d_batchnorm(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((12, 3)), L.Conv1D(6, 3, padding="same"), L.BatchNormalization(),
                           L.Activation("relu"), L.GlobalAveragePooling1D(), L.Dense(3, activation="softmax")])


def two_branch_residual(lib):
    L = lib.layers
    inputs = lib.Input((6,))
    left = L.Dense(8, activation="relu")(inputs)
    right = L.Dense(8, activation="tanh")(inputs)
    merged = L.Concatenate()([left, right])
    hidden = L.Dense(16, activation="relu")(merged)
    residual = L.Add()([hidden, merged])
    outputs = L.Dense(3, activation="softmax")(residual)
    return lib.Model(inputs, outputs)


SHAPES = {cnn: (10, 10, 1), lstm: (7, 3), gru_stack: (7, 3), conv1d_batchnorm: (12, 3), two_branch_residual: (6,)}


@pytest.mark.parametrize("build", list(SHAPES), ids=lambda f: f.__name__)
def test_same_predictions_and_history_as_keras(build):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, *SHAPES[build])).astype("float32")
    y = rng.integers(0, 3, size=48)
    theirs = build(keras)
    ours = build(engine)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    assert ours.count_params() == theirs.count_params()
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
    histories = []
    for model, lib in ((ours, engine), (theirs, keras)):
        model.compile(lib.optimizers.Adam(learning_rate=0.01), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        histories.append(model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                                   validation_split=0.25).history)
    assert list(histories[0]) == list(histories[1])
    for key in histories[1]:
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-3, atol=1e-4, err_msg=key)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-3, atol=1e-4)
