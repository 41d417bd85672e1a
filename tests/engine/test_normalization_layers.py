"""BatchNormalization, LayerNormalization, Normalization and their fused ops.

Fused ops against central differences; layers through the shared contract; numbers, moving statistics,
configs and weights against Keras 3 (skipped without keras/torch).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from gradcheck import check_gradients
from layer_test_utils import run_layer_test

import engine
from engine import layers
from engine.ops.normalization import batch_normalization, layer_normalization, moments, normalize_batch

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def normal(shape, seed=0, scale=1.0, loc=0.0):
    return (loc + scale * np.random.default_rng(seed).normal(size=shape)).astype("float32")


def plain(config: dict) -> dict:
    """A config as JSON would carry it (tuples as lists), without the layer name."""
    return json.loads(json.dumps({k: v for k, v in config.items() if k != "name"}))


# -- fused ops against finite differences ------------------------------------------------------

@pytest.mark.parametrize("axes,keepdims", [((0,), False), ((0, 2), True), ((1,), False)])
def test_moments_gradients(axes, keepdims):
    x = normal((4, 3, 2), seed=1)
    check_gradients(lambda v: moments(v, axes, keepdims)[0], x)
    check_gradients(lambda v: moments(v, axes, keepdims)[1], x)
    mean, var = moments(x, axes, keepdims)
    np.testing.assert_allclose(mean.value, x.mean(axis=axes, keepdims=keepdims), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(var.value, x.var(axis=axes, keepdims=keepdims), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [-1, 1])
def test_batch_normalization_op_gradients_for_every_argument(axis):
    x = normal((3, 4, 2), seed=2)
    n = x.shape[axis]
    mean, var = normal((n,), 3), np.abs(normal((n,), 4)) + 0.5
    offset, scale = normal((n,), 5), normal((n,), 6)
    check_gradients(lambda *a: batch_normalization(a[0], a[1], a[2], axis, offset=a[3], scale=a[4], epsilon=1e-3),
                    x, mean, var, offset, scale)
    check_gradients(lambda a, m, v: batch_normalization(a, m, v, axis), x, mean, var)
    expected = (x - mean.reshape(_bshape(x, axis))) / np.sqrt(var.reshape(_bshape(x, axis)) + 1e-3)
    np.testing.assert_allclose(batch_normalization(x, mean, var, axis).value, expected, rtol=1e-5, atol=1e-6)


def _bshape(x, axis):
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    return shape


@pytest.mark.parametrize("shape,axis", [((6, 3), -1), ((2, 3, 4, 2), 1), ((3, 4, 5), -1)])
def test_training_batch_norm_gradients(shape, axis):
    x = normal(shape, seed=7, scale=2.0, loc=1.0)
    n = shape[axis]
    gamma, beta = normal((n,), 8), normal((n,), 9)
    check_gradients(lambda a, g, b: normalize_batch(a, axis, scale=g, offset=b, epsilon=1e-3)[0], x, gamma, beta)
    check_gradients(lambda a: normalize_batch(a, axis, epsilon=1e-3)[0], x)
    out, mean, var = normalize_batch(x, axis, scale=gamma, offset=beta)
    reduce = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    np.testing.assert_allclose(mean.value, x.mean(axis=reduce), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var.value, x.var(axis=reduce), rtol=1e-5, atol=1e-6)
    assert not mean.requires_grad and not var.requires_grad


@pytest.mark.parametrize("axis,rms", [(-1, False), ([1, 2], False), (1, False), (-1, True), ([1, 2], True)])
def test_layer_normalization_op_gradients(axis, rms):
    x = normal((2, 3, 4), seed=10, scale=1.5)
    pshape = tuple(x.shape[a] for a in ([axis] if isinstance(axis, int) else axis))
    gamma, beta = normal(pshape, 11), normal(pshape, 12)
    check_gradients(lambda a, g, b: layer_normalization(a, g, b, axis=axis, epsilon=1e-3, rms_scaling=rms),
                    x, gamma, beta)
    check_gradients(lambda a: layer_normalization(a, axis=axis, epsilon=1e-3, rms_scaling=rms), x)


# -- BatchNormalization ---------------------------------------------------------------------------

def test_batch_normalization_contract_and_weights():
    run_layer_test(layers.BatchNormalization, {}, input_shape=(5, 3), expected_output_shape=(5, 3),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=2)
    run_layer_test(layers.BatchNormalization, {"axis": 1, "center": False}, input_shape=(2, 3, 4, 2),
                   expected_num_trainable_weights=1, expected_num_non_trainable_weights=2)
    run_layer_test(layers.BatchNormalization, {"momentum": 0.5}, input_shape=(4, 3), training=True)
    layer = layers.BatchNormalization()
    layer.build((None, 6))
    assert [w.path.split("/")[-1] for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.shape for w in layer.weights] == [(6,)] * 4
    assert [w.trainable for w in layer.weights] == [True, True, False, False]
    assert layer.count_params() == 24
    assert layer.compute_output_shape((None, 7, 6)) == (None, 7, 6)
    with pytest.raises(ValueError, match="known size"):
        layers.BatchNormalization().build((None, None))


def test_batch_normalization_moving_statistics_only_in_training_calls():
    layer = layers.BatchNormalization(momentum=0.9)
    x = normal((32, 3), seed=1, scale=3.0, loc=2.0)
    inference = np.asarray(layer(x))
    np.testing.assert_allclose(inference, x / np.sqrt(1 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.value, 0)
    out = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(0), x.var(0) / (x.var(0) + 1e-3), rtol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.value, 0.1 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.value, 0.9 + 0.1 * x.var(0), rtol=1e-5)

    frozen = layers.BatchNormalization(trainable=False)
    frozen_out = np.asarray(frozen(x, training=True))  # trainable=False means inference mode, as in Keras
    np.testing.assert_allclose(frozen_out, x / np.sqrt(1 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(frozen.moving_mean.value, 0)
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 4


def test_batch_normalization_in_a_model_updates_statistics_in_fit_not_in_predict():
    model = engine.Sequential([engine.Input((3,)), layers.Dense(4), layers.BatchNormalization(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = normal((16, 3), 1), normal((16, 1), 2)
    bn = model.layers[1]
    model.predict(x, verbose=0)
    np.testing.assert_array_equal(bn.moving_variance.value, 1)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not np.allclose(bn.moving_variance.value, 1)
    assert model.count_params() == 16 + 16 + 5
    assert len(model.trainable_weights) == 6


def test_batch_normalization_masked_statistics():
    x = normal((2, 5, 3), seed=3)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    layer = layers.BatchNormalization(momentum=0.0)
    layer(x, training=True, mask=mask)
    kept = x[mask]
    np.testing.assert_allclose(layer.moving_mean.value, kept.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.value, kept.var(0), rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="one dimension less"):
        layer(x, training=True, mask=np.ones((2, 5, 3), bool))


def test_batch_normalization_bad_arguments():
    with pytest.raises(ValueError, match="TensorFlow"):
        layers.BatchNormalization(synchronized=True)
    with pytest.raises(ValueError, match="invalid keys"):
        layers.BatchNormalization(renorm=True, renorm_clipping={"rmx": 1})
    with pytest.raises(ValueError, match="Axis 3 is out of bounds"):
        layers.BatchNormalization(axis=3).compute_output_shape((None, 4))


@pytest.mark.parametrize("config,shape", [
    ({}, (8, 3)),
    ({"momentum": 0.8, "epsilon": 0.01}, (6, 4)),
    ({"axis": 1}, (4, 3, 5, 2)),
    ({"center": False}, (5, 2, 3)),
    ({"scale": False, "momentum": 0.5}, (6, 3)),
    ({"renorm": True, "renorm_clipping": {"rmax": 1.5, "rmin": 0.5, "dmax": 0.3}, "renorm_momentum": 0.9}, (8, 3)),
])
def test_batch_normalization_matches_keras(keras, config, shape):
    ours, theirs = layers.BatchNormalization(**config), keras.layers.BatchNormalization(**config)
    ours.build(shape)
    theirs.build(shape)
    assert [w.path.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [w.trainable for w in ours.weights] == [w.trainable for w in theirs.weights]
    assert plain(ours.get_config()) == plain(theirs.get_config())
    n = shape[config.get("axis", -1)]
    start = [normal((n,), 20 + i, scale=0.5, loc=1.0) if w.path.split("/")[-1] in ("gamma", "moving_variance")
             else normal((n,), 20 + i, scale=0.5) for i, w in enumerate(theirs.weights)]
    if config.get("renorm"):  # keep the renorm stddevs consistent with the variance
        names = [w.path.split("/")[-1] for w in theirs.weights]
        start[names.index("moving_stddev")] = np.sqrt(start[names.index("moving_variance")])
        start[names.index("renorm_stddev")] = np.abs(start[names.index("renorm_stddev")]) + 0.5
    ours.set_weights(start)
    theirs.set_weights(start)
    for step in range(3):
        x = normal(shape, seed=step, scale=2.0, loc=0.5)
        np.testing.assert_allclose(np.asarray(ours(x, training=True)),
                                   keras.ops.convert_to_numpy(theirs(x, training=True)), rtol=1e-4, atol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    x = normal(shape, seed=9)
    np.testing.assert_allclose(np.asarray(ours(x)), keras.ops.convert_to_numpy(theirs(x, training=False)),
                               rtol=1e-4, atol=1e-5)


def test_batch_normalization_gradients_match_keras(keras):
    import torch
    x = normal((6, 4), seed=4, scale=2.0)
    ours, theirs = layers.BatchNormalization(), keras.layers.BatchNormalization()
    ours.build(x.shape)
    theirs.build(x.shape)
    weights = [normal((4,), 1, 0.3, 1.0), normal((4,), 2), np.zeros(4, "float32"), np.ones(4, "float32")]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    projection = normal((6, 4), seed=5)
    xv = engine.Variable(x)
    grads = engine.autodiff.gradients(ours(xv, training=True), [xv, ours.gamma, ours.beta], projection)
    xt = torch.tensor(x, requires_grad=True)
    out = theirs(xt, training=True)
    (out * torch.tensor(projection)).sum().backward()
    expected = [xt.grad.numpy(), theirs.gamma.value.grad.numpy(), theirs.beta.value.grad.numpy()]
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


# -- LayerNormalization ---------------------------------------------------------------------------

def test_layer_normalization_contract():
    run_layer_test(layers.LayerNormalization, {}, input_shape=(3, 5), expected_num_trainable_weights=2)
    run_layer_test(layers.LayerNormalization, {"axis": [1, 2]}, input_shape=(2, 3, 4),
                   expected_num_trainable_weights=2)
    run_layer_test(layers.LayerNormalization, {"center": False, "scale": False}, input_shape=(2, 4),
                   expected_num_trainable_weights=0)
    with pytest.warns(UserWarning, match="deprecated"):
        layer = layers.LayerNormalization(rms_scaling=True)
    layer.build((None, 3, 4))
    assert [w.path.split("/")[-1] for w in layer.weights] == ["gamma"]
    with pytest.raises(TypeError, match="axis"):
        layers.LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="out of bounds"):
        layers.LayerNormalization(axis=2).build((None, 3))


@pytest.mark.parametrize("config,shape", [
    ({}, (4, 6)),
    ({"axis": [1, 2], "epsilon": 1e-5}, (2, 3, 4)),
    ({"axis": [-2, -1]}, (2, 3, 4)),
    ({"center": False}, (3, 5)),
    ({"rms_scaling": True}, (3, 5)),
])
def test_layer_normalization_matches_keras(keras, config, shape):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = layers.LayerNormalization(**config), keras.layers.LayerNormalization(**config)
    ours.build(shape)
    theirs.build(shape)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert plain(ours.get_config()) == plain(theirs.get_config())
    weights = [normal(tuple(w.shape), 30 + i, 0.5, 1.0) for i, w in enumerate(theirs.weights)]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x = normal(shape, seed=3, scale=2.0, loc=1.0)
    np.testing.assert_allclose(np.asarray(ours(x)), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-4, atol=1e-5)


def test_layer_normalization_over_a_middle_axis():
    # Keras's torch backend cannot run this case (torch.layer_norm wants trailing axes): check the formula.
    x = normal((2, 3, 4), seed=3, scale=2.0)
    layer = layers.LayerNormalization(axis=1, epsilon=1e-3)
    layer.build(x.shape)
    gamma, beta = normal((3,), 1), normal((3,), 2)
    layer.set_weights([gamma, beta])
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma[:, None] + beta[:, None]
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5, atol=1e-5)


# -- Normalization (preprocessing) -----------------------------------------------------------------

def test_normalization_adapt_and_call():
    data = normal((50, 3), seed=1, scale=[1.0, 2.0, 5.0], loc=[0.0, 3.0, -1.0])
    layer = layers.Normalization()
    layer.adapt(data)
    assert [w.path.split("/")[-1] for w in layer.weights] == ["mean", "variance", "count"]
    assert [w.dtype for w in layer.weights] == [np.float32, np.float32, np.int32]
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
    np.testing.assert_allclose(layer.adapt_mean.value, data.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.value, data.var(0), rtol=1e-5)
    out = np.asarray(layer(data))
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(0), 1, rtol=1e-4)
    streamed = layers.Normalization()
    streamed.adapt([data[:20], data[20:35], data[35:]])
    np.testing.assert_allclose(streamed.adapt_mean.value, data.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(streamed.adapt_variance.value, data.var(0), rtol=1e-5)
    inverse = layers.Normalization(invert=True)
    inverse.adapt(data)
    np.testing.assert_allclose(np.asarray(inverse(out)), data, rtol=1e-4, atol=1e-4)


def test_normalization_contract_and_errors():
    run_layer_test(layers.Normalization, {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]},
                   input_shape=(4, 3), expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)
    run_layer_test(layers.Normalization, {"axis": None, "mean": 2.0, "variance": 4.0}, input_shape=(3, 2))
    run_layer_test(layers.Normalization, {}, input_shape=(4, 3), expected_num_non_trainable_weights=3)
    out = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 1.0])(np.array([[3.0, 3.0]], "float32"))
    np.testing.assert_allclose(np.asarray(out), [[1.0, 1.0]])
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="incompatible shape"):
        layer = layers.Normalization()
        layer.adapt(normal((5, 3)))
        layer.adapt(normal((5, 4)))
    with pytest.raises(ValueError, match="empty iterable"):
        layers.Normalization().adapt([])
    with pytest.raises(TypeError, match="Unsupported data type"):
        layers.Normalization().adapt(3.0)


@pytest.mark.parametrize("config,shape", [
    ({}, (40, 3)),
    ({"axis": None}, (30, 4)),
    ({"axis": (1, 2)}, (20, 3, 2)),
    ({"axis": 1}, (20, 3, 2)),
    ({"invert": True}, (25, 2)),
])
def test_normalization_adapt_matches_keras(keras, config, shape):
    data = normal(shape, seed=4, scale=3.0, loc=2.0)
    ours, theirs = layers.Normalization(**config), keras.layers.Normalization(**config)
    ours.adapt(data)
    theirs.adapt(data)
    assert plain(ours.get_config()) == plain(theirs.get_config())
    assert [w.path.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    x = normal(shape, seed=5)
    np.testing.assert_allclose(np.asarray(ours(x)), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-5)
    # Keras needs TensorFlow to adapt on an iterable of batches; the streamed result must equal its array result.
    streamed = layers.Normalization(**config)
    streamed.adapt(iter([data[:7], data[7:]]))
    for a, b in zip(streamed.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_normalization_with_given_statistics_matches_keras(keras):
    config = {"axis": (1, 2), "mean": [1.0, -1.0], "variance": [4.0, 0.25]}
    ours, theirs = layers.Normalization(**config), keras.layers.Normalization(**config)
    x = normal((3, 4, 2), seed=6)
    np.testing.assert_allclose(np.asarray(ours(x)), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-6)
    assert plain(ours.get_config()) == plain(theirs.get_config())
    assert ours.weights == [] and len(theirs.weights) == 0


def test_normalization_layer_config_round_trip_through_a_model():
    data = normal((20, 3), seed=2, loc=5.0)
    norm = layers.Normalization()
    norm.adapt(data)
    model = engine.Sequential([engine.Input((3,)), norm, layers.Dense(2)])
    clone = engine.models.clone_model(model)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(clone.predict(data, verbose=0)), np.asarray(model.predict(data, verbose=0)),
                               rtol=1e-6)
