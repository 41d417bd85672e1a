"""Embedding: the layer contract, row-accumulating gradients, index errors, masks, and parity with Keras."""

import os
import re
import warnings

import numpy as np
import pytest
from layer_test_utils import run_layer_test

import engine
from engine import layers
from engine.autodiff import gradients


@pytest.mark.parametrize("shape", [(4,), (3, 5), (2, 3, 2)])
def test_embedding_contract(shape):
    indices = np.random.default_rng(0).integers(0, 6, size=shape).astype("int32")
    run_layer_test(layers.Embedding, {"input_dim": 6, "output_dim": 3}, input_data=indices,
                   expected_output_shape=(*shape, 3), expected_num_trainable_weights=1)


def test_output_rows_are_the_table_rows():
    layer = layers.Embedding(5, 2)
    indices = np.array([[0, 4, 4], [1, 2, 0]], "int64")
    out = layer(indices)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(out), layer.embeddings.value[indices])
    assert layer.embeddings.path == f"{layer.name}/embeddings"


def test_gradient_adds_up_repeated_rows():
    layer = layers.Embedding(7, 3)
    indices = np.array([[1, 1, 6], [6, 1, 0]])
    out = layer(indices)
    upstream = np.random.default_rng(0).normal(size=out.shape).astype("float32")
    (grad,) = gradients(out, [layer.embeddings], upstream)
    expected = np.zeros((7, 3), "float32")
    np.add.at(expected, indices.reshape(-1), upstream.reshape(-1, 3))
    np.testing.assert_allclose(grad, expected, rtol=1e-6)
    assert grad.dtype == np.float32
    assert not grad[[2, 3, 4, 5]].any()


def test_integer_inputs_are_not_cast_to_float_and_floats_become_indices():
    layer = layers.Embedding(4, 2)
    ints = np.array([[3, 0]], "int64")
    np.testing.assert_array_equal(np.asarray(layer(ints)), np.asarray(layer(ints.astype("float32"))))
    np.testing.assert_array_equal(np.asarray(layer(ints.astype("uint8"))), np.asarray(layer(ints)))
    assert layer.autocast is False


@pytest.mark.parametrize("bad, where", [(5, "(0, 1)"), (-1, "(1, 0)")])
def test_out_of_range_index_names_the_index_and_input_dim(bad, where):
    layer = layers.Embedding(5, 2, name="words")
    indices = np.array([[0, bad], [bad, 1]]) if bad == 5 else np.array([[0, 1], [bad, 1]])
    message = rf"Embedding 'words': index {bad} at position {re.escape(where)}.*input_dim=5"
    with pytest.raises(ValueError, match=message):
        layer(indices)


def test_mask_zero_gives_the_mask_keras_gives():
    layer = layers.Embedding(5, 2, mask_zero=True)
    indices = np.array([[0, 3, 0], [1, 0, 2]])
    np.testing.assert_array_equal(layer.compute_mask(indices), indices != 0)
    assert layer.supports_masking
    assert layers.Embedding(5, 2).compute_mask(indices) is None


def test_arguments_are_checked_and_input_length_is_deprecated():
    with pytest.raises(ValueError, match="`input_dim` must be a positive integer"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match="`output_dim` must be a positive integer"):
        layers.Embedding(3, 2.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers.Embedding(3, 2, input_length=7)
    assert any("input_length" in str(w.message) for w in caught)


def test_initial_weights_and_symbolic_shapes():
    table = np.arange(6, dtype="float32").reshape(3, 2)
    layer = layers.Embedding(3, 2, weights=[table])
    assert layer.built
    np.testing.assert_array_equal(np.asarray(layer(np.array([2, 0]))), table[[2, 0]])
    symbolic = layers.Embedding(10, 4)(engine.Input((None,), dtype="int32"))
    assert tuple(symbolic.shape) == (None, None, 4) and symbolic.dtype == "float32"


def test_embedding_then_lstm_trains():
    engine.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, size=(64, 5))
    y = (x[:, 0] > 10).astype("int64")
    model = engine.Sequential([engine.Input((5,), dtype="int32"), layers.Embedding(20, 8), layers.LSTM(8),
                               layers.Dense(2, activation="softmax")])
    model.compile(optimizer=engine.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]


def test_matches_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    indices = np.random.default_rng(0).integers(0, 9, size=(3, 4))
    theirs = keras.layers.Embedding(9, 5, mask_zero=True, name="emb")
    their_out = keras.ops.convert_to_numpy(theirs(indices))
    ours = layers.Embedding(9, 5, mask_zero=True, name="emb")
    ours(indices)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_array_equal(np.asarray(ours(indices)), their_out)
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    our_config, their_config = ours.get_config(), theirs.get_config()
    assert our_config == their_config
    assert layers.Embedding.from_config(their_config).get_config() == their_config
