"""SimpleRNN, LSTM, GRU, their cells, RNN and Bidirectional: the layer contract with finite-difference
gradients, Keras's own golden values, and outputs/gradients/configs compared with real Keras."""

import os

import numpy as np
import pytest
from gradcheck import check_gradients
from layer_test_utils import run_layer_test

import engine
from engine import initializers, layers, ops
from engine.autodiff import gradients
from engine.layers.layer import Layer
from engine.ops import rnn as rnn_ops
from engine.variables import Variable

CONSTANTS = {"kernel_initializer": initializers.Constant(0.01),
             "recurrent_initializer": initializers.Constant(0.02),
             "bias_initializer": initializers.Constant(0.03)}
SEQ72 = np.arange(72).reshape((3, 6, 4)).astype("float32")
SEQ24 = np.arange(24).reshape((2, 3, 4)).astype("float32")
SEQ24B = np.arange(24).reshape((2, 4, 3)).astype("float32")


def first_column(layer, *args, **kwargs):
    return np.asarray(layer(*args, **kwargs))[..., 0]


# -- the layer contract (shapes, config round trip, finite differences, a training step) ----------

@pytest.mark.parametrize("kwargs", [
    {}, {"return_sequences": True}, {"go_backwards": True}, {"use_bias": False}, {"unit_forget_bias": False},
    {"activation": "relu", "recurrent_activation": "hard_sigmoid"}, {"activation": "elu"},
    {"return_sequences": True, "go_backwards": True, "unroll": True},
], ids=str)
def test_lstm_contract(kwargs):
    out_shape = (2, 3, 2) if kwargs.get("return_sequences") else (2, 2)
    run_layer_test(layers.LSTM, {"units": 2, **kwargs}, input_shape=(2, 3, 3), expected_output_shape=out_shape,
                   expected_num_trainable_weights=3 - (not kwargs.get("use_bias", True)),
                   expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("kwargs", [
    {}, {"reset_after": False}, {"return_sequences": True}, {"go_backwards": True},
    {"reset_after": False, "go_backwards": True, "return_sequences": True}, {"use_bias": False},
    {"use_bias": False, "reset_after": False}, {"activation": "softsign", "recurrent_activation": "hard_sigmoid"},
], ids=str)
def test_gru_contract(kwargs):
    out_shape = (2, 3, 2) if kwargs.get("return_sequences") else (2, 2)
    run_layer_test(layers.GRU, {"units": 2, **kwargs}, input_shape=(2, 3, 3), expected_output_shape=out_shape,
                   expected_num_trainable_weights=3 - (not kwargs.get("use_bias", True)))


@pytest.mark.parametrize("kwargs", [
    {}, {"return_sequences": True}, {"go_backwards": True}, {"use_bias": False}, {"activation": "relu"},
    {"activation": None, "return_sequences": True},
], ids=str)
def test_simple_rnn_contract(kwargs):
    out_shape = (2, 3, 2) if kwargs.get("return_sequences") else (2, 2)
    run_layer_test(layers.SimpleRNN, {"units": 2, **kwargs}, input_shape=(2, 3, 3), expected_output_shape=out_shape,
                   expected_num_trainable_weights=3 - (not kwargs.get("use_bias", True)))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("inner", ["lstm", "gru"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_contract(merge_mode, inner, return_sequences):
    # the whole wrapper in float64, so that the helper's float64 gradient check reaches the sublayers unchanged
    cls = layers.LSTM if inner == "lstm" else layers.GRU
    wrapped = cls(2, return_sequences=return_sequences, dtype="float64")
    units = 4 if merge_mode == "concat" else 2
    shape = (2, 3, units) if return_sequences else (2, units)
    data = np.random.default_rng(1).normal(size=(2, 3, 3))
    run_layer_test(layers.Bidirectional, {"layer": wrapped, "merge_mode": merge_mode, "dtype": "float64"},
                   input_data=data, expected_output_shape=shape, expected_num_trainable_weights=6)


# -- Keras's golden values (keras/src/layers/rnn/*_test.py) ------------------------------------

@pytest.mark.parametrize("kwargs, expected", [
    ({}, [0.6288687, 0.86899155, 0.9460773]),
    ({"go_backwards": True}, [0.35622165, 0.74789524, 0.8872726]),
    ({"unroll": True}, [0.6288687, 0.86899155, 0.9460773]),
    ({"unit_forget_bias": False}, [0.57019705, 0.8661914, 0.9459622]),
    ({"use_bias": False}, [0.54986924, 0.86226785, 0.9443936]),
    ({"implementation": 1}, [0.6288687, 0.86899155, 0.9460773]),
], ids=str)
def test_lstm_golden_values(kwargs, expected):
    out = np.asarray(layers.LSTM(3, **CONSTANTS, **kwargs)(SEQ72))
    np.testing.assert_allclose(out, np.repeat(np.array(expected)[:, None], 3, axis=1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs, expected", [
    ({}, [0.5217289, 0.6371659, 0.39384964]),
    ({"go_backwards": True}, [0.24406259, 0.611516, 0.3928808]),
    ({"reset_after": False}, [0.51447755, 0.6426879, 0.40208298]),
    ({"use_bias": False}, [0.49988455, 0.64701194, 0.4103359]),
], ids=str)
def test_gru_golden_values(kwargs, expected):
    np.testing.assert_allclose(first_column(layers.GRU(3, **CONSTANTS, **kwargs), SEQ72), expected,
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs, expected", [
    ({}, [0.405432, 0.73605347]),
    ({"go_backwards": True}, [0.11144729, 0.5528889]),
    ({"go_backwards": True, "unroll": True}, [0.11144729, 0.5528889]),
], ids=str)
def test_simple_rnn_golden_values(kwargs, expected):
    np.testing.assert_allclose(first_column(layers.SimpleRNN(4, **CONSTANTS, **kwargs), SEQ24), expected,
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls, expected", [
    (layers.LSTM, [0.3124785, 0.6863672]), (layers.GRU, [0.29542392, 0.5885018]),
    (layers.SimpleRNN, [0.40559256, 0.7361247]),
])
def test_statefulness_golden_values(cls, expected):
    layer = cls(4, stateful=True, **CONSTANTS)
    for _ in range(2):  # the second round after reset_state gives the same numbers
        layer(SEQ24)
        np.testing.assert_allclose(first_column(layer, SEQ24), expected, rtol=1e-5, atol=1e-5)
        layer.reset_state()


def test_initial_state_golden_values():
    state = np.arange(4).reshape((2, 2)).astype("float32")
    lstm = layers.LSTM(2, **CONSTANTS)
    np.testing.assert_allclose(np.asarray(lstm(SEQ24B, initial_state=[state, state])),
                               [[0.20574439, 0.3558822], [0.64930826, 0.66276]], rtol=1e-5, atol=1e-5)
    lstm = layers.LSTM(2, go_backwards=True, **CONSTANTS)
    np.testing.assert_allclose(np.asarray(lstm(SEQ24B, initial_state=[state, state])),
                               [[0.13281618, 0.2790356], [0.5839337, 0.5992567]], rtol=1e-5, atol=1e-5)
    gru = layers.GRU(2, return_state=True, **CONSTANTS)
    output, h = gru(SEQ24B, initial_state=state)
    np.testing.assert_allclose(np.asarray(output), [[0.23774096, 0.33508456], [0.83659905, 1.0227708]], rtol=1e-5)
    np.testing.assert_allclose(np.asarray(h), np.asarray(output))
    gru = layers.GRU(2, go_backwards=True, **CONSTANTS)
    np.testing.assert_allclose(np.asarray(gru(SEQ24B, initial_state=state)),
                               [[0.13486053, 0.23261218], [0.78257304, 0.9691353]], rtol=1e-5)
    rnn = layers.SimpleRNN(4, **CONSTANTS)
    np.testing.assert_allclose(first_column(rnn, SEQ24B, initial_state=np.arange(8).reshape((2, 4)).astype("float32")),
                               [0.33621645, 0.6262637], rtol=1e-5)


def test_lstm_masking_golden_values():
    mask = np.array([[True, True, True, False], [True, True, False, False]])
    np.testing.assert_allclose(first_column(layers.LSTM(2, unroll=True, **CONSTANTS), SEQ24B, mask=mask),
                               [0.11755939, 0.28556206], rtol=1e-5)
    out = first_column(layers.LSTM(2, return_sequences=True, **CONSTANTS), SEQ24B, mask=mask)
    np.testing.assert_allclose(out, [[0.0158891, 0.05552048, 0.11755939, 0.11755939],
                                     [0.14185596, 0.28556206, 0.28556206, 0.28556206]], rtol=1e-5)
    out = first_column(layers.LSTM(2, return_sequences=True, zero_output_for_mask=True, **CONSTANTS), SEQ24B,
                       mask=mask)
    np.testing.assert_allclose(out, [[0.0158891, 0.05552048, 0.11755939, 0], [0.14185596, 0.28556206, 0, 0]],
                               rtol=1e-5)
    backwards = np.array([[False, True, True, True], [False, False, True, True]])
    np.testing.assert_allclose(first_column(layers.LSTM(2, go_backwards=True, **CONSTANTS), SEQ24B, mask=backwards),
                               [0.15341201, 0.3844719], rtol=1e-5)


def test_gru_masking_golden_values():
    mask = np.array([[True, True, False, True], [True, False, False, True]])
    np.testing.assert_allclose(first_column(layers.GRU(2, unroll=True, **CONSTANTS), SEQ24B, mask=mask),
                               [0.19393763, 0.30818558], rtol=1e-5)
    out = first_column(layers.GRU(2, return_sequences=True, **CONSTANTS), SEQ24B, mask=mask)
    np.testing.assert_allclose(out[0], [0.03606692, 0.09497581, 0.09497581, 0.19393763], rtol=1e-5)
    np.testing.assert_allclose(out[1, :3], [0.16051409] * 3, rtol=1e-5)


# -- return_state, initial states, masks, dropout ---------------------------------------------------

@pytest.mark.parametrize("cls, n_states", [(layers.LSTM, 2), (layers.GRU, 1), (layers.SimpleRNN, 1)])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_return_state_shapes_and_values(cls, n_states, return_sequences):
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    layer = cls(4, return_state=True, return_sequences=return_sequences)
    result = layer(x)
    assert isinstance(result, tuple) and len(result) == 1 + n_states
    output, h = result[0], result[1]
    declared = layer.compute_output_shape((None, None, 3))
    out_shape = (None, None, 4) if return_sequences else (None, 4)
    assert declared == (out_shape, *[(None, 4)] * n_states)
    assert [r.shape for r in result] == [(2, 5, 4) if return_sequences else (2, 4)] + [(2, 4)] * n_states
    np.testing.assert_allclose(np.asarray(h), np.asarray(output)[:, -1] if return_sequences else np.asarray(output))
    symbolic = cls(4, return_state=True, return_sequences=return_sequences)(engine.Input((None, 3)))
    assert [tuple(s.shape) for s in symbolic] == [out_shape] + [(None, 4)] * n_states


@pytest.mark.parametrize("op, gates, extra", [
    (rnn_ops.simple_rnn, 1, {}), (rnn_ops.lstm, 4, {}), (rnn_ops.gru, 3, {"reset_after": True}),
    (rnn_ops.gru, 3, {"reset_after": False}),
], ids=["simple_rnn", "lstm", "gru_after", "gru_before"])
@pytest.mark.parametrize("options", [
    {}, {"go_backwards": True},
    {"mask": np.array([[1, 1, 0, 1], [1, 0, 0, 1]], bool)},
    {"mask": np.array([[1, 0, 1, 1], [0, 1, 1, 0]], bool), "zero_output_for_mask": True, "go_backwards": True},
    {"dropout": "shared"}, {"dropout": "per_gate"},
], ids=["plain", "backwards", "mask", "mask_zero_output", "dropout", "dropout_per_gate"])
def test_ops_gradients_through_outputs_and_final_states(op, gates, extra, options):
    """Every output of the fused ops (sequence, last output, each final state) against central differences,
    with respect to inputs, kernels, bias and initial states, under masks and fixed dropout masks."""
    rng = np.random.default_rng(0)
    batch, steps, features, units = 2, 4, 3, 2
    options = dict(options)
    dropout = options.pop("dropout", None)
    if dropout == "shared":  # one input mask for all gates (Keras's implementation 2)
        options["dropout_mask"] = (rng.random((batch, features)) > 0.3) / 0.7
    elif dropout == "per_gate":  # one mask per gate, inputs and state (implementation 1, recurrent dropout)
        options["dropout_mask"] = (rng.random((gates, batch, features)) > 0.3) / 0.7
        options["recurrent_dropout_mask"] = (rng.random((gates, batch, units)) > 0.3) / 0.7
    bias_shape = (2, gates * units) if extra.get("reset_after") else (gates * units,)
    values = [rng.normal(size=(batch, steps, features)), rng.normal(size=(features, gates * units)) * 0.5,
              rng.normal(size=(units, gates * units)) * 0.5, rng.normal(size=bias_shape) * 0.5,
              rng.normal(size=(batch, units)), rng.normal(size=(batch, units))]
    n_states = 2 if op is rnn_ops.lstm else 1
    outputs = [("sequence", True), ("last", True), ("sequence", False), ("last", False)]
    for which, return_state in outputs + [(f"state{i}", True) for i in range(n_states)]:
        def f(x, k, r, b, h0, c0, which=which, return_state=return_state):
            output, states = op(x, [h0, c0][:n_states], k, r, b, return_sequences=which == "sequence",
                                return_state=return_state, **extra, **options)
            return states[int(which[-1])] if which.startswith("state") else output
        check_gradients(f, *values, rtol=1e-5, atol=1e-7)


def test_dropout_masks_are_fixed_over_time_and_drawn_per_call():
    # linear SimpleRNN, kernel = identity, no recurrence: output_t = x_t * mask
    layer = layers.SimpleRNN(6, activation=None, kernel_initializer="identity", recurrent_initializer="zeros",
                             dropout=0.5, return_sequences=True, seed=3)
    x = np.ones((4, 5, 6), "float32")
    out = np.asarray(layer(x, training=True))
    assert set(np.unique(out)) <= {0.0, 2.0} and 0 < (out == 0).mean() < 1
    assert np.all(out == out[:, :1])  # the same mask at every timestep
    assert not np.array_equal(np.asarray(layer(x, training=True)), out)  # a new mask for every call
    np.testing.assert_array_equal(np.asarray(layer(x)), x)  # no dropout outside training


@pytest.mark.parametrize("cls, count", [(layers.LSTM, 4), (layers.GRU, 3)])
def test_recurrent_dropout_uses_one_mask_per_gate_as_keras(cls, count):
    layer = cls(3, dropout=0.3, recurrent_dropout=0.3, seed=1)
    assert layer.cell.dropout_mask_count == count
    assert cls(3, dropout=0.3).cell.implementation == 2
    x = np.random.default_rng(0).normal(size=(4, 5, 2)).astype("float32")
    inference = np.asarray(layer(x))
    assert not np.allclose(np.asarray(layer(x, training=True)), inference)
    loss = ops.mean(ops.square(layer(x, training=True)))
    assert all(g is not None and np.all(np.isfinite(g)) for g in gradients(loss, layer.trainable_weights))


def test_initial_state_receives_gradients():
    layer = layers.LSTM(3)
    x = np.random.default_rng(0).normal(size=(2, 4, 2)).astype("float32")
    layer(x)

    def f(h0, c0):
        return layer(x.astype("float64"), initial_state=[h0, c0])
    for w in layer.weights:
        w.value = w.value.astype("float64")
    rng = np.random.default_rng(1)
    check_gradients(f, rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rtol=1e-5, atol=1e-7)


# -- cells and the generic RNN wrapper ---------------------------------------------------------

@pytest.mark.parametrize("cell_cls, layer_cls", [(layers.LSTMCell, layers.LSTM), (layers.GRUCell, layers.GRU),
                                                 (layers.SimpleRNNCell, layers.SimpleRNN)])
def test_rnn_wrapper_with_builtin_cell_matches_the_layer(cell_cls, layer_cls):
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    wrapper = layers.RNN(cell_cls(2), return_sequences=True)
    wrapper(x)
    layer = layer_cls(2, return_sequences=True)
    layer(x)
    layer.set_weights(wrapper.get_weights())
    np.testing.assert_allclose(np.asarray(wrapper(x)), np.asarray(layer(x)), rtol=1e-6)
    assert wrapper.weights[0].path == f"{wrapper.name}/{wrapper.cell.name}/kernel"
    clone = layers.RNN.from_config(wrapper.get_config())
    clone(x)
    clone.set_weights(wrapper.get_weights())
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(wrapper(x)), rtol=1e-6)


def test_cell_step_is_one_timestep_of_the_layer():
    x = np.random.default_rng(0).normal(size=(2, 1, 3)).astype("float32")
    layer = layers.LSTM(2, return_state=True)
    _, h, c = layer(x)
    cell = layers.LSTMCell(2)
    cell(x[:, 0], [np.zeros((2, 2), "float32")] * 2)
    cell.set_weights(layer.get_weights())
    out, (h2, c2) = cell(x[:, 0], [np.zeros((2, 2), "float32"), np.zeros((2, 2), "float32")])
    np.testing.assert_allclose(np.asarray(out), np.asarray(h), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(c2), np.asarray(c), rtol=1e-6)
    gru = layers.GRUCell(2)
    out, state = gru(x[:, 0], np.zeros((2, 2), "float32"))  # a single state in, a single state out (Keras)
    np.testing.assert_allclose(np.asarray(out), np.asarray(state))


class MinimalRNNCell(Layer):
    """Keras's documentation example of a custom cell."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
        return output, [output]


@pytest.mark.parametrize("go_backwards", [False, True])
def test_rnn_wrapper_runs_a_custom_cell_step_by_step(go_backwards):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4, 3))
    layer = layers.RNN(MinimalRNNCell(2, dtype="float64"), return_sequences=True, go_backwards=go_backwards,
                       dtype="float64")
    out = np.asarray(layer(x))
    k, r = (w.value for w in layer.weights)
    h, expected = np.zeros((2, 2)), []
    for t in (range(3, -1, -1) if go_backwards else range(4)):
        h = x[:, t] @ k + h @ r
        expected.append(h)
    np.testing.assert_allclose(out, np.stack(expected, axis=1), rtol=1e-10)
    mask = np.array([[1, 1, 0, 1], [1, 0, 0, 1]], bool)
    masked = layers.RNN(MinimalRNNCell(2, dtype="float64"), dtype="float64")
    masked(x)
    masked.set_weights(layer.get_weights())
    builtin = layers.SimpleRNN(2, activation=None, use_bias=False, dtype="float64")
    builtin(x)
    builtin.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(masked(x, mask=mask)), np.asarray(builtin(x, mask=mask)), rtol=1e-10)
    check_gradients(lambda xv: layer(xv), x, rtol=1e-6, atol=1e-8)


# -- Bidirectional ----------------------------------------------------------------------------

def test_bidirectional_weights_names_and_merge_none():
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    inner = layers.LSTM(4, return_sequences=True, name="enc")
    bidi = layers.Bidirectional(inner, merge_mode=None, name="bi")
    y, y_rev = bidi(x)
    assert [w.path for w in bidi.weights] == [f"bi/{d}_enc/lstm_cell/{n}" for d in ("forward", "backward")
                                              for n in ("kernel", "recurrent_kernel", "bias")]
    assert bidi.backward_layer.go_backwards and not bidi.forward_layer.go_backwards
    forward = layers.LSTM(4, return_sequences=True)
    forward(x)
    forward.set_weights(bidi.get_weights()[:3])
    backward = layers.LSTM(4, return_sequences=True, go_backwards=True)
    backward(x)
    backward.set_weights(bidi.get_weights()[3:])
    np.testing.assert_allclose(np.asarray(y), np.asarray(forward(x)), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(y_rev), np.asarray(backward(x))[:, ::-1], rtol=1e-6)
    assert bidi.compute_output_shape((None, 5, 3)) == ((None, 5, 4), (None, 5, 4))


def test_bidirectional_return_state_and_initial_state():
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    bidi = layers.Bidirectional(layers.GRU(4, return_state=True))
    result = bidi(x)
    assert len(result) == 3 and result[0].shape == (2, 8) and result[1].shape == result[2].shape == (2, 4)
    assert bidi.compute_output_shape((None, 5, 3)) == ((None, 8), (None, 4), (None, 4))
    states = [np.ones((2, 4), "float32"), np.zeros((2, 4), "float32")]
    started = bidi(x, initial_state=states)
    np.testing.assert_allclose(np.asarray(started[2]), np.asarray(result[2]), rtol=1e-6)  # backward from zeros
    assert not np.allclose(np.asarray(started[1]), np.asarray(result[1]))


def test_bidirectional_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Invalid merge mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="keras.layers.Layer"):
        layers.Bidirectional("lstm")
    with pytest.raises(ValueError, match="different `go_backwards`"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match='"return_sequences"'):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2, go_backwards=True, return_sequences=True))


# -- shapes, models, errors ---------------------------------------------------------------------

def test_unknown_time_dimension_in_a_functional_model():
    inputs = engine.Input((None, 3))
    hidden = layers.Bidirectional(layers.GRU(4, return_sequences=True))(inputs)
    outputs = layers.LSTM(2)(hidden)
    assert tuple(hidden.shape) == (None, None, 8) and tuple(outputs.shape) == (None, 2)
    model = engine.Model(inputs, outputs)
    for steps in (3, 7):
        assert model.predict(np.zeros((2, steps, 3), "float32"), verbose=0).shape == (2, 2)


def test_lstm_model_trains():
    engine.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 3)).astype("float32")
    y = (x[:, :, 0].sum(axis=1) > 0).astype("int64")
    model = engine.Sequential([engine.Input((6, 3)), layers.LSTM(8), layers.Dense(2, activation="softmax")])
    model.compile(optimizer=engine.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]


def test_bad_arguments_and_inputs_give_clear_errors():
    with pytest.raises(ValueError, match="expected a positive integer"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.GRU(2, use_cudnn="yes")
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layers.LSTM(2)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="expects 2 initial state"):
        layers.LSTM(2)(np.zeros((2, 3, 1), "float32"), initial_state=[np.zeros((2, 2), "float32")])
    with pytest.raises(ValueError, match="batch size must be static"):
        layers.LSTM(2, stateful=True)(engine.Input((3, 1)))
    stateful = layers.SimpleRNN(2, stateful=True)
    stateful(np.zeros((2, 3, 1), "float32"))
    with pytest.raises(ValueError, match="Expected batch size: 2"):
        stateful(np.zeros((3, 3, 1), "float32"))
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, timesteps\) = \(2, 3\)"):
        layers.GRU(2)(np.zeros((2, 3, 1), "float32"), mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="elementwise activation"):
        layers.LSTM(2, activation="softmax")(np.zeros((1, 2, 1), "float32"))


# -- against real Keras -----------------------------------------------------------------------------

def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


PARITY_CASES = [
    ("LSTM", {"units": 5}), ("LSTM", {"units": 4, "return_sequences": True, "go_backwards": True}),
    ("LSTM", {"units": 3, "activation": "relu", "recurrent_activation": "hard_sigmoid", "use_bias": False}),
    ("GRU", {"units": 5}), ("GRU", {"units": 4, "reset_after": False, "return_sequences": True}),
    ("GRU", {"units": 3, "go_backwards": True, "activation": "softsign"}),
    ("SimpleRNN", {"units": 4}), ("SimpleRNN", {"units": 3, "return_sequences": True, "activation": "relu"}),
]


@pytest.mark.parametrize("name, kwargs", PARITY_CASES, ids=str)
def test_outputs_and_gradients_match_keras(name, kwargs):
    keras = _keras()
    import torch
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    theirs = getattr(keras.layers, name)(**kwargs)
    their_out = theirs(x)
    ours = getattr(layers, name)(**kwargs)
    ours(x)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    our_out = ours(x)
    np.testing.assert_allclose(np.asarray(our_out), keras.ops.convert_to_numpy(their_out), rtol=1e-5, atol=1e-6)
    # gradients of the same projection of the output, w.r.t. every weight
    projection = rng.normal(size=our_out.shape).astype("float32")
    tensor = torch.from_numpy(x)
    (theirs(tensor) * torch.from_numpy(projection)).sum().backward()
    their_grads = [w.value.grad.numpy() for w in theirs.trainable_weights]
    our_grads = gradients(our_out, ours.trainable_weights, projection)
    for ours_g, theirs_g, w in zip(our_grads, their_grads, ours.trainable_weights):
        np.testing.assert_allclose(ours_g, theirs_g, rtol=1e-4, atol=1e-5, err_msg=w.path)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
def test_bidirectional_matches_keras(merge_mode):
    keras = _keras()
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), merge_mode=merge_mode)
    their_out = theirs(x)
    ours = layers.Bidirectional(layers.LSTM(4, return_sequences=True), merge_mode=merge_mode)
    ours(x)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    our_out = ours(x)
    pairs = zip(our_out, their_out) if merge_mode is None else [(our_out, their_out)]
    for a, b in pairs:
        np.testing.assert_allclose(np.asarray(a), keras.ops.convert_to_numpy(b), rtol=1e-5, atol=1e-6)


def test_return_state_mask_and_initial_state_match_keras():
    keras = _keras()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 2)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 0], [1, 1, 1, 1, 1]], bool)
    init = [rng.normal(size=(3, 4)).astype("float32") for _ in range(2)]
    for name, n_states in (("LSTM", 2), ("GRU", 1), ("SimpleRNN", 1)):
        theirs = getattr(keras.layers, name)(4, return_state=True, return_sequences=True)
        their_out = theirs(x, mask=mask, initial_state=init[:n_states])
        ours = getattr(layers, name)(4, return_state=True, return_sequences=True)
        ours(x)
        ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
        our_out = ours(x, mask=mask, initial_state=init[:n_states])
        assert len(our_out) == len(their_out) == 1 + n_states
        for a, b in zip(our_out, their_out):
            np.testing.assert_allclose(np.asarray(a), keras.ops.convert_to_numpy(b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
def test_weight_paths_and_config_keys_match_keras(name):
    keras = _keras()
    x = np.zeros((2, 3, 4), "float32")
    theirs = getattr(keras.layers, name)(3, dropout=0.1, return_sequences=True, name="rec")
    theirs(x)
    ours = getattr(layers, name)(3, dropout=0.1, return_sequences=True, name="rec")
    ours(x)
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    our_config, their_config = ours.get_config(), theirs.get_config()
    assert list(our_config) == list(their_config)
    assert our_config == their_config
    assert getattr(layers, name).from_config(their_config).get_config() == their_config


def test_wrapper_configs_equal_keras():
    keras = _keras()
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(3, name="l"), merge_mode="ave", name="b")
    ours = layers.Bidirectional(layers.LSTM(3, name="l"), merge_mode="ave", name="b")
    assert ours.get_config() == theirs.get_config()
    theirs = keras.layers.RNN(keras.layers.GRUCell(3, reset_after=False, name="c"), go_backwards=True, name="r")
    ours = layers.RNN(layers.GRUCell(3, reset_after=False, name="c"), go_backwards=True, name="r")
    assert ours.get_config() == theirs.get_config()
    assert layers.RNN.from_config(theirs.get_config()).get_config() == theirs.get_config()


def test_keras_bidirectional_config_loads():
    keras = _keras()
    theirs = keras.layers.Bidirectional(keras.layers.GRU(3, name="g"), merge_mode="sum", name="bi")
    theirs(np.zeros((1, 2, 3), "float32"))
    from engine.saving import deserialize_keras_object
    ours = deserialize_keras_object(keras.saving.serialize_keras_object(theirs))
    assert ours.merge_mode == "sum" and ours.built
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]


def test_variables_are_float32_and_inputs_are_not_upcast():
    layer = layers.LSTM(3)
    out = layer(np.zeros((2, 4, 2), "float32"))
    assert out.dtype == np.float32 and all(w.dtype == np.float32 for w in layer.weights)
    loss = ops.sum(layer(Variable(np.ones((2, 4, 2), "float32"))))
    assert all(g.dtype == np.float32 for g in gradients(loss, layer.trainable_weights))


def test_masks_flow_from_embedding_through_recurrent_layers():
    x = np.array([[1, 2, 0, 0], [3, 0, 5, 6]])
    embedding = layers.Embedding(8, 3, mask_zero=True)
    first = layers.LSTM(4, return_sequences=True)
    hidden = first(embedding(x))
    np.testing.assert_array_equal(hidden._keras_mask, x != 0)
    last = layers.GRU(2)
    out = last(hidden)
    assert out._keras_mask is None
    unmasked = layers.GRU(2)
    unmasked(np.asarray(hidden))
    unmasked.set_weights(last.get_weights())
    np.testing.assert_allclose(np.asarray(out), np.asarray(unmasked(np.asarray(hidden), mask=x != 0)), rtol=1e-6)
    assert layers.LSTM(2, return_state=True).compute_mask(None, x != 0) == [None, None, None]
    bidi = layers.Bidirectional(layers.LSTM(2, return_sequences=True), merge_mode=None)
    assert [m is not None for m in bidi.compute_mask(None, x != 0)] == [True, True]


@pytest.mark.parametrize("masking", ["embedding", "masking_layer"])
def test_masked_models_match_keras(masking):
    keras = _keras()
    rng = np.random.default_rng(0)
    if masking == "embedding":
        x = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0], [0, 7, 7, 0, 1]])

        def build(lib):
            L = lib.layers
            return lib.Sequential([lib.Input((5,), dtype="int32"), L.Embedding(8, 3, mask_zero=True),
                                   L.Bidirectional(L.LSTM(4, return_sequences=True)), L.GRU(3),
                                   L.Dense(2)])
    else:
        x = rng.normal(size=(3, 5, 2)).astype("float32")
        x[0, 3:] = 0
        x[1, 1] = 0

        def build(lib):
            L = lib.layers
            return lib.Sequential([lib.Input((5, 2)), L.Masking(0.0), L.SimpleRNN(4, return_sequences=True),
                                   L.LSTM(3, go_backwards=True), L.Dense(2)])
    theirs, ours = build(keras), build(engine)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)
