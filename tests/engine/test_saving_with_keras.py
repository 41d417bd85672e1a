"""`.keras` files both ways with real Keras 3: what the engine writes opens in Keras, what Keras writes opens
in the engine, with identical predictions, the same h5 layout, the compile config and the optimizer state."""

from __future__ import annotations

import os

import numpy as np
import pytest
from test_saving import FAMILIES, assert_same_outputs, h5_layout, make_inputs, read_member

import engine

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

# Different backends round differently (torch vs NumPy kernels); the weights themselves are copied exactly.
ATOL = 2e-5


def keras_predict(model, x):
    return model.predict(x, verbose=0)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_engine_file_opens_in_keras(family, tmp_path):
    build, specs, _ = FAMILIES[family]
    ours = build(engine)
    x = make_inputs(specs)
    ours.save(tmp_path / "ours.keras")
    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    assert [layer.name for layer in theirs.layers] == [layer.name for layer in ours.layers]
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert_same_outputs(keras_predict(theirs, x), ours.predict(x, verbose=0), atol=ATOL)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_keras_file_opens_in_engine(family, tmp_path):
    build, specs, _ = FAMILIES[family]
    theirs = build(keras)
    x = make_inputs(specs)
    theirs.save(tmp_path / "theirs.keras")
    ours = engine.saving.load_model(tmp_path / "theirs.keras")
    assert ours.count_params() == theirs.count_params()
    for a, b in zip(theirs.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert_same_outputs(ours.predict(x, verbose=0), keras_predict(theirs, x), atol=ATOL)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_same_weights_layout_as_keras(family, tmp_path):
    """Same groups and datasets at the same paths (group names are the layers' own, hence not compared)."""
    build, _, _ = FAMILIES[family]
    build(engine).save(tmp_path / "ours.keras")
    build(keras).save(tmp_path / "theirs.keras")
    ours = h5_layout(read_member(tmp_path / "ours.keras", "model.weights.h5"))
    theirs = h5_layout(read_member(tmp_path / "theirs.keras", "model.weights.h5"))
    assert {k: v for k, v in ours.items() if isinstance(v, tuple)} == \
        {k: v for k, v in theirs.items() if isinstance(v, tuple)}
    assert set(ours) == set(theirs)


def masked_merges(lib):
    """Masks through Concatenate, Add, Dropout, Bidirectional and GlobalAveragePooling1D: Keras writes the
    mask computations as operation nodes (NotEqual, Any, ExpandDims, ZerosLike, OnesLike, LogicalOr...)."""
    L = lib.layers
    steps, tokens, extra = lib.Input((6, 3)), lib.Input((6,), dtype="int32"), lib.Input((6, 2))
    masked, embedded = L.Masking()(steps), L.Embedding(10, 3, mask_zero=True)(tokens)
    x = L.LSTM(2)(L.Concatenate()([masked, embedded, extra]))
    y = L.GRU(2)(L.Dropout(0.1)(L.Add()([masked, embedded])))
    z = L.GlobalAveragePooling1D()(L.Bidirectional(L.SimpleRNN(2, return_sequences=True))(masked))
    return lib.Model([steps, tokens, extra], L.Concatenate()([x, y, z]))


def test_keras_mask_operations_replay_in_engine(tmp_path):
    theirs = masked_merges(keras)
    x = make_inputs([("masked", (6, 3)), ("int", (6,), 10), ("float", (6, 2))])
    theirs.save(tmp_path / "theirs.keras")
    ours = engine.saving.load_model(tmp_path / "theirs.keras")
    operations = {type(layer).__name__ for layer in ours.layers if getattr(layer, "is_keras_operation", False)}
    assert {"NotEqual", "Any", "ExpandDims", "ZerosLike", "OnesLike", "LogicalOr", "Concatenate"} <= operations
    expected = keras_predict(theirs, x)
    assert_same_outputs(ours.predict(x, verbose=0), expected, atol=ATOL)
    ours.save(tmp_path / "ours.keras")
    assert h5_layout(read_member(tmp_path / "ours.keras", "model.weights.h5")).keys() == \
        h5_layout(read_member(tmp_path / "theirs.keras", "model.weights.h5")).keys()
    assert_same_outputs(keras_predict(keras.saving.load_model(tmp_path / "ours.keras"), x), expected, atol=ATOL)


def compile_multi_io(model, lib) -> None:
    model.compile(lib.optimizers.Adam(learning_rate=0.01),
                  loss={"y1": "mse", "y2": lib.losses.BinaryCrossentropy()}, loss_weights={"y1": 1.0, "y2": 0.5},
                  metrics={"y1": ["mae", lib.metrics.RootMeanSquaredError()], "y2": [lib.metrics.BinaryAccuracy()]})


def multi_io_data(n: int = 8):
    x = make_inputs(FAMILIES["multi_io"][1], n=n)
    rng = np.random.default_rng(3)
    y = {"y1": rng.normal(size=(n, 2)).astype("float32"), "y2": rng.integers(0, 2, (n, 1)).astype("float32")}
    return x, y


def compile_simple(model, lib) -> None:
    model.compile(lib.optimizers.Adam(learning_rate=0.01), "mse")


def frozen_data(n: int = 8):
    rng = np.random.default_rng(4)
    return make_inputs(FAMILIES["frozen"][1], n=n), rng.normal(size=(n, 2)).astype("float32")


@pytest.mark.parametrize("family", ["multi_io", "frozen"])
@pytest.mark.parametrize("writer", ["engine", "keras"])
def test_compiled_model_continues_training_in_the_other_library(writer, family, tmp_path):
    """compile_config (strings and objects) and optimizer state cross over: one more epoch in the
    other library gives the same history and weights as in the library that saved the model."""
    lib, other = (engine, keras) if writer == "engine" else (keras, engine)
    model = FAMILIES[family][0](lib)
    (compile_multi_io if family == "multi_io" else compile_simple)(model, lib)
    x, y = multi_io_data() if family == "multi_io" else frozen_data()
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    reloaded = other.saving.load_model(tmp_path / "m.keras")
    assert type(reloaded.optimizer).__name__ == "Adam"
    assert int(np.asarray(reloaded.optimizer.iterations)) == 2
    assert len(reloaded.optimizer.variables) == len(model.optimizer.variables)
    expected = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history
    got = reloaded.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history
    assert sorted(got) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(model.get_weights(), reloaded.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_keras_weights_file_loads_into_engine_model(tmp_path):
    build, specs, _ = FAMILIES["recurrent"]
    theirs, ours = build(keras), build(engine)
    theirs.save_weights(tmp_path / "w.weights.h5")
    ours.load_weights(tmp_path / "w.weights.h5")
    x = make_inputs(specs)
    assert_same_outputs(ours.predict(x, verbose=0), keras_predict(theirs, x), atol=ATOL)
    ours.save_weights(tmp_path / "ours.weights.h5")
    again = build(keras)
    again.load_weights(tmp_path / "ours.weights.h5")
    assert_same_outputs(keras_predict(again, x), keras_predict(theirs, x))
