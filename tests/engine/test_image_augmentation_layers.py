"""RandomRotation, RandomZoom, RandomTranslation, RandomContrast and `ops.image.affine_transform`: the layer
contract with finite-difference gradients (factor ranges of one value make the random draw fixed), outputs
and configs against Keras 3 (torch backend), the identity at inference, fresh draws per call, ONNX export."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from gradcheck import check_gradients
from layer_test_utils import run_layer_test

import engine
from engine import layers, ops

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def images(shape=(2, 6, 7, 3), seed=0, high=255.0):
    return np.random.default_rng(seed).uniform(0, high, size=shape).astype("float32")


def random_transforms(n: int, seed: int) -> np.ndarray:
    """Rotation, scale and shift mixed, so points fall inside, between pixels and outside."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, 6)) * [0.6, 0.5, 2.5, 0.5, 0.6, 2.5] + [1, 0, 0, 0, 1, 0]
    return np.concatenate([rows, np.zeros((n, 2))], axis=1).astype("float32")


FILL_MODES = ["constant", "nearest", "wrap", "mirror", "reflect"]


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_affine_transform_matches_keras(fill_mode, interpolation, data_format, keras):
    x = images((3, 6, 7, 2), seed=1)
    if data_format == "channels_first":
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    transform = random_transforms(3, seed=2)
    ours = np.asarray(ops.image.affine_transform(x, transform, interpolation, fill_mode, 7.5, data_format))
    theirs = keras.ops.convert_to_numpy(
        keras.ops.image.affine_transform(x, transform.copy(), interpolation, fill_mode, 7.5, data_format))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-4)


def test_affine_transform_one_image_and_known_values():
    x = np.arange(12, dtype="float32").reshape(3, 4, 1)
    shift_right = np.array([1, 0, -1, 0, 1, 0, 0, 0], "float32")  # the output at x reads the input at x - 1
    out = np.asarray(ops.image.affine_transform(x, shift_right, "nearest", "constant", fill_value=-1))[..., 0]
    np.testing.assert_array_equal(out, [[-1, 0, 1, 2], [-1, 4, 5, 6], [-1, 8, 9, 10]])
    out = np.asarray(ops.image.affine_transform(x, shift_right, "nearest", "reflect"))[..., 0]
    np.testing.assert_array_equal(out[0], [0, 0, 1, 2])
    out = np.asarray(ops.image.affine_transform(x, shift_right, "nearest", "wrap"))[..., 0]
    np.testing.assert_array_equal(out[0], [3, 0, 1, 2])
    with pytest.raises(ValueError, match="fill_mode"):
        ops.image.affine_transform(x, shift_right, fill_mode="bounce")
    with pytest.raises(ValueError, match="rank"):
        ops.image.affine_transform(x[..., 0], shift_right)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_affine_transform_gradients(fill_mode):
    transform = random_transforms(2, seed=3)
    check_gradients(lambda x: ops.image.affine_transform(x, transform, "bilinear", fill_mode, 0.5),
                    images((2, 4, 5, 2), high=1.0))


# Factor ranges of one value (lower == upper) draw the same transform every time, so Keras can be matched.
FIXED = [
    (layers.RandomRotation, {"factor": (0.1, 0.1)}),
    (layers.RandomRotation, {"factor": (-0.3, -0.3), "fill_mode": "constant", "fill_value": 9.0,
                             "interpolation": "nearest"}),
    (layers.RandomRotation, {"factor": (0.2, 0.2), "fill_mode": "wrap", "data_format": "channels_first"}),
    (layers.RandomZoom, {"height_factor": (0.2, 0.2)}),
    (layers.RandomZoom, {"height_factor": (-0.3, -0.3), "width_factor": (0.4, 0.4), "fill_mode": "nearest"}),
    (layers.RandomTranslation, {"height_factor": (0.15, 0.15), "width_factor": (-0.2, -0.2)}),
    (layers.RandomTranslation, {"height_factor": (-0.1, -0.1), "width_factor": (0.3, 0.3), "fill_mode": "constant",
                                "interpolation": "nearest"}),
    (layers.RandomContrast, {"factor": (-0.5, 0.5)}),  # Keras draws from [1 - lower, 1 + upper]: exactly 1.5
    (layers.RandomContrast, {"factor": (-0.5, 0.5), "value_range": (0, 1)}),
]


def _ids(case):
    return f"{case[0].__name__}-" + "-".join(f"{k}={v}" for k, v in case[1].items())


def _keras_config(layer) -> dict:
    return {k: v for k, v in layer.get_config().items() if k not in ("name", "dtype")}


@pytest.mark.parametrize("case", FIXED, ids=[_ids(c) for c in FIXED])
def test_fixed_draws_match_keras(case, keras):
    cls, kwargs = case
    x = images((2, 6, 7, 3)) if kwargs.get("data_format") != "channels_first" else images((2, 3, 6, 7))
    high = kwargs.get("value_range", (0, 255))[1]
    x = x * (high / 255.0)
    ours, theirs = cls(**kwargs), getattr(keras.layers, cls.__name__)(**kwargs)
    np.testing.assert_allclose(np.asarray(ours(x, training=True)),
                               keras.ops.convert_to_numpy(theirs(x, training=True)), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(np.asarray(ours(x[0], training=True)),  # one image, no batch axis
                               keras.ops.convert_to_numpy(theirs(x[0], training=True)), rtol=1e-5, atol=1e-4)
    assert _keras_config(ours) == _keras_config(theirs)
    # the contract: shapes, symbolic call, config round trip, gradients with respect to the images
    run_layer_test(cls, kwargs, input_data=x[:, :5, :5, :3] / high * 2 - 1, gradient_rtol=1e-4, gradient_atol=1e-6)


DEFAULTS = [(layers.RandomRotation, {"factor": 0.2}), (layers.RandomZoom, {"height_factor": 0.3}),
            (layers.RandomZoom, {"height_factor": [-0.2, 0.5], "width_factor": -0.1}),
            (layers.RandomTranslation, {"height_factor": 0.2, "width_factor": [-0.1, 0.3]}),
            (layers.RandomContrast, {"factor": 0.3}), (layers.RandomContrast, {"factor": [0.1, 0.4]}),
            (layers.RandomRotation, {"factor": [-0.5, 0.25], "seed": 4})]


@pytest.mark.parametrize("case", DEFAULTS, ids=[_ids(c) for c in DEFAULTS])
def test_defaults_configs_and_inference(case, keras):
    cls, kwargs = case
    ours, theirs = cls(**kwargs), getattr(keras.layers, cls.__name__)(**kwargs)
    assert _keras_config(ours) == _keras_config(theirs)
    again = cls.from_config(json.loads(json.dumps(ours.get_config())))
    assert json.loads(json.dumps(again.get_config())) == json.loads(json.dumps(ours.get_config()))
    x = images((4, 8, 8, 3))
    np.testing.assert_array_equal(np.asarray(ours(x, training=False)), x)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(theirs(x, training=False)), x)
    first, second = np.asarray(ours(x, training=True)), np.asarray(ours(x, training=True))
    assert first.shape == x.shape and not np.array_equal(first, x)
    assert not np.array_equal(first, second), "each call draws afresh"
    assert not np.array_equal(first[0], first[1]), "each image gets its own draw"


@pytest.mark.parametrize("name,kwargs", [("RandomRotation", {"factor": 0.1}), ("RandomZoom", {"height_factor": 0.1}),
                                         ("RandomTranslation", {"height_factor": 0.1, "width_factor": 0.1}),
                                         ("RandomContrast", {"factor": 0.1}), ("RandomFlip", {})])
def test_integer_images_come_back_as_keras_gives_them(name, kwargs, keras):
    x = np.random.default_rng(0).integers(0, 255, (2, 5, 5, 3)).astype("uint8")
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    for training in (False, True):
        expected = keras.ops.convert_to_numpy(theirs(x, training=training))
        got = np.asarray(ours(x, training=training))
        assert got.dtype == expected.dtype, (training, got.dtype, expected.dtype)
    np.testing.assert_array_equal(np.asarray(ours(x, training=False)), x)


def test_seed_repeats_the_draws():
    x = images((3, 6, 6, 1))
    a, b = layers.RandomRotation(0.3, seed=7), layers.RandomRotation(0.3, seed=7)
    np.testing.assert_array_equal(np.asarray(a(x, training=True)), np.asarray(b(x, training=True)))


def test_contrast_follows_keras_formula():
    x = images((2, 4, 5, 3))
    out = np.asarray(layers.RandomContrast((-0.5, 0.5))(x, training=True))
    mean = x.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out, np.clip((x - mean) * 1.5 + mean, 0, 255), rtol=1e-6, atol=1e-4)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="factor"):
        layers.RandomRotation(1.5)
    with pytest.raises(ValueError, match="height_factor"):
        layers.RandomZoom([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="input_number=-1.0"):
        layers.RandomZoom(-1.0)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        layers.RandomTranslation(0.1, 0.1, fill_mode="mirror")
    with pytest.raises(NotImplementedError, match="interpolation"):
        layers.RandomZoom(0.1, interpolation="bicubic")
    with pytest.raises(ValueError, match="rank 3"):
        layers.RandomRotation(0.1)(np.zeros((2, 3), "float32"))


def test_augmentation_pipeline_trains_and_exports_to_onnx(tmp_path):
    """A vision model with its augmentation in front: fit runs it (training), predict passes images through."""
    pytest.importorskip("onnxruntime")
    from test_onnx_export import check_export
    augment = engine.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
                                 layers.RandomZoom(0.1), layers.RandomTranslation(0.1, 0.1),
                                 layers.RandomContrast(0.2, value_range=(0, 1))])
    model = engine.Sequential([engine.Input((6, 6, 1)), augment, layers.Conv2D(2, 3), layers.Flatten(),
                               layers.Dense(2)])
    x = images((8, 6, 6, 1), high=1.0)
    model.compile("adam", "mse")
    model.fit(x, np.zeros((8, 2), "float32"), epochs=1, verbose=0)
    check_export(model, x[:3], tmp_path)
