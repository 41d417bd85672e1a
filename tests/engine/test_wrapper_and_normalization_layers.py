"""GroupNormalization, UnitNormalization, TimeDistributed and Lambda: the layer contract with finite-difference
gradients, outputs and configs against Keras 3, and Lambda's safe-mode rule for saved lambdas."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from layer_test_utils import run_layer_test

import engine
from engine import layers, ops

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def normal(shape, seed=0, scale=1.0):
    return (scale * np.random.default_rng(seed).normal(size=shape)).astype("float32")


def plain(config):
    """A config as JSON carries it, without layer names (at any depth: they count layers made so far)."""
    if isinstance(config, dict):
        return {k: plain(v) for k, v in config.items() if k != "name"}
    if isinstance(config, (list, tuple)):
        return [plain(v) for v in config]
    return json.loads(json.dumps(config))


def numpy_of(x):
    import keras
    return keras.ops.convert_to_numpy(x)


def assert_same_as_keras(ours, theirs, x, keras, atol=1e-5):
    theirs_out = theirs(x)
    ours(x)
    ours.set_weights([numpy_of(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(np.asarray(ours(x)), numpy_of(theirs_out), rtol=1e-5, atol=atol)
    assert plain(ours.get_config()) == plain(theirs.get_config())


GROUP_CASES = [({"groups": 2}, (2, 3, 4)), ({"groups": -1}, (2, 3, 4)), ({"groups": 1, "axis": 1}, (2, 4, 3)),
               ({"groups": 3, "center": False, "epsilon": 0.01}, (2, 2, 2, 6))]


@pytest.mark.parametrize("kwargs,shape", GROUP_CASES)
def test_group_normalization(kwargs, shape, keras):
    init = {"gamma_initializer": "glorot_uniform", "beta_initializer": "glorot_uniform"}
    run_layer_test(layers.GroupNormalization, {**kwargs, **init}, input_data=normal(shape, scale=3.0),
                   expected_output_shape=shape)
    assert_same_as_keras(layers.GroupNormalization(**kwargs), keras.layers.GroupNormalization(**kwargs),
                         normal(shape, 1, scale=3.0) + 1.0, keras)


def test_group_normalization_names_a_bad_group_count():
    with pytest.raises(ValueError, match=r"Number of groups \(3\) must be a multiple"):
        layers.GroupNormalization(groups=3)(normal((2, 4)))


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_unit_normalization(axis, keras):
    run_layer_test(layers.UnitNormalization, {"axis": axis}, input_data=normal((2, 3, 4)))
    assert_same_as_keras(layers.UnitNormalization(axis=axis), keras.layers.UnitNormalization(axis=axis),
                         normal((2, 3, 4), 1), keras)


@pytest.mark.parametrize("inner", [lambda lib: lib.layers.Dense(5, activation="tanh"),
                                   lambda lib: lib.layers.Conv1D(2, 2),
                                   lambda lib: lib.layers.BatchNormalization()], ids=["dense", "conv1d", "batchnorm"])
def test_time_distributed(inner, keras):
    shape = (2, 3, 4, 3) if "Conv" in type(inner(engine)).__name__ else (2, 3, 4)
    x = normal(shape)
    ours, theirs = layers.TimeDistributed(inner(engine)), keras.layers.TimeDistributed(inner(keras))
    assert_same_as_keras(ours, theirs, x, keras)
    assert ours.compute_output_shape((None, *shape[1:])) == (None, *np.asarray(ours(x)).shape[1:])


def test_time_distributed_contract():
    run_layer_test(layers.TimeDistributed, {"layer": layers.Dense(3, dtype="float64"), "dtype": "float64"},
                   input_data=normal((2, 4, 5)).astype("float64"), expected_output_shape=(2, 4, 3),
                   expected_num_trainable_weights=2)


def test_time_distributed_batch_normalization_trains_step_by_step_as_keras(keras):
    x = normal((4, 3, 2), scale=2.0) + np.arange(3, dtype="float32")[None, :, None]
    ours, theirs = layers.TimeDistributed(layers.BatchNormalization()), \
        keras.layers.TimeDistributed(keras.layers.BatchNormalization())
    np.testing.assert_allclose(np.asarray(ours(x, training=True)), numpy_of(theirs(x, training=True)), atol=1e-5)
    np.testing.assert_allclose(ours.get_weights()[2], numpy_of(theirs.get_weights()[2]), atol=1e-6)


def test_time_distributed_needs_a_sequence():
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        layers.TimeDistributed(layers.Dense(2))(normal((2, 3)))


# -- Lambda ---------------------------------------------------------------------------------------

def test_lambda_built_in_code_runs_and_trains():
    layer = layers.Lambda(lambda x, scale=1.0: ops.multiply(ops.tanh(x), scale), arguments={"scale": 2.0})
    out = np.asarray(layer(normal((2, 3))))
    np.testing.assert_allclose(out, 2 * np.tanh(normal((2, 3))), rtol=1e-6)
    model = engine.Sequential([engine.Input((3,)), layers.Dense(4), layers.Lambda(lambda x: ops.square(x)),
                               layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(normal((16, 3)), normal((16, 1), 1), epochs=3, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]


def lambda_model(lib):
    inputs = lib.Input((3,))
    x = lib.layers.Lambda(lambda t: t * 2.0 + 1.0, output_shape=(3,))(inputs)
    return lib.Model(inputs, lib.layers.Dense(2)(x))


def test_a_saved_lambda_is_refused_in_safe_mode_and_loads_without_it(tmp_path):
    model = lambda_model(engine)
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(ValueError, match="Requested the deserialization of a `Lambda` layer whose `function` is a "
                                         "Python lambda"):
        engine.saving.load_model(path)
    loaded = engine.saving.load_model(path, safe_mode=False)
    x = normal((4, 3))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_lambda_files_go_both_ways_with_keras(tmp_path, keras):
    x = normal((4, 3))
    ours = lambda_model(engine)
    ours.save(tmp_path / "ours.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.load_model(tmp_path / "ours.keras")
    theirs = keras.saving.load_model(tmp_path / "ours.keras", safe_mode=False)
    np.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    keras_model = lambda_model(keras)
    keras_model.save(tmp_path / "theirs.keras")
    loaded = engine.saving.load_model(tmp_path / "theirs.keras", safe_mode=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), keras_model.predict(x, verbose=0), rtol=1e-5,
                               atol=1e-6)


def test_lambda_with_a_registered_function_loads_in_safe_mode(tmp_path):
    @engine.saving.register_keras_serializable(package="layers12_test")
    def double(x):
        return ops.multiply(x, 2.0)

    inputs = engine.Input((3,))
    model = engine.Model(inputs, layers.Lambda(double)(inputs))
    model.save(tmp_path / "named.keras")
    loaded = engine.saving.load_model(tmp_path / "named.keras")
    np.testing.assert_allclose(loaded.predict(normal((2, 3)), verbose=0), 2 * normal((2, 3)), rtol=1e-6)
