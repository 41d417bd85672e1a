"""Functional models: graphs with several inputs and outputs, their errors, configs, and training."""

import json
import os

import numpy as np
import pytest

import engine
from engine import layers


def two_in_two_out(lib):
    a = lib.Input((4,), name="a")
    b = lib.Input((3,), name="b")
    ha = lib.layers.Dense(5, activation="relu", name="ha")(a)
    hb = lib.layers.Dense(5, activation="relu", name="hb")(b)
    cls = lib.layers.Dense(2, activation="softmax", name="cls")(ha)
    reg = lib.layers.Dense(1, name="reg")(hb)
    return lib.Model([a, b], [cls, reg])


def data(n=40):
    rng = np.random.default_rng(0)
    xa = rng.normal(size=(n, 4)).astype("float32")
    xb = rng.normal(size=(n, 3)).astype("float32")
    return [xa, xb], [(xa[:, 0] > 0).astype(int), xb.sum(1, keepdims=True).astype("float32")]


def test_model_call_and_shapes():
    model = two_in_two_out(engine)
    assert type(model).__name__ == "Functional"
    assert model.input_names == ["a", "b"] and model.output_names == ["cls", "reg"]
    assert model.output_shape == [(None, 2), (None, 1)]
    x, _ = data(6)
    out = model(x)
    assert [o.shape for o in out] == [(6, 2), (6, 1)]
    as_dict = model({"a": x[0], "b": x[1]})
    np.testing.assert_allclose(np.asarray(as_dict[0]), np.asarray(out[0]))
    assert model.compute_output_shape([(None, 4), (None, 3)]) == [(None, 2), (None, 1)]


def test_layers_in_keras_order():
    a = engine.Input((4,), name="a")
    b = engine.Input((2,), name="b")
    x = layers.Dense(3, name="d")(a)
    y = layers.Dense(2, name="e")(b)
    z = layers.Dense(1, name="f")(x)
    model = engine.Model([a, b], [z, y])
    assert [layer.name for layer in model.layers] == ["a", "d", "b", "f", "e"]  # as Keras orders them


def test_two_inputs_two_outputs_train_end_to_end():
    model = two_in_two_out(engine)
    model.compile("adam", {"cls": "sparse_categorical_crossentropy", "reg": "mse"}, loss_weights={"reg": 0.5,
                  "cls": 1.0}, metrics={"cls": "accuracy", "reg": ["mae"]})
    x, y = data(64)
    history = model.fit(x, {"cls": y[0], "reg": y[1]}, epochs=15, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_allclose(history.history["loss"][-1],
                               history.history["cls_loss"][-1] + 0.5 * history.history["reg_loss"][-1], rtol=1e-4)
    assert model.metrics_names == ["loss", "compile_metrics", "cls_loss", "reg_loss"]
    predictions = model.predict(x, verbose=0)
    assert [p.shape for p in predictions] == [(64, 2), (64, 1)]


def test_config_round_trip_rebuilds_the_same_graph():
    model = two_in_two_out(engine)
    config = json.loads(json.dumps(model.get_config()))
    clone = engine.models.Functional.from_config(config)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert clone.count_params() == model.count_params()
    clone.set_weights(model.get_weights())
    x, _ = data(5)
    for ours, theirs in zip(model.predict(x, verbose=0), clone.predict(x, verbose=0)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    rebuilt = engine.models.model_from_config({"class_name": "Functional", "config": config})
    assert rebuilt.output_names == ["cls", "reg"]


def test_shared_layer_called_twice():
    inputs = engine.Input((6,))
    shared = layers.Dense(6, activation="tanh")
    x = shared(inputs)
    y = shared(x)  # the same weights twice
    out = layers.Dense(6)(y)
    model = engine.Model(inputs, out)
    assert model.count_params() == 42 + 42
    assert len(model.layers) == 3
    clone = engine.models.Functional.from_config(model.get_config())
    assert clone.count_params() == model.count_params()


def test_sequential_config_round_trip():
    model = engine.Sequential([engine.Input((4,)), layers.Dense(3, activation="relu"), layers.Dropout(0.1),
                               layers.Dense(2)])
    clone = engine.Sequential.from_config(json.loads(json.dumps(model.get_config())))
    assert [type(x).__name__ for x in clone.layers] == ["Dense", "Dropout", "Dense"]
    assert clone.built and clone.count_params() == model.count_params()


def test_disconnected_graph_names_the_missing_input():
    a = engine.Input((4,), name="a")
    b = engine.Input((4,), name="b")
    out = layers.Dense(2, name="uses_b")(b)
    with pytest.raises(ValueError, match="Graph disconnected.*uses_b.*'b'"):
        engine.Model(a, out)
    with pytest.raises(ValueError, match=r"Input\(s\) \['a'\] are not connected"):
        engine.Model([a, b], out)


def test_wrong_number_of_inputs_and_wrong_shape_are_named():
    model = two_in_two_out(engine)
    with pytest.raises(ValueError, match="expects 2 input"):
        model(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"Input 'b' of the model expects shape \(None, 3\)"):
        model([np.zeros((2, 4), "float32"), np.zeros((2, 5), "float32")])


def test_duplicate_layer_names_are_refused():
    a = engine.Input((4,))
    x = layers.Dense(2, name="same")(a)
    y = layers.Dense(2, name="same")(x)
    with pytest.raises(ValueError, match="The name 'same' is used 2 times"):
        engine.Model(a, y)


def test_summary_shows_connections(capsys):
    two_in_two_out(engine).summary()
    printed = capsys.readouterr().out
    assert "Connected to" in printed and "a[0][0]" in printed and "Total params: 63" in printed


def test_multi_output_history_and_evaluate_match_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x, y = data()
    results = []
    for lib in (keras, engine):
        model = two_in_two_out(lib)
        if lib is keras:
            weights = model.get_weights()
        else:
            model.set_weights(weights)
        model.compile("adam", ["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5],
                      metrics=[["accuracy"], ["mae", "mse"]])
        history = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0, validation_split=0.25).history
        results.append((history, model.evaluate(x, y, verbose=0), model.metrics_names))
    (ours, our_eval, our_names), (theirs, their_eval, their_names) = results[1], results[0]
    assert list(ours) == list(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-4, atol=1e-5, err_msg=key)
    np.testing.assert_allclose(our_eval, their_eval, rtol=1e-4)
    assert our_names == their_names


def test_tensors_passed_as_keyword_arguments_are_graph_inputs():
    sequence = engine.Input((5, 3))
    h = engine.Input((4,))
    c = engine.Input((4,))
    out = layers.LSTM(4)(sequence, initial_state=[h, c])
    model = engine.Model([sequence, h, c], out)
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(2, 5, 3)).astype("float32"), np.zeros((2, 4), "float32"), np.zeros((2, 4), "float32")]
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(model.layers[-1](x[0])), rtol=1e-6)
    x[1] = np.ones((2, 4), "float32")
    assert not np.allclose(model.predict(x, verbose=0), np.asarray(model.layers[-1](x[0])))
    clone = engine.models.Functional.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_model_from_config_accepts_a_functional_config():
    model = two_in_two_out(engine)
    rebuilt = engine.Model.from_config(model.get_config())
    assert type(rebuilt).__name__ == "Functional" and rebuilt.count_params() == model.count_params()


def test_sequential_records_the_graph_of_its_layers():
    inputs = engine.Input((4,))
    first = layers.Dense(3)
    model = engine.Sequential([inputs, first, layers.Dense(2)])
    assert first.output.shape == (None, 3)
    assert model.inputs[0] is inputs and model.outputs[0].shape == (None, 2)


def test_shape_errors_name_the_layer_once():
    with pytest.raises(ValueError) as info:
        engine.Sequential([engine.Input((5,)), layers.Reshape((2, -1), name="bad_reshape")])
    assert str(info.value).count("bad_reshape") == 1


def test_text_given_to_a_numeric_input_names_the_input_and_the_value():
    x = engine.Input((1,), name="size")
    model = engine.Model(x, engine.layers.Dense(1)(x))
    with pytest.raises(ValueError, match=r"Input 'size' of the model takes numbers \(float32\), but received 'abc'"):
        model.predict(np.array([[1.5], ["abc"]], dtype=object), verbose=0)
    assert model.predict(np.array([[1.5]], dtype=object), verbose=0).shape == (1, 1)


def _described(structure):
    """A model's `input` or `output` as plain data: the shape of each tensor, in the structure Keras gives."""
    def one(t):
        return tuple(t.shape)
    if isinstance(structure, dict):
        return {k: one(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [one(t) for t in structure]
    return one(structure)


@pytest.mark.parametrize("build", ["one", "lists", "dicts"])
def test_input_and_output_keep_the_structure_given_as_keras_does(build):
    keras = pytest.importorskip("keras")

    def model(lib):
        a, b = lib.Input((4,), name="a"), lib.Input((3,), name="b")
        if build == "one":
            return lib.Model(a, lib.layers.Dense(2, name="d")(a))
        ya, yb = lib.layers.Dense(2, name="ya")(a), lib.layers.Dense(1, name="yb")(b)
        if build == "lists":
            return lib.Model([a, b], [ya, yb])
        return lib.Model({"b": b, "a": a}, {"z": ya, "y": yb})

    ours, theirs = model(engine), model(keras)
    assert _described(ours.input) == _described(theirs.input)
    assert _described(ours.output) == _described(theirs.output)
    for mine, keras_s in ((ours.input, theirs.input), (ours.output, theirs.output)):
        assert isinstance(mine, (dict, list, tuple)) == isinstance(keras_s, (dict, list, tuple))
        assert type(mine) is type(keras_s) or not isinstance(mine, (dict, list, tuple))
    if build == "dicts":
        assert list(ours.input) == list(theirs.input) and list(ours.output) == list(theirs.output)
    if build == "one":
        assert ours.input is ours.inputs[0] and ours.output is ours.outputs[0]
