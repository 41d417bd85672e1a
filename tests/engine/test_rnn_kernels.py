"""The fused recurrent ops' fast paths: the LSTM's and GRU's compiled step kernels against plain NumPy cells in
float32 and float64, and the step loops of SimpleRNN, LSTM and GRU split over threads giving the values and gradients
of one thread, under masks, go_backwards, dropout, other activations and every output."""

import numpy as np
import pytest

import engine
from engine import ops
from engine.autodiff import gradients
from engine.kernels import kernel
from engine.kernels.fast_tanh import tanh32
from engine.kernels.lstm_step import lstm_step
from engine.ops import rnn as rnn_ops
from engine.ops import rnn_threads, windows
from engine.variables import Variable

BATCH, STEPS, FEATURES, UNITS = 5, 4, 3, 6


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def reference_lstm(x, kernel, recurrent, bias, mask=None, go_backwards=False):
    """Keras's LSTM step by step in float64 (gates i, f, c, o): the sequence of outputs and the last c."""
    x, kernel, recurrent, bias = (np.asarray(a, np.float64) for a in (x, kernel, recurrent, bias))
    h = np.zeros((x.shape[0], recurrent.shape[0]))
    c = np.zeros_like(h)
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    outputs = []
    for t in order:
        i, f, g, o = np.split(x[:, t] @ kernel + h @ recurrent + bias, 4, axis=1)
        c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h_new = sigmoid(o) * np.tanh(c_new)
        keep = np.ones((x.shape[0], 1), bool) if mask is None else mask[:, t:t + 1]
        h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
        outputs.append(h)
    return np.stack(outputs, axis=1), c


def reference_gru(x, kernel, recurrent, bias, reset_after=True, mask=None, go_backwards=False):
    """Keras's GRU step by step in float64 (gates z, r, h; with `reset_after` a bias (2, 3 * units))."""
    x, kernel, recurrent, bias = (np.asarray(a, np.float64) for a in (x, kernel, recurrent, bias))
    u = recurrent.shape[0]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
    h = np.zeros((x.shape[0], u))
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    outputs = []
    for t in order:
        x_z, x_r, x_h = np.split(x[:, t] @ kernel + input_bias, 3, axis=1)
        if reset_after:
            h_z, h_r, h_h = np.split(h @ recurrent + recurrent_bias, 3, axis=1)
            z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
            candidate = np.tanh(x_h + r * h_h)
        else:
            z, r = sigmoid(x_z + h @ recurrent[:, :u]), sigmoid(x_r + h @ recurrent[:, u:2 * u])
            candidate = np.tanh(x_h + (r * h) @ recurrent[:, 2 * u:])
        h_new = z * h + (1 - z) * candidate
        keep = np.ones((x.shape[0], 1), bool) if mask is None else mask[:, t:t + 1]
        h = np.where(keep, h_new, h)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def arguments(dtype, gates=4, seed=0, bias_rows=None):
    rng = np.random.default_rng(seed)
    bias_shape = (gates * UNITS,) if bias_rows is None else (bias_rows, gates * UNITS)
    return [rng.normal(size=(BATCH, STEPS, FEATURES)).astype(dtype),
            (rng.normal(size=(FEATURES, gates * UNITS)) * 0.5).astype(dtype),
            (rng.normal(size=(UNITS, gates * UNITS)) * 0.5).astype(dtype),
            (rng.normal(size=bias_shape) * 0.5).astype(dtype)]


@pytest.mark.parametrize("dtype, tolerance", [("float32", 2e-6), ("float64", 1e-13)])
@pytest.mark.parametrize("options", [{}, {"go_backwards": True},
                                     {"mask": np.array([[1, 1, 0, 1]] * 3 + [[0, 1, 1, 0]] * 2, bool)}],
                         ids=["plain", "backwards", "mask"])
def test_lstm_matches_a_plain_numpy_lstm(dtype, tolerance, options):
    x, kernel, recurrent, bias = arguments(dtype)
    sequence, (h, c) = rnn_ops.lstm(x, None, kernel, recurrent, bias, return_sequences=True, **options)
    expected_sequence, expected_c = reference_lstm(x, kernel, recurrent, bias, **options)
    assert sequence.value.dtype == dtype and c.value.dtype == dtype
    np.testing.assert_allclose(sequence.value, expected_sequence, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(h.value, expected_sequence[:, -1], rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(c.value, expected_c, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype, tolerance", [("float32", 2e-6), ("float64", 1e-13)])
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("options", [{}, {"go_backwards": True},
                                     {"mask": np.array([[1, 1, 0, 1]] * 3 + [[0, 1, 1, 0]] * 2, bool)}],
                         ids=["plain", "backwards", "mask"])
def test_gru_matches_a_plain_numpy_gru(dtype, tolerance, reset_after, options):
    x, kernel, recurrent, bias = arguments(dtype, 3, bias_rows=2 if reset_after else None)
    sequence, (h,) = rnn_ops.gru(x, None, kernel, recurrent, bias, reset_after=reset_after, return_sequences=True,
                                 **options)
    expected = reference_gru(x, kernel, recurrent, bias, reset_after, **options)
    assert sequence.value.dtype == dtype
    np.testing.assert_allclose(sequence.value, expected, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(h.value, expected[:, -1], rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("op, gates, extra", [(rnn_ops.lstm, 4, {}), (rnn_ops.gru, 3, {"reset_after": True}),
                                              (rnn_ops.gru, 3, {"reset_after": False})],
                         ids=["lstm", "gru", "gru_reset_before"])
def test_gradients_in_float32_follow_float64(op, gates, extra):
    """The float32 kernels' gradients against the float64 ones (which meet finite differences elsewhere)."""
    results = []
    for dtype in ("float32", "float64"):
        bias_rows = 2 if extra.get("reset_after") else None
        values = [Variable(a, dtype=dtype) for a in arguments(dtype, gates, bias_rows=bias_rows)]
        sequence, _ = op(values[0], None, *values[1:], return_sequences=True, return_state=False, **extra)
        projection = np.random.default_rng(1).normal(size=sequence.shape).astype(dtype)
        grads = gradients(sequence, values, output_gradient=projection)
        assert all(g.dtype == dtype for g in grads)
        results.append(grads)
    for low, high in zip(*results):
        np.testing.assert_allclose(low, high, rtol=2e-4, atol=2e-5)


# -- the batch split over threads --------------------------------------------------------------

OPS = {"lstm": (rnn_ops.lstm, 4, {}),
       "lstm_relu_hard_sigmoid": (rnn_ops.lstm, 4, {"activation": "relu", "recurrent_activation": "hard_sigmoid"}),
       "gru": (rnn_ops.gru, 3, {}),
       "gru_reset_before": (rnn_ops.gru, 3, {"reset_after": False}),
       "gru_softsign_hard_sigmoid": (rnn_ops.gru, 3, {"activation": "softsign",
                                                      "recurrent_activation": "hard_sigmoid"}),
       "simple_rnn": (rnn_ops.simple_rnn, 1, {}),
       "simple_rnn_relu": (rnn_ops.simple_rnn, 1, {"activation": "relu"})}


def run(op, gates, extra, options, dtype):
    """The op's outputs (sequence, states) and every gradient, as arrays."""
    rng = np.random.default_rng(2)
    x, kernel, recurrent, bias = arguments(dtype, gates, bias_rows=2 if extra.get("reset_after", True) and
                                           op is rnn_ops.gru else None)
    values = [Variable(a, dtype=dtype) for a in (x, kernel, recurrent, bias)]
    states = [Variable(rng.normal(size=(BATCH, UNITS)).astype(dtype), dtype=dtype)
              for _ in range(2 if op is rnn_ops.lstm else 1)]
    output, finals = op(values[0], states, *values[1:], return_sequences=True, **extra, **options)
    total = ops.sum(output * rng.normal(size=output.shape).astype(dtype))
    for final in finals:
        total = total + ops.sum(final * rng.normal(size=final.shape).astype(dtype))
    grads = gradients(total, values + states)
    return [output.value] + [f.value for f in finals] + [np.asarray(g) for g in grads]


@pytest.fixture
def two_threads(monkeypatch):
    """The engine at 2 threads, splitting even a tiny batch."""
    before = engine.config.get_num_threads()
    engine.config.set_num_threads(2)
    monkeypatch.setattr(windows, "_MIN_ELEMENTS_PER_THREAD", 1)
    monkeypatch.setattr(rnn_threads, "_MIN_STEP_ELEMENTS_PER_THREAD", 1)
    monkeypatch.setattr(rnn_threads._ThreadChoice, "threads", lambda self, candidates: candidates)
    yield
    engine.config.set_num_threads(before)


def dropout_options(gates, per_gate):
    rng = np.random.default_rng(3)
    shape = (gates, BATCH) if per_gate else (BATCH,)
    options = {"dropout_mask": (rng.random((*shape, FEATURES)) > 0.3) / 0.7}
    if per_gate:
        options["recurrent_dropout_mask"] = (rng.random((*shape, UNITS)) > 0.3) / 0.7
    return options


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["plain", "backwards_mask", "dropout", "dropout_per_gate"])
def test_batch_split_over_threads_gives_the_values_of_one_thread(two_threads, name, dtype, case):
    op, gates, extra = OPS[name]
    options = {"plain": {}, "dropout": dropout_options(gates, False),
               "dropout_per_gate": dropout_options(gates, True),
               "backwards_mask": {"go_backwards": True, "zero_output_for_mask": True,
                                  "mask": np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 1, 1], [0, 0, 1, 1],
                                                    [1, 1, 0, 0]], bool)}}[case]
    split = run(op, gates, extra, options, dtype)
    engine.config.set_num_threads(1)
    whole = run(op, gates, extra, options, dtype)
    tolerance = 1e-6 if dtype == "float32" else 1e-14
    for a, b in zip(split, whole):
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


def test_the_split_really_runs_in_two_threads(two_threads, monkeypatch):
    seen = []
    original = windows._over_batch

    def spy(fn, batch, elements):
        def record(columns):
            seen.append(columns.indices(batch)[:2])
            fn(columns)
        original(record, batch, elements)

    monkeypatch.setattr(rnn_threads, "_over_batch", spy)
    rnn_ops.lstm(*arguments("float32")[:1], None, *arguments("float32")[1:])
    assert sorted(seen) == [(0, 2), (2, 5)]


@pytest.mark.parametrize("op, gates, bias_rows", [(rnn_ops.lstm, 4, None), (rnn_ops.gru, 3, 2),
                                                  (rnn_ops.simple_rnn, 1, None)], ids=["lstm", "gru", "simple_rnn"])
def test_float16_runs_through_float32_and_comes_back_as_float16(op, gates, bias_rows):
    """Numba has no float16: the ops compute such inputs in float32, with float16 outputs and gradients."""
    wide = arguments("float32", gates, bias_rows=bias_rows)
    values = [Variable(a.astype("float16"), dtype="float16") for a in wide]
    output, states = op(values[0], None, *values[1:], return_sequences=True)
    assert output.value.dtype == "float16" and all(s.value.dtype == "float16" for s in states)
    expected, _ = op(*[a.astype("float16").astype("float32") for a in wide[:1]], None,
                     *[a.astype("float16").astype("float32") for a in wide[1:]], return_sequences=True)
    np.testing.assert_allclose(output.value, expected.value, rtol=2e-3, atol=2e-3)
    grads = gradients(ops.sum(output), values)
    assert all(g is not None and g.dtype == "float16" and np.all(np.isfinite(g)) for g in grads)


@pytest.mark.parametrize("batch, units, split", [(4, 6, False), (64, 64, True)])
def test_only_steps_with_enough_work_split_the_batch(monkeypatch, batch, units, split):
    """Each thread runs its own Python loop: a step must hold enough work for the second thread to pay."""
    seen = []
    original = windows._over_batch

    def spy(fn, count, elements):
        seen.append(count)
        return original(fn, count, elements)

    before = engine.config.get_num_threads()
    engine.config.set_num_threads(2)
    monkeypatch.setattr(rnn_threads, "_over_batch", spy)
    monkeypatch.setattr(rnn_threads, "_choices", {})  # nothing measured yet: a loop tries the split first
    rng = np.random.default_rng(0)
    try:
        rnn_ops.lstm(rng.normal(size=(batch, 2, 3)).astype("float32"), None,
                     rng.normal(size=(3, 4 * units)).astype("float32"),
                     rng.normal(size=(units, 4 * units)).astype("float32"), None, return_state=False)
    finally:
        engine.config.set_num_threads(before)
    assert seen == ([batch] if split else [])


def test_thread_choice_takes_the_faster_way_and_tries_the_other_again():
    choice = rnn_threads._ThreadChoice()
    assert choice.threads(2) == 2  # nothing measured: the split first, then one thread
    choice.record(2, 100.0)  # a first run only warms up
    assert choice.threads(2) == 2
    choice.record(2, 3.0)
    assert choice.threads(2) == 1
    choice.record(1, 50.0)
    choice.record(1, 1.0)
    picks = [choice.threads(2) for _ in range(4 * rnn_threads._PROBE_EVERY)]
    assert picks.count(2) == 4  # the slower way again every few calls
    for _ in range(10):  # the split became faster (the machine went quiet): it takes over
        choice.record(2, 0.5)
    assert [choice.threads(2) for _ in range(rnn_threads._PROBE_EVERY)].count(2) == rnn_threads._PROBE_EVERY - 1


def test_a_loop_records_the_time_of_the_way_it_ran(monkeypatch):
    monkeypatch.setattr(rnn_threads, "_choices", {})
    before = engine.config.get_num_threads()
    engine.config.set_num_threads(2)
    try:
        units = 48  # 4 * 48 gate values for 320 samples: a step worth 2 threads
        rnn_ops.lstm(np.zeros((320, STEPS, FEATURES), "float32"), None, np.zeros((FEATURES, 4 * units), "float32"),
                     np.zeros((units, 4 * units), "float32"), None)
    finally:
        engine.config.set_num_threads(before)
    (name, choice), = rnn_threads._choices.items()
    assert name.startswith("lstm.") and choice.warm == {2} and not choice.cost


@kernel
def _tanh32_over(values, out):
    """tanh32 over an array in a compiled loop, as the LSTM step calls it (vectorized)."""
    for n in range(np.uint64(0), np.uint64(values.size)):
        out[n] = tanh32(values[n])


def test_float32_tanh_approximation_is_within_a_few_ulp_of_tanh():
    grid = np.concatenate([np.linspace(-12, 12, 2_000_001, dtype=np.float32),
                           np.float32(10) ** np.arange(-38, 1, 0.01, dtype=np.float32)]).astype(np.float32)
    grid = np.concatenate([grid, -grid, np.array([0, np.inf, -np.inf, np.nan], np.float32)])
    out = np.empty_like(grid)
    _tanh32_over(grid, out)
    exact = np.tanh(grid.astype(np.float64))
    finite = ~np.isnan(grid)
    assert out.dtype == np.float32
    assert np.abs(out[finite] - exact[finite]).max() <= 5e-7
    assert np.all(np.abs(out[finite]) <= 1) and np.array_equal(np.sign(out[finite]), np.sign(exact[finite]))
    assert np.isnan(out[-1])  # a NaN stays NaN (a diverged model must show it)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lstm_step_fused_kernel_matches_numpy_activations(dtype):
    """The default-activation step in one pass: sigmoid gates from halved rows, tanh cell, output, mask."""
    rng = np.random.default_rng(3)
    units, batch, steps = 5, 7, 2
    z = (rng.normal(size=(steps, 4 * units, batch)) * 4).astype(dtype)
    cells = rng.normal(size=(steps + 1, units, batch)).astype(dtype)
    h = rng.normal(size=(units, steps + 1, batch)).astype(dtype)
    keep = np.array([[True] * batch, [True, False] * 3 + [True]])
    expected_cells, expected_h = cells.copy(), h.copy()
    i, f, o = (sigmoid(z[1, g * units:(g + 1) * units].astype(np.float64)) for g in range(3))
    c = f * cells[1] + i * np.tanh(z[1, 3 * units:].astype(np.float64))
    expected_cells[2] = np.where(keep[1], c, cells[1])
    expected_h[:, 2] = np.where(keep[1], o * np.tanh(c), h[:, 1])
    gates = z.copy()
    gates[1, :3 * units] *= 0.5  # the op halves the sigmoid rows in its weights
    new_cells, activations = np.empty((steps, units, batch), dtype), np.empty((steps, units, batch), dtype)
    lstm_step(gates, cells, new_cells, activations, h, 1, 0, batch, keep, None if dtype == "float32" else True)
    tolerance = 2e-6 if dtype == "float32" else 1e-14
    np.testing.assert_allclose(cells, expected_cells, rtol=0, atol=tolerance)
    np.testing.assert_allclose(h, expected_h, rtol=0, atol=tolerance)
    np.testing.assert_allclose(activations[1], np.tanh(c), rtol=0, atol=tolerance)
    np.testing.assert_allclose(gates[1, :units], i, rtol=0, atol=tolerance)
