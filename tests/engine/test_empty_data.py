"""0 rows: `fit`/`evaluate` refuse clearly (Keras raises too), `predict` returns empty outputs of the right shape."""

import numpy as np
import pytest

import engine as keras
from engine import layers


def _mlp():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    model.compile("adam", "mse")
    return model


@pytest.mark.parametrize("method", ["fit", "evaluate", "train_on_batch", "test_on_batch"])
def test_training_and_evaluation_on_zero_rows_raise_a_clear_error(method):
    model = _mlp()
    before = model.get_weights()
    kwargs = {"verbose": 0} if method in ("fit", "evaluate") else {}
    with pytest.raises(ValueError, match=rf"`{method}\(\)` received empty data: `x` has 0 rows"):
        getattr(model, method)(np.zeros((0, 4), "float32"), np.zeros((0, 3), "float32"), **kwargs)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_empty_validation_data_is_named():
    model = _mlp()
    x = np.ones((8, 4), "float32")
    with pytest.raises(ValueError, match=r"`fit \(validation_data\)` received empty data"):
        model.fit(x, x[:, :3], validation_data=(x[:0], x[:0, :3]), verbose=0)


def test_predict_on_zero_rows_returns_an_empty_array_of_the_output_shape():
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.MaxPooling2D(),
                              layers.Flatten(), layers.Dense(5)])
    out = model.predict(np.zeros((0, 8, 8, 1), "float32"), verbose=0)
    assert out.shape == (0, 5) and out.dtype == np.float32
    rnn = keras.Sequential([keras.Input((5, 3)), layers.LSTM(4, return_sequences=True), layers.GRU(2)])
    assert rnn.predict(np.zeros((0, 5, 3), "float32"), verbose=0).shape == (0, 2)


def test_predict_on_zero_rows_gives_one_empty_array_per_output():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    merged = layers.Concatenate()([a, b])
    model = keras.Model([a, b], [layers.Dense(1)(merged), layers.Dense(4)(merged)])
    outs = model.predict([np.zeros((0, 3), "float32"), np.zeros((0, 2), "float32")], verbose=0)
    assert [o.shape for o in outs] == [(0, 1), (0, 4)]
    named = keras.Model([a, b], {"score": layers.Dense(2)(merged)})
    assert named.predict([np.zeros((0, 3)), np.zeros((0, 2))], verbose=0)["score"].shape == (0, 2)
