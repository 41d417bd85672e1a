"""Permute, RepeatVector, ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D: contract, shapes with unknown
dims, argument errors, and parity with Keras 3 (skipped without keras/torch)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from layer_test_utils import run_layer_test

import engine
from engine import layers

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def normal(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def plain(config: dict) -> dict:
    return json.loads(json.dumps({k: v for k, v in config.items() if k != "name"}))


CASES = [
    ("Permute", {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3)),
    ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5), (2, 5, 3, 4)),
    ("RepeatVector", {"n": 3}, (2, 4), (2, 3, 4)),
    ("ZeroPadding1D", {}, (2, 3, 4), (2, 5, 4)),
    ("ZeroPadding1D", {"padding": (2, 0)}, (2, 3, 4), (2, 5, 4)),
    ("ZeroPadding1D", {"padding": 1, "data_format": "channels_first"}, (2, 3, 4), (2, 3, 6)),
    ("ZeroPadding2D", {}, (2, 3, 4, 2), (2, 5, 6, 2)),
    ("ZeroPadding2D", {"padding": ((1, 0), (0, 2))}, (2, 3, 4, 2), (2, 4, 6, 2)),
    ("ZeroPadding2D", {"padding": (2, 1), "data_format": "channels_first"}, (2, 2, 3, 4), (2, 2, 7, 6)),
    ("Cropping1D", {}, (2, 5, 3), (2, 3, 3)),
    ("Cropping1D", {"cropping": (0, 2)}, (2, 5, 3), (2, 3, 3)),
    ("Cropping2D", {"cropping": 1}, (2, 5, 6, 2), (2, 3, 4, 2)),
    ("Cropping2D", {"cropping": ((1, 0), (2, 1))}, (2, 5, 6, 2), (2, 4, 3, 2)),
    ("Cropping2D", {"cropping": ((0, 1), (1, 0)), "data_format": "channels_first"}, (2, 2, 5, 6), (2, 2, 4, 5)),
    ("UpSampling1D", {}, (2, 3, 4), (2, 6, 4)),
    ("UpSampling1D", {"size": 3}, (2, 3, 4), (2, 9, 4)),
    ("UpSampling2D", {}, (2, 3, 4, 2), (2, 6, 8, 2)),
    ("UpSampling2D", {"size": (3, 1)}, (2, 3, 4, 2), (2, 9, 4, 2)),
    ("UpSampling2D", {"size": (2, 3), "interpolation": "bilinear"}, (2, 3, 4, 2), (2, 6, 12, 2)),
    ("UpSampling2D", {"interpolation": "bilinear", "data_format": "channels_first"}, (1, 2, 3, 4), (1, 2, 6, 8)),
]


@pytest.mark.parametrize("name,kwargs,shape,expected", CASES)
def test_reshaping_contract(name, kwargs, shape, expected):
    run_layer_test(getattr(layers, name), kwargs, input_shape=shape, expected_output_shape=expected,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("name,kwargs,shape,expected", CASES)
def test_reshaping_matches_keras(keras, name, kwargs, shape, expected):
    x = normal(shape, 3)
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    np.testing.assert_allclose(np.asarray(ours(x)), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-6)
    assert plain(ours.get_config()) == plain(theirs.get_config())
    unknown = (None, *[None if i == 1 else d for i, d in enumerate(shape[1:], start=1)])
    assert tuple(ours.compute_output_shape(unknown)) == tuple(theirs.compute_output_shape(unknown))


def test_values_of_simple_cases():
    x = np.arange(6, dtype="float32").reshape(1, 2, 3)
    np.testing.assert_array_equal(np.asarray(layers.Permute((2, 1))(x)), x.transpose(0, 2, 1))
    np.testing.assert_array_equal(np.asarray(layers.ZeroPadding1D((1, 2))(x))[0, :, 0], [0, 0, 3, 0, 0])
    np.testing.assert_array_equal(np.asarray(layers.Cropping1D((1, 0))(x)), x[:, 1:])
    np.testing.assert_array_equal(np.asarray(layers.UpSampling1D(2)(x))[0, :, 0], [0, 0, 3, 3])
    v = np.array([[1.0, 2.0]], "float32")
    np.testing.assert_array_equal(np.asarray(layers.RepeatVector(3)(v)), [[[1, 2]] * 3])
    image = np.array([[0.0, 4.0]], "float32").reshape(1, 1, 2, 1)
    wide = np.asarray(layers.UpSampling2D((1, 2), interpolation="bilinear")(image))[0, 0, :, 0]
    np.testing.assert_allclose(wide, [0.0, 1.0, 3.0, 4.0])  # half-pixel centres, edges clamped


def test_unknown_dims_are_kept():
    assert layers.Permute((2, 1)).compute_output_shape((None, None, 4)) == (None, 4, None)
    assert layers.RepeatVector(5).compute_output_shape((None, 3)) == (None, 5, 3)
    assert layers.ZeroPadding1D(2).compute_output_shape((None, None, 3)) == (None, None, 3)
    assert layers.ZeroPadding2D(1).compute_output_shape((None, None, 5, 3)) == (None, None, 7, 3)
    assert layers.Cropping1D(1).compute_output_shape((None, None, 3)) == (None, None, 3)
    assert layers.Cropping2D(1).compute_output_shape((4, 5, None, 3)) == (4, 3, None, 3)
    assert layers.UpSampling1D(2).compute_output_shape((None, None, 3)) == (None, None, 3)
    assert layers.UpSampling2D(2).compute_output_shape((None, 4, None, 3)) == (None, 8, None, 3)


def test_in_a_sequential_model():
    model = engine.Sequential([engine.Input((6, 3)), layers.ZeroPadding1D(1), layers.Cropping1D((2, 0)),
                               layers.UpSampling1D(2), layers.Permute((2, 1)), layers.Flatten(), layers.Dense(2)])
    assert model.output_shape == (None, 2)
    inputs = engine.Input((6, 3))
    x = layers.ZeroPadding1D(1)(inputs)
    x = layers.UpSampling1D(2)(layers.Cropping1D((2, 0))(x))
    assert layers.Permute((2, 1))(x).shape == (None, 3, 12)
    assert np.asarray(model.predict(normal((4, 6, 3)), verbose=0)).shape == (4, 2)


def test_argument_errors():
    with pytest.raises(ValueError, match="consecutive and start from 1"):
        layers.Permute((0, 1))
    with pytest.raises(TypeError, match="integer value for `n`"):
        layers.RepeatVector(2.0)
    with pytest.raises(ValueError, match="positive integer"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match="`padding` argument must be a tuple of 2 integers"):
        layers.ZeroPadding1D((1, 2, 3))
    with pytest.raises(ValueError, match="should have two elements"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="cannot be negative"):
        layers.Cropping2D(-1)
    with pytest.raises(ValueError, match="data_format"):
        layers.UpSampling2D(data_format="channels_middle")
    with pytest.raises(ValueError, match="interpolation"):
        layers.UpSampling2D(interpolation="lanczos5")
    with pytest.raises(TypeError, match="integer value for `size`"):
        layers.UpSampling1D(size=(2,))


def test_shape_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"smaller than the input length.*\(2, 3, 4\)"):
        layers.Cropping1D((2, 1))(normal((2, 3, 4)))
    with pytest.raises(ValueError, match=r"smaller than the corresponding spatial dimension"):
        layers.Cropping2D(((2, 2), (0, 0)))(engine.Input((4, 5, 1)))
    with pytest.raises(ValueError, match=r"expected ndim=2, found ndim=3"):
        layers.RepeatVector(2)(normal((2, 3, 4)))
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=2"):
        layers.Permute((2, 1))(engine.Input((3,)))
