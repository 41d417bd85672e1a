"""SpatialDropout1D/2D, GaussianNoise, GaussianDropout, ActivityRegularization: training-only behaviour,
statistics of the noise, gradients, configs and identity at inference as in Keras 3."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from layer_test_utils import run_layer_test

import engine
from engine import layers
from engine.autodiff import gradients
from engine.variables import Variable

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def plain(config: dict) -> dict:
    return json.loads(json.dumps({k: v for k, v in config.items() if k != "name"}))


CASES = [
    ("SpatialDropout1D", {"rate": 0.3}, (2, 5, 4)),
    ("SpatialDropout2D", {"rate": 0.3}, (2, 3, 4, 5)),
    ("SpatialDropout2D", {"rate": 0.5, "data_format": "channels_first", "seed": 3}, (2, 3, 4, 5)),
    ("GaussianNoise", {"stddev": 0.2}, (3, 4)),
    ("GaussianDropout", {"rate": 0.4, "seed": 1}, (3, 4)),
    ("ActivityRegularization", {"l1": 0.01, "l2": 0.1}, (3, 4)),
]


@pytest.mark.parametrize("name,kwargs,shape", CASES)
def test_contract_and_identity_at_inference(name, kwargs, shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    out = run_layer_test(getattr(layers, name), kwargs, input_data=x, expected_output_shape=shape,
                         expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)
    np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("name,kwargs,shape", CASES)
def test_configs_match_keras(keras, name, kwargs, shape):
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    assert plain(ours.get_config()) == plain(theirs.get_config())
    clone = getattr(layers, name).from_config(ours.get_config())
    assert plain(clone.get_config()) == plain(ours.get_config())
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    np.testing.assert_array_equal(np.asarray(ours(x)), keras.ops.convert_to_numpy(theirs(x)))
    assert ours.compute_output_shape((None, *shape[1:])) == tuple(theirs.compute_output_shape((None, *shape[1:])))


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((64, 10, 8), "float32")
    out = np.asarray(layers.SpatialDropout1D(0.4, seed=0)(x, training=True))
    per_channel = out.reshape(64, 10, 8)
    assert np.all(per_channel == per_channel[:, :1, :])  # constant along the steps axis
    kept = per_channel[:, 0, :] != 0
    assert 0.5 < kept.mean() < 0.7
    np.testing.assert_allclose(per_channel[:, 0, :][kept], 1 / 0.6, rtol=1e-6)

    images = np.ones((16, 5, 6, 7), "float32")
    out = np.asarray(layers.SpatialDropout2D(0.5, seed=1)(images, training=True))
    assert np.all(out == out[:, :1, :1, :])
    out = np.asarray(layers.SpatialDropout2D(0.5, data_format="channels_first", seed=1)(images, training=True))
    assert np.all(out == out[:, :, :1, :1])


def test_spatial_dropout_gradient_uses_the_same_mask():
    layer = layers.SpatialDropout1D(0.5, seed=2)
    x = Variable(np.ones((4, 3, 6), "float32"))
    out = layer(x, training=True)
    (grad,) = gradients(out, [x], np.ones(out.shape, "float32"))
    np.testing.assert_array_equal(grad, out.value)


def test_gaussian_noise_and_dropout_statistics():
    x = np.ones((400, 50), "float32")
    noisy = np.asarray(layers.GaussianNoise(0.5, seed=0)(x, training=True)) - 1
    assert abs(noisy.mean()) < 0.02 and abs(noisy.std() - 0.5) < 0.02
    scaled = np.asarray(layers.GaussianDropout(0.2, seed=0)(x, training=True))
    assert abs(scaled.mean() - 1) < 0.02 and abs(scaled.std() - np.sqrt(0.2 / 0.8)) < 0.02
    layer = layers.GaussianDropout(0.3, seed=4)
    v = Variable(np.full((3, 4), 2.0, "float32"))
    out = layer(v, training=True)
    (grad,) = gradients(out, [v], np.ones((3, 4), "float32"))
    np.testing.assert_allclose(grad, out.value / 2.0, rtol=1e-6)
    for cls, arg in ((layers.GaussianNoise, "stddev"), (layers.GaussianDropout, "rate")):
        with pytest.raises(ValueError, match=f"`{arg}`. Expected a float value between 0 and 1"):
            cls(1.5)


def test_seeded_noise_is_reproducible():
    x = np.zeros((2, 5), "float32")
    a = np.asarray(layers.GaussianNoise(0.1, seed=7)(x, training=True))
    b = np.asarray(layers.GaussianNoise(0.1, seed=7)(x, training=True))
    np.testing.assert_array_equal(a, b)


def test_activity_regularization_adds_the_penalty_to_the_loss():
    x = np.array([[1.0, -2.0], [3.0, 0.5]], "float32")
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    layer(x)
    expected = (0.1 * np.abs(x).sum() + 0.01 * np.square(x).sum()) / 2  # divided by the batch size, as Keras
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(np.asarray(layer.losses[0])), expected, rtol=1e-6)


def test_activity_regularization_penalty_matches_keras(keras):
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    ours, theirs = layers.ActivityRegularization(l1=0.05, l2=0.2), keras.layers.ActivityRegularization(l1=0.05, l2=0.2)
    ours(x)
    theirs(x)
    np.testing.assert_allclose(float(np.asarray(ours.losses[0])), float(keras.ops.convert_to_numpy(theirs.losses[0])),
                               rtol=1e-5)


def test_noise_layers_train_inside_a_model():
    model = engine.Sequential([engine.Input((5, 3)), layers.SpatialDropout1D(0.2), layers.GaussianNoise(0.1),
                               layers.Flatten(), layers.GaussianDropout(0.1), layers.Dense(1),
                               layers.ActivityRegularization(l2=0.01)])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 5, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    first = np.asarray(model.predict(x, verbose=0))
    np.testing.assert_array_equal(first, np.asarray(model.predict(x, verbose=0)))  # no noise at inference
