"""Merge layers: contract, shape rules and errors (eager and at graph-building time), functional graphs,
and parity with Keras 3 (skipped without keras/torch)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from layer_test_utils import run_layer_test

import engine
from engine import layers

os.environ.setdefault("KERAS_BACKEND", "torch")

ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def normal(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def plain(config: dict) -> dict:
    return json.loads(json.dumps({k: v for k, v in config.items() if k != "name"}))


# -- contract -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_merge_contract(name):
    inputs = [normal((3, 4), 1), normal((3, 4), 2)]
    out = run_layer_test(getattr(layers, name), {}, input_data=inputs, expected_output_shape=(3, 4),
                         expected_num_trainable_weights=0)
    a, b = inputs
    expected = {"Add": a + b, "Subtract": a - b, "Multiply": a * b, "Average": (a + b) / 2,
                "Maximum": np.maximum(a, b), "Minimum": np.minimum(a, b)}[name]
    np.testing.assert_allclose(out, expected, rtol=1e-6)


@pytest.mark.parametrize("name", ["Add", "Multiply", "Average", "Maximum", "Minimum"])
def test_elementwise_merges_take_more_than_two_inputs(name):
    inputs = [normal((2, 3), i) for i in range(3)]
    out = run_layer_test(getattr(layers, name), {}, input_data=inputs)
    stacked = np.stack(inputs)
    expected = {"Add": stacked.sum(0), "Multiply": stacked.prod(0), "Average": stacked.mean(0),
                "Maximum": stacked.max(0), "Minimum": stacked.min(0)}[name]
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_broadcasting_and_rank_expansion_follow_keras():
    a, b = normal((2, 3, 4), 1), normal((2, 4), 2)
    out = run_layer_test(layers.Add, {}, input_data=[a, b], expected_output_shape=(2, 3, 4))
    np.testing.assert_allclose(out, a + b[:, None, :], rtol=1e-6)
    out = run_layer_test(layers.Multiply, {}, input_data=[normal((2, 3, 1), 3), normal((2, 1, 4), 4)],
                         expected_output_shape=(2, 3, 4))
    assert layers.Add().compute_output_shape([(None, 3, 1), (None, 1, 5)]) == (None, 3, 5)
    assert layers.Add().compute_output_shape([(None, None, 4), (None, 7, 4)]) == (None, None, 4)
    assert layers.Add().compute_output_shape([(8, 4), (None, 4)]) == (8, 4)


@pytest.mark.parametrize("axis,shapes,expected", [
    (-1, [(2, 3, 4), (2, 3, 5)], (2, 3, 9)),
    (1, [(2, 3, 4), (2, 1, 4), (2, 2, 4)], (2, 6, 4)),
    (2, [(2, 3, 4), (2, 3, 2)], (2, 3, 6)),
])
def test_concatenate_contract(axis, shapes, expected):
    inputs = [normal(s, i) for i, s in enumerate(shapes)]
    out = run_layer_test(layers.Concatenate, {"axis": axis}, input_data=inputs, expected_output_shape=expected)
    np.testing.assert_array_equal(out, np.concatenate(inputs, axis=axis))


def test_concatenate_output_shape_keeps_unknown_dims():
    concat = layers.Concatenate(axis=1)
    assert concat.compute_output_shape([(None, 3, 4), (None, 5, 4)]) == (None, 8, 4)
    assert concat.compute_output_shape([(None, None, 4), (None, 5, 4)]) == (None, None, 4)
    assert concat.compute_output_shape([(None, 3, None), (None, 5, 4)]) == (None, 8, None)


@pytest.mark.parametrize("axes,shapes,expected", [
    (1, [(3, 4), (3, 4)], (3, 1)),
    (-1, [(2, 3, 4), (2, 5, 4)], (2, 3, 5)),
    ((1, 2), [(2, 3, 4), (2, 5, 3)], (2, 4, 5)),
    ((2, 1), [(2, 3, 4), (2, 4, 5)], (2, 3, 5)),
    ((1, 1), [(2, 4), (2, 4, 3)], (2, 3)),
])
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_contract(axes, shapes, expected, normalize):
    inputs = [normal(s, i + 5) for i, s in enumerate(shapes)]
    run_layer_test(layers.Dot, {"axes": axes, "normalize": normalize}, input_data=inputs,
                   expected_output_shape=expected)


def test_dot_values_and_cosine_similarity():
    a, b = normal((4, 5), 1), normal((4, 5), 2)
    np.testing.assert_allclose(np.asarray(layers.Dot(axes=1)([a, b])), np.sum(a * b, 1, keepdims=True), rtol=1e-5)
    cos = np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(np.asarray(layers.Dot(axes=1, normalize=True)([a, b]))[:, 0], cos, rtol=1e-5)
    x, y = normal((2, 3, 4), 3), normal((2, 5, 4), 4)
    np.testing.assert_allclose(np.asarray(layers.dot([x, y], axes=2)), np.einsum("bik,bjk->bij", x, y), rtol=1e-5)


def test_functional_helpers():
    a, b = normal((2, 3), 1), normal((2, 3), 2)
    pairs = [(layers.add, a + b), (layers.subtract, a - b), (layers.multiply, a * b), (layers.average, (a + b) / 2),
             (layers.maximum, np.maximum(a, b)), (layers.minimum, np.minimum(a, b)),
             (layers.concatenate, np.concatenate([a, b], -1))]
    for fn, expected in pairs:
        np.testing.assert_allclose(np.asarray(fn([a, b])), expected, rtol=1e-6)
    assert layers.concatenate([a, b], axis=0, name="joined").shape == (4, 3)
    x = engine.Input((3,))
    assert layers.add([x, x], name="twice").shape == (None, 3)


# -- errors ---------------------------------------------------------------------------------------

def test_mismatched_shapes_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"Add 'sum16': inputs \(2, 16\) and \(2, 8\) must have the same shape"):
        layers.Add(name="sum16")([normal((2, 16)), normal((2, 8))])
    with pytest.raises(ValueError, match=r"cannot merge tensors with different batch sizes"):
        layers.Average()([normal((2, 4)), normal((3, 4))])
    with pytest.raises(ValueError, match=r"Concatenate 'cat': inputs \(2, 3, 4\) and \(2, 5, 6\) must have matching "
                                         r"shapes except for the concatenation axis \(axis=-1\)"):
        layers.Concatenate(name="cat")([normal((2, 3, 4)), normal((2, 5, 6))])
    with pytest.raises(ValueError, match=r"same rank"):
        layers.Concatenate()([normal((2, 3, 4)), normal((2, 3))])
    with pytest.raises(ValueError, match=r"Dot 'd': inputs \(2, 3\) and \(2, 4\) must have the same size along the "
                                         r"dot axes 1: 3 \(axis 1\) != 4 \(axis 1\)"):
        layers.Dot(1, name="d")([normal((2, 3)), normal((2, 4))])
    with pytest.raises(ValueError, match="batch axis"):
        layers.Dot((0, 1))([normal((2, 3)), normal((2, 3))])


def test_wrong_number_of_inputs():
    with pytest.raises(ValueError, match=r"Add 'a1': requires at least 2 inputs, received 1"):
        layers.Add(name="a1")([normal((2, 3))])
    with pytest.raises(ValueError, match=r"Subtract 's3': requires exactly 2 inputs, received 3"):
        layers.Subtract(name="s3")([normal((2, 3))] * 3)
    with pytest.raises(ValueError, match=r"requires exactly 2 inputs, received 3"):
        layers.Dot(1)([normal((2, 3))] * 3)
    with pytest.raises(ValueError, match=r"should be called on a list of inputs; received a single input of shape"):
        layers.Multiply()(normal((2, 3)))
    with pytest.raises(ValueError, match=r"should be called on a list of inputs"):
        layers.Concatenate()(engine.Input((3,)))
    built = layers.Add()
    built([normal((2, 3)), normal((2, 3))])
    with pytest.raises(ValueError, match=r"inputs \(2, 3\) and \(2, 4\) must have the same shape"):
        built([normal((2, 3)), normal((2, 4))])
    with pytest.raises(ValueError, match=r"should be called on a list of inputs"):
        built(normal((2, 3)))


def test_dot_argument_errors():
    with pytest.raises(TypeError, match="axes"):
        layers.Dot(axes="last")
    with pytest.raises(ValueError, match="two elements"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match="integers"):
        layers.Dot(axes=(1, 2.0))


def test_errors_at_graph_building_time():
    a, b = engine.Input((16,), name="a"), engine.Input((8,), name="b")
    with pytest.raises(ValueError, match=r"Add 'residual': inputs \(None, 16\) and \(None, 8\) must have the same"):
        layers.Add(name="residual")([a, b])
    with pytest.raises(ValueError, match=r"Concatenate 'join': .*\(None, 4, 16\) and \(None, 5, 16\)"):
        layers.Concatenate(axis=-1, name="join")([engine.Input((4, 16)), engine.Input((5, 16))])
    with pytest.raises(ValueError, match=r"Subtract 'diff': requires exactly 2 inputs, received 3"):
        layers.Subtract(name="diff")([a, a, a])
    shared = layers.Add(name="shared_add")
    shared([a, a])
    with pytest.raises(ValueError, match=r"Add 'shared_add': inputs \(None, 16\) and \(None, 8\)"):
        shared([a, b])  # a built layer checks the shapes again when called on new tensors


# -- functional graphs ---------------------------------------------------------------------------

def two_branch(lib):
    """Input -> two Dense branches -> Concatenate -> Dense, with a residual Add around the last block."""
    inputs = lib.Input((6,), name="features")
    left = lib.layers.Dense(8, activation="relu", name="left")(inputs)
    right = lib.layers.Dense(4, activation="tanh", name="right")(inputs)
    joined = lib.layers.Concatenate(name="join")([left, right])
    block = lib.layers.Dense(12, activation="relu", name="block")(joined)
    residual = lib.layers.Add(name="residual")([joined, block])
    outputs = lib.layers.Dense(2, name="head")(residual)
    return lib.Model(inputs, outputs, name="two_branch")


def test_two_branch_residual_model_shapes_params_and_training():
    model = two_branch(engine)
    assert model.output_shape == (None, 2)
    shapes = model.layer_output_shapes()
    assert shapes["join"] == (None, 12) and shapes["residual"] == (None, 12)
    assert model.count_params() == (6 * 8 + 8) + (6 * 4 + 4) + (12 * 12 + 12) + (12 * 2 + 2)
    assert model.parent_layers(model.get_layer("residual")) == ["join", "block"]
    x, y = normal((32, 6), 1), normal((32, 2), 2)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    clone = engine.models.clone_model(model)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(clone.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)


def test_two_inputs_merged_by_dot_and_concatenate():
    a, b = engine.Input((5,), name="a"), engine.Input((5,), name="b")
    similarity = layers.Dot(axes=1, normalize=True, name="cos")([a, b])
    joined = layers.concatenate([a, b, similarity], name="joined")
    out = layers.Dense(1, name="out")(joined)
    model = engine.Model([a, b], out)
    assert model.layer_output_shapes()["joined"] == (None, 11)
    assert np.asarray(model.predict([normal((4, 5), 1), normal((4, 5), 2)], verbose=0)).shape == (4, 1)


def test_two_branch_model_matches_keras(keras):
    ours, theirs = two_branch(engine), two_branch(keras)
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    x = normal((5, 6), 3)
    np.testing.assert_allclose(np.asarray(ours.predict(x, verbose=0)), theirs.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-5)
    for layer in ("join", "residual"):
        assert plain(ours.get_layer(layer).get_config()) == plain(theirs.get_layer(layer).get_config())


# -- parity with Keras ----------------------------------------------------------------------------

@pytest.mark.parametrize("name,kwargs,shapes", [
    ("Add", {}, [(3, 4), (3, 4)]),
    ("Add", {}, [(2, 3, 4), (2, 4)]),
    ("Subtract", {}, [(3, 2, 4), (3, 2, 4)]),
    ("Multiply", {}, [(2, 3, 1), (2, 1, 4)]),
    ("Average", {}, [(3, 4), (3, 4), (3, 4)]),
    ("Maximum", {}, [(3, 4), (3, 4)]),
    ("Minimum", {}, [(3, 4), (3, 4), (3, 4)]),
    ("Concatenate", {}, [(2, 3, 4), (2, 3, 2)]),
    ("Concatenate", {"axis": 1}, [(2, 3, 4), (2, 5, 4)]),
    ("Dot", {"axes": 1}, [(3, 4), (3, 4)]),
    ("Dot", {"axes": -1, "normalize": True}, [(2, 3, 4), (2, 5, 4)]),
    ("Dot", {"axes": (1, 2)}, [(2, 3, 4), (2, 5, 3)]),
    ("Dot", {"axes": [2, 1]}, [(2, 3, 4), (2, 4, 5)]),
])
def test_merges_match_keras(keras, name, kwargs, shapes):
    inputs = [normal(s, i) for i, s in enumerate(shapes)]
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    np.testing.assert_allclose(np.asarray(ours(inputs)), keras.ops.convert_to_numpy(theirs(inputs)),
                               rtol=1e-5, atol=1e-6)
    assert plain(ours.get_config()) == plain(theirs.get_config())
    symbolic = [(None, *s[1:]) for s in shapes]
    assert tuple(ours.compute_output_shape(symbolic)) == tuple(theirs.compute_output_shape(symbolic))
    k_out = theirs([keras.Input(s[1:]) for s in shapes])
    e_out = getattr(layers, name)(**kwargs)([engine.Input(s[1:]) for s in shapes])
    assert tuple(e_out.shape) == tuple(k_out.shape)
