"""Resizing and RandomFlip: the layer contract with finite-difference gradients, outputs and configs against
Keras 3 (torch backend), RandomFlip inactive at inference, and ONNX export."""

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


def images(shape=(2, 5, 7, 3), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


RESIZE_CASES = [{"height": 4, "width": 9}, {"height": 8, "width": 3, "interpolation": "nearest"},
                {"height": 3, "width": 4, "data_format": "channels_first"}, {"height": 10, "width": 14}]


@pytest.mark.parametrize("kwargs", RESIZE_CASES)
def test_resizing_contract_and_keras(kwargs, keras):
    x = images()
    run_layer_test(layers.Resizing, kwargs, input_data=x)
    ours = np.asarray(layers.Resizing(**kwargs)(x))
    theirs = keras.ops.convert_to_numpy(keras.layers.Resizing(**kwargs)(x))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=2e-6)
    config = {k: v for k, v in layers.Resizing(**kwargs).get_config().items() if k != "name"}
    assert config == {k: v for k, v in keras.layers.Resizing(**kwargs).get_config().items() if k != "name"}


def test_resizing_one_image_and_bad_settings():
    assert np.asarray(layers.Resizing(2, 3)(images((5, 7, 3)))).shape == (2, 3, 3)
    with pytest.raises(ValueError, match="interpolation 'bicubic' is not supported"):
        layers.Resizing(2, 3, interpolation="bicubic")
    with pytest.raises(ValueError, match="positive integer"):
        layers.Resizing(0, 3)


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_random_flip(mode, keras):
    x = images((16, 3, 4, 2))
    # gradients: the flip is random in a call without `training` (Keras's default is True), so none are compared
    run_layer_test(layers.RandomFlip, {"mode": mode, "seed": 1}, input_data=x, check_gradients=False)
    layer = layers.RandomFlip(mode, seed=3)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    flipped = np.asarray(layer(x, training=True))
    candidates = {"horizontal": [x[:, :, ::-1]], "vertical": [x[:, ::-1]],
                  "horizontal_and_vertical": [x[:, :, ::-1], x[:, ::-1], x[:, ::-1, ::-1]]}[mode]
    changed = 0
    for i in range(len(x)):
        options = [x[i]] + [c[i] for c in candidates]
        assert any(np.array_equal(flipped[i], o) for o in options)
        changed += not np.array_equal(flipped[i], x[i])
    assert 0 < changed < len(x)
    theirs = keras.layers.RandomFlip(mode)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(theirs(x, training=False)), x)
    assert {k: v for k, v in layer.get_config().items() if k not in ("name", "seed")} == \
        {k: v for k, v in theirs.get_config().items() if k not in ("name", "seed")}


def test_image_layers_in_a_model_export_to_onnx(tmp_path):
    pytest.importorskip("onnxruntime")
    from test_onnx_export import check_export
    model = engine.Sequential([engine.Input((5, 7, 3)), layers.RandomFlip(), layers.Resizing(4, 9),
                               layers.Resizing(6, 3, interpolation="nearest"), layers.Flatten(), layers.Dense(2)])
    check_export(model, images((3, 5, 7, 3)), tmp_path)


def test_config_is_json(keras):
    assert json.loads(json.dumps(layers.Resizing(3, 3).get_config()))["height"] == 3
