"""ReLU, LeakyReLU, PReLU, ELU, Softmax (with masks) and Identity: the layer contract with finite-difference
gradients, and outputs and configs against Keras 3 (skipped without keras/torch)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from gradcheck import check_gradients
from layer_test_utils import run_layer_test

from engine import layers
from engine.ops.attention import masked_softmax

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def normal(shape, seed=0, scale=2.0):
    return (scale * np.random.default_rng(seed).normal(size=shape)).astype("float32")


def plain(config: dict) -> dict:
    return json.loads(json.dumps({k: v for k, v in config.items() if k != "name"}))


def away_from_kinks(x, points=(0.0, 0.5, 1.0, 6.0), gap=0.05):
    """Move values off the points where a piecewise activation has no derivative (finite differences)."""
    x = x.copy()
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = p + gap * 2
    return x


CASES = [
    (layers.ReLU, {}),
    (layers.ReLU, {"max_value": 1.0}),
    (layers.ReLU, {"negative_slope": 0.1, "threshold": 0.5}),
    (layers.ReLU, {"max_value": 6.0, "negative_slope": 0.2, "threshold": 0.5}),
    (layers.LeakyReLU, {}),
    (layers.LeakyReLU, {"negative_slope": 0.05}),
    (layers.ELU, {}),
    (layers.ELU, {"alpha": 0.5}),
    (layers.Softmax, {}),
    (layers.Softmax, {"axis": 1}),
    (layers.Softmax, {"axis": [1, 2]}),
    (layers.Identity, {}),
]


@pytest.mark.parametrize("cls,kwargs", CASES)
def test_layer_contract(cls, kwargs):
    x = away_from_kinks(normal((2, 3, 4)))
    run_layer_test(cls, kwargs, input_data=x, expected_output_shape=(2, 3, 4), expected_num_trainable_weights=0)


@pytest.mark.parametrize("cls,kwargs", CASES)
def test_same_outputs_and_config_as_keras(cls, kwargs, keras):
    x = normal((2, 3, 4))
    ours, theirs = cls(**kwargs), getattr(keras.layers, cls.__name__)(**kwargs)
    np.testing.assert_allclose(np.asarray(ours(x)), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-6, atol=1e-6)
    assert plain(ours.get_config()) == plain(theirs.get_config())


@pytest.mark.parametrize("shared_axes", [None, [1], [1, 2]])
def test_prelu_contract_and_keras(shared_axes, keras):
    x = away_from_kinks(normal((2, 3, 4)))
    kwargs = {"shared_axes": shared_axes, "alpha_initializer": "glorot_uniform"}
    expected_alpha = [1 if shared_axes and i + 1 in shared_axes else d for i, d in enumerate((3, 4))]
    run_layer_test(layers.PReLU, kwargs, input_data=x, expected_num_trainable_weights=1)
    ours, theirs = layers.PReLU(**kwargs), keras.layers.PReLU(**kwargs)
    ours(x), theirs(x)
    assert list(ours.alpha.shape) == expected_alpha
    ours.set_weights([w.detach().cpu().numpy() if hasattr(w, "detach") else np.asarray(w)
                      for w in theirs.get_weights()])
    np.testing.assert_allclose(np.asarray(ours(x)), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-6, atol=1e-6)
    assert plain(ours.get_config()) == plain(theirs.get_config())


def test_relu_rejects_negative_settings():
    with pytest.raises(ValueError, match="max_value of a ReLU layer cannot be a negative"):
        layers.ReLU(max_value=-1)
    with pytest.raises(ValueError, match="negative_slope"):
        layers.LeakyReLU(negative_slope=-0.1)


def test_prelu_names_a_bad_shared_axis():
    with pytest.raises(ValueError, match="shared axis 3"):
        layers.PReLU(shared_axes=[3])(np.zeros((2, 3, 4), "float32"))


# -- Softmax with a mask -------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [-1, (1, 2)])
def test_masked_softmax_gradients(axis):
    keep = np.random.default_rng(1).random((2, 1, 4)) > 0.3
    keep[0, 0, :] = False  # a fully masked row gives zeros and no gradient
    check_gradients(lambda x: masked_softmax(x, keep, axis), normal((2, 3, 4)))


@pytest.mark.parametrize("mask_shape", [(2, 3, 4), (2, 1, 4), (4,)])
def test_softmax_mask_as_keras(mask_shape, keras):
    x = normal((2, 3, 4))
    mask = np.random.default_rng(2).random(mask_shape) > 0.4
    ours = np.asarray(layers.Softmax()(x, mask=mask))
    theirs = keras.ops.convert_to_numpy(keras.layers.Softmax()(x, mask=mask))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    assert np.all(ours[np.broadcast_to(~mask, ours.shape)] == 0)


def test_softmax_rejects_a_mask_that_does_not_broadcast():
    with pytest.raises(ValueError, match="broadcastable"):
        layers.Softmax()(normal((2, 3, 4)), mask=np.ones((2, 3, 5), bool))


def test_identity_keeps_the_mask():
    x = np.array([[1, 0, 2]], "int32")
    embedded = layers.Embedding(5, 2, mask_zero=True)(x)
    out = layers.Identity()(embedded)
    np.testing.assert_array_equal(out._keras_mask, [[True, False, True]])
