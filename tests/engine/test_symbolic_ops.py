"""Ops on `engine.Input` tensors build into functional models, as in Keras 3: shapes, training, saving (files
going both ways with Keras), tensor operators and slicing; dict outputs ordered by key as Keras orders them."""

import json
import zipfile

import numpy as np
import pytest

import engine
from engine import layers, ops

X = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(16, 2)).astype("float32")


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def ops_model(k):
    """The same functional model with ops between layers, in the engine or in Keras (module `k`)."""
    inputs = k.Input((3,))
    h = k.ops.relu(k.layers.Dense(4, name="dense_in")(inputs))
    values, _ = k.ops.top_k(h, 2)
    mixed = k.ops.concatenate([values, k.ops.where(h[:, :2] > 0.5, 1.0, h[:, 2:]) * 2.0], axis=-1)
    scaled = k.ops.einsum("bi,ij->bj", mixed, np.ones((4, 2), "float32") / 4) + k.ops.sum(h, axis=-1, keepdims=True)
    return k.Model(inputs, k.layers.Dense(2, name="dense_out")(k.ops.tanh(scaled)))


def same_weights(model, reference) -> None:
    for layer in model.layers:
        if layer.weights:
            layer.set_weights(reference.get_layer(layer.name).get_weights())


def test_an_op_on_a_symbolic_tensor_returns_a_symbolic_tensor():
    inputs = engine.Input((5, 3))
    out = ops.relu(layers.Dense(4)(inputs))
    assert isinstance(out, engine.KerasTensor) and out.shape == (None, 5, 4) and out.dtype == "float32"
    values, indices = ops.top_k(out, 2)
    assert values.shape == (None, 5, 2) and indices.dtype == "int32"
    assert ops.argmax(out, axis=-1).shape == (None, 5)
    assert (out[:, 0] * 2 + 1).shape == (None, 4)
    assert ops.cast(out > 0, "int32").dtype == "int32"
    assert ops.einsum("...ij->...ji", out).shape == (None, 4, 5)


def test_a_model_with_ops_predicts_and_trains_as_keras(keras):
    model, reference = ops_model(engine), ops_model(keras)
    same_weights(model, reference)
    np.testing.assert_allclose(model.predict(X, verbose=0), reference.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    for m in (model, reference):
        m.compile(optimizer="sgd", loss="mse")
    ours = model.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    theirs = reference.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_a_saved_model_with_ops_opens_in_keras_and_back(keras, tmp_path):
    model = ops_model(engine)
    path = tmp_path / "ops.keras"
    model.save(path)
    layer_configs = json.loads(zipfile.ZipFile(path).read("config.json"))["config"]["layers"]
    top_k = next(c for c in layer_configs if c["class_name"] == "TopK")
    assert top_k["module"] == "keras.src.ops.math" and top_k["registered_name"] == "TopK"
    assert top_k["config"] == {"name": top_k["name"], "k": 2, "sorted": True}
    expected = model.predict(X, verbose=0)
    np.testing.assert_allclose(keras.saving.load_model(path).predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)
    back = tmp_path / "from_keras.keras"
    keras.saving.load_model(path).save(back)
    reloaded = engine.saving.load_model(back)
    np.testing.assert_allclose(reloaded.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)
    reloaded.compile(optimizer="sgd", loss="mse")  # the loaded op nodes carry gradients
    losses = reloaded.fit(X, Y, epochs=3, verbose=0).history["loss"]
    assert losses[-1] < losses[0]


def test_slicing_a_symbolic_tensor_saves_as_keras_does(keras, tmp_path):
    inputs = engine.Input((3, 4))
    model = engine.Model(inputs, inputs[:, 1:, None, ::2] + inputs[..., :2, None, 1::2])
    path = tmp_path / "slices.keras"
    model.save(path)
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    expected = x[:, 1:, None, ::2] + x[..., :2, None, 1::2]
    np.testing.assert_array_equal(engine.saving.load_model(path).predict(x, verbose=0), expected)
    np.testing.assert_array_equal(keras.saving.load_model(path).predict(x, verbose=0), expected)


def test_ops_need_constant_arguments_where_keras_does():
    inputs = engine.Input((3,))
    with pytest.raises(ValueError, match=r"ops.clip: argument `x_min` must be a constant"):
        ops.clip(inputs, inputs, 1.0)


def test_an_op_that_cannot_take_the_inputs_says_so():
    a, b = engine.Input((3,)), engine.Input((4,))
    with pytest.raises(ValueError, match=r"ops.add cannot be applied to symbolic inputs \[\(None, 3\), \(None, 4\)\]"):
        ops.add(a, b)


def dict_model(k):
    inputs = k.Input((3,))
    h = k.layers.Dense(4, name="hidden")(inputs)
    return k.Model(inputs, {"zeta": k.ops.sum(h, axis=-1), "alpha": k.layers.Dense(2, name="out2")(h)})


def test_dict_outputs_are_ordered_by_key_as_keras(keras):
    model, reference = dict_model(engine), dict_model(keras)
    same_weights(model, reference)
    assert [t.shape for t in model.outputs] == [(None, 2), (None,)]
    assert list(model.predict(X, verbose=0)) == list(reference.predict(X, verbose=0)) == ["alpha", "zeta"]
    targets = [np.ones((16, 2), "float32"), np.zeros(16, "float32")]  # in key order: alpha, zeta
    for m in (model, reference):
        m.compile(optimizer="sgd", loss=["mse", "mae"])
    ours = model.fit(X, targets, epochs=2, batch_size=8, shuffle=False, verbose=0).history
    theirs = reference.fit(X, targets, epochs=2, batch_size=8, shuffle=False, verbose=0).history
    assert sorted(ours) == sorted(theirs) == ["alpha_loss", "loss", "zeta_loss"]
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, err_msg=key)
    for m in (model, reference):
        m.compile(optimizer="sgd", loss={"zeta": "mse", "alpha": "mae"})
    y = {"zeta": np.zeros(16, "float32"), "alpha": np.ones((16, 2), "float32")}
    ours = model.fit(X, y, epochs=1, shuffle=False, verbose=0).history
    theirs = reference.fit(X, y, epochs=1, shuffle=False, verbose=0).history
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, err_msg=key)


def test_rearrange_and_fourier_ops_in_a_saved_model(tmp_path):
    # (Keras 3.15 itself cannot trace `rearrange` with an unknown batch size; the engine can, and saves it as Keras)
    inputs = engine.Input((6, 4))
    folded = ops.rearrange(inputs, "b (h1 h2) w -> b h2 (w h1)", h1=3)
    real, imag = ops.rfft(folded)
    model = engine.Model(inputs, ops.sqrt(real * real + imag * imag))
    assert model.outputs[0].shape == (None, 2, 7)
    path = tmp_path / "signal.keras"
    model.save(path)
    x = np.random.default_rng(2).normal(size=(2, 6, 4)).astype("float32")
    expected = np.abs(np.fft.rfft(x.reshape(2, 3, 2, 4).transpose(0, 2, 3, 1).reshape(2, 2, 12)))
    np.testing.assert_allclose(engine.saving.load_model(path).predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
