"""Optimizers and learning rate schedules against hand-written float64 formulas and against Keras 3."""

from __future__ import annotations

import math
import os
import re
import warnings

import numpy as np
import pytest

import engine.optimizers as optimizers
from engine.optimizers import schedules
from engine.variables import Variable

os.environ.setdefault("KERAS_BACKEND", "torch")

SHAPES = [(3, 4), (4,), ()]
STEPS = 5


def _keras():
    return pytest.importorskip("keras")


def make_data(seed: int, steps: int = STEPS):
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(steps)]
    return values, grads


def make_variables(values, names=("kernel", "bias", "scale")):
    out = []
    for value, name in zip(values, names):
        v = Variable(value, name=name)
        v.path = f"dense/{name}"
        out.append(v)
    return out


def run_engine(optimizer, values, grads_seq):
    variables = make_variables(values)
    for grads in grads_seq:
        optimizer.apply_gradients(zip([g.copy() for g in grads], variables))
    return [v.value.copy() for v in variables]


def run_keras(optimizer, values, grads_seq, names=("kernel", "bias", "scale")):
    keras = _keras()
    variables = [keras.Variable(v.copy(), name=n) for v, n in zip(values, names)]
    for grads in grads_seq:
        optimizer.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in grads], variables))
    return [keras.ops.convert_to_numpy(v) for v in variables]


# -- reference formulas (float64, written from the Keras documentation and source) --------------
def _clip(grads, cfg):
    if cfg.get("clipnorm"):
        c = cfg["clipnorm"]
        return [g * c / max(np.linalg.norm(g), c) for g in grads]
    if cfg.get("global_clipnorm"):
        c = cfg["global_clipnorm"]
        norm = math.sqrt(sum(np.sum(g * g) for g in grads))
        return [g * c / max(norm, c) for g in grads]
    if cfg.get("clipvalue"):
        return [np.clip(g, -cfg["clipvalue"], cfg["clipvalue"]) for g in grads]
    return grads


def _sgd(w, g, s, lr, t, momentum=0.0, nesterov=False, **_):
    if momentum == 0:
        return w - lr * g
    s["m"] = momentum * s.get("m", 0.0) - lr * g
    return w + (momentum * s["m"] - lr * g if nesterov else s["m"])


def _rmsprop(w, g, s, lr, t, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **_):
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
    if centered:
        s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        denominator = s["v"] - s["a"] ** 2 + epsilon
    else:
        denominator = s["v"] + epsilon
    increment = lr * g / np.sqrt(denominator)
    if momentum > 0:
        s["mo"] = momentum * s.get("mo", 0.0) + increment
        return w - s["mo"]
    return w - increment


def _adam(w, g, s, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **_):
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g * g
    v = s["v"]
    if amsgrad:
        s["vh"] = v = np.maximum(s.get("vh", 0.0), v)
    alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * s["m"] / (np.sqrt(v) + epsilon)


def _adagrad(w, g, s, lr, t, initial_accumulator_value=0.1, epsilon=1e-7, **_):
    s["acc"] = s.get("acc", initial_accumulator_value) + g * g
    return w - lr * g / np.sqrt(s["acc"] + epsilon)


def _adadelta(w, g, s, lr, t, rho=0.95, epsilon=1e-7, **_):
    s["ag"] = rho * s.get("ag", 0.0) + (1 - rho) * g * g
    delta = -np.sqrt(s.get("ad", 0.0) + epsilon) / np.sqrt(s["ag"] + epsilon) * g
    s["ad"] = rho * s.get("ad", 0.0) + (1 - rho) * delta * delta
    return w + lr * delta


def _adamax(w, g, s, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **_):
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["u"] = np.maximum(beta_2 * s.get("u", 0.0), np.abs(g))
    return w - lr / (1 - beta_1 ** t) * s["m"] / (s["u"] + epsilon)


def _nadam(w, g, s, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, shared=None, **_):
    def mu(step):
        return beta_1 * (1 - 0.5 * 0.96 ** step)
    product = shared["u_product"]  # already includes mu(t)
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g * g
    m_hat = mu(t + 1) * s["m"] / (1 - product * mu(t + 1)) + (1 - mu(t)) * g / (1 - product)
    v_hat = s["v"] / (1 - beta_2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)


def _lion(w, g, s, lr, t, beta_1=0.9, beta_2=0.99, **_):
    m = s.get("m", 0.0)
    w = w - lr * np.sign(beta_1 * m + (1 - beta_1) * g)
    s["m"] = beta_2 * m + (1 - beta_2) * g
    return w


REFERENCE = {"SGD": _sgd, "RMSprop": _rmsprop, "Adam": _adam, "AdamW": _adam, "Adagrad": _adagrad,
             "Adadelta": _adadelta, "Adamax": _adamax, "Nadam": _nadam, "Lion": _lion}
DEFAULT_WEIGHT_DECAY = {"AdamW": 0.004}


def run_reference(name, cfg, values, grads_seq):
    lr_fn = cfg["learning_rate"]
    lr_fn = lr_fn if callable(lr_fn) else (lambda step, lr=lr_fn: lr)
    weight_decay = cfg.get("weight_decay", DEFAULT_WEIGHT_DECAY.get(name))
    ws = [v.astype(np.float64) for v in values]
    states = [{} for _ in ws]
    shared = {"u_product": 1.0}
    for step, grads in enumerate(grads_seq):
        t = step + 1
        lr = lr_fn(step)
        shared["u_product"] *= cfg.get("beta_1", 0.9) * (1 - 0.5 * 0.96 ** t)
        grads = _clip([g.astype(np.float64) for g in grads], cfg)
        if weight_decay is not None:
            ws = [w - w * weight_decay * lr for w in ws]
        ws = [REFERENCE[name](w, g, s, lr, t, shared=shared, **{k: v for k, v in cfg.items() if k != "learning_rate"})
              for w, g, s in zip(ws, grads, states)]
    return ws


CASES = [
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 1.0}),
    ("SGD", {"learning_rate": 0.1, "clipvalue": 0.5}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "global_clipnorm": 1.5}),
    ("SGD", {"learning_rate": 0.1, "weight_decay": 0.5}),
    ("RMSprop", {"learning_rate": 0.05}),
    ("RMSprop", {"learning_rate": 0.05, "epsilon": 0.1}),
    ("RMSprop", {"learning_rate": 0.05, "momentum": 0.5}),
    ("RMSprop", {"learning_rate": 0.05, "centered": True, "epsilon": 0.01}),
    ("RMSprop", {"learning_rate": 0.05, "centered": True, "momentum": 0.7, "clipnorm": 0.8}),
    ("Adam", {"learning_rate": 0.1}),
    ("Adam", {"learning_rate": 0.1, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.1, "epsilon": 0.5, "beta_1": 0.5, "beta_2": 0.9}),
    ("Adam", {"learning_rate": 0.1, "weight_decay": 0.2, "global_clipnorm": 2.0}),
    ("AdamW", {"learning_rate": 0.1}),
    ("AdamW", {"learning_rate": 0.1, "weight_decay": 0.3, "amsgrad": True, "clipvalue": 0.7}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 0.1}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.8, "epsilon": 1e-3}),
    ("Adamax", {"learning_rate": 0.1}),
    ("Adamax", {"learning_rate": 0.1, "beta_1": 0.6, "epsilon": 0.1, "weight_decay": 0.1}),
    ("Nadam", {"learning_rate": 0.1}),
    ("Nadam", {"learning_rate": 0.1, "beta_1": 0.7, "epsilon": 0.1, "clipnorm": 1.0}),
    ("Lion", {"learning_rate": 0.1}),
    ("Lion", {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.5}),
]


def case_id(case):
    name, cfg = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in cfg.items() if k != "learning_rate")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_reference_formulas(case):
    name, cfg = case
    values, grads = make_data(CASES.index(case))
    ours = run_engine(getattr(optimizers, name)(**cfg), values, grads)
    expected = run_reference(name, cfg, values, grads)
    for got, want in zip(ours, expected):
        assert got.dtype == np.float32
        # Looser than against Keras: like Keras we compute 1 - beta**t in float32, which loses ~1e-5 of it.
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_float64_variables_follow_the_reference_formulas_to_float64_precision(case):
    # The compiled update steps compute in the variable's dtype: float64 variables get float64 arithmetic.
    name, cfg = case
    values, grads = make_data(CASES.index(case))
    values64 = [v.astype(np.float64) for v in values]
    variables = [Variable(v, dtype="float64", name=n) for v, n in zip(values64, ("kernel", "bias", "scale"))]
    optimizer = getattr(optimizers, name)(**cfg)
    for step in grads:
        optimizer.apply_gradients(zip([g.astype(np.float64) for g in step], variables))
    # the learning rate is a float32 variable, as in Keras
    reference_cfg = dict(cfg, learning_rate=float(np.float32(cfg["learning_rate"])))
    for variable, want in zip(variables, run_reference(name, reference_cfg, values64, grads)):
        assert variable.value.dtype == np.float64
        np.testing.assert_allclose(variable.value, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "Lion"])
def test_float16_variables_are_updated_through_float32(name):
    values, grads = make_data(14, steps=3)
    variables = [Variable(v, dtype="float16", name=n) for v, n in zip(values, ("kernel", "bias", "scale"))]
    optimizer = getattr(optimizers, name)(learning_rate=0.1)
    for step in grads:
        optimizer.apply_gradients(zip(step, variables))
    for variable, want in zip(variables, run_reference(name, {"learning_rate": 0.1}, values, grads)):
        assert variable.value.dtype == np.float16
        np.testing.assert_allclose(variable.value, want, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_keras(case):
    keras = _keras()
    name, cfg = case
    values, grads = make_data(CASES.index(case))
    ours = getattr(optimizers, name)(**cfg)
    # Building Keras's optimizer from our serialized config also checks that the configs agree.
    theirs = keras.optimizers.deserialize(optimizers.serialize(ours))
    assert type(theirs).__name__ == name
    for got, want in zip(run_engine(ours, values, grads), run_keras(theirs, values, grads)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


# -- schedules -------------------------------------------------------------------------------
SCHEDULES = [
    (schedules.ExponentialDecay(0.1, 3, 0.5), lambda s: 0.1 * 0.5 ** (s / 3)),
    (schedules.ExponentialDecay(0.1, 3, 0.5, staircase=True), lambda s: 0.1 * 0.5 ** (s // 3)),
    (schedules.PiecewiseConstantDecay([2, 5], [0.3, 0.2, 0.1]),
     lambda s: 0.3 if s <= 2 else (0.2 if s <= 5 else 0.1)),
    (schedules.InverseTimeDecay(0.2, 2, 0.5), lambda s: 0.2 / (1 + 0.5 * s / 2)),
    (schedules.InverseTimeDecay(0.2, 2, 0.5, staircase=True), lambda s: 0.2 / (1 + 0.5 * (s // 2))),
    (schedules.CosineDecay(0.1, 4), lambda s: 0.1 * 0.5 * (1 + math.cos(math.pi * min(s, 4) / 4))),
    (schedules.CosineDecay(0.1, 4, alpha=0.2),
     lambda s: 0.1 * (0.8 * 0.5 * (1 + math.cos(math.pi * min(s, 4) / 4)) + 0.2)),
    (schedules.CosineDecay(0.0, 4, warmup_target=0.2, warmup_steps=3),
     lambda s: 0.2 * s / 3 if s < 3 else 0.2 * 0.5 * (1 + math.cos(math.pi * min(s - 3, 4) / 4))),
    (schedules.PolynomialDecay(0.1, 4, end_learning_rate=0.01, power=2.0),
     lambda s: 0.09 * (1 - min(s, 4) / 4) ** 2 + 0.01),
    (schedules.PolynomialDecay(0.1, 3, cycle=True),
     lambda s: (0.1 - 1e-4) * (1 - s / (3 * max(1, math.ceil(s / 3)))) + 1e-4),
    (schedules.CosineDecayRestarts(0.1, 2, t_mul=1.0, m_mul=0.5),
     lambda s: 0.1 * 0.5 ** (s // 2) * 0.5 * (1 + math.cos(math.pi * (s / 2 - s // 2)))),
    (schedules.CosineDecayRestarts(0.1, 2), None),
]
STEPS_TO_CHECK = [0, 1, 2, 3, 4, 5, 6, 7, 10, 100]


def schedule_id(case):
    return f"{type(case[0]).__name__}-{SCHEDULES.index(case)}"


@pytest.mark.parametrize("case", SCHEDULES, ids=schedule_id)
def test_schedule_values(case):
    schedule, formula = case
    got = [schedule(s) for s in STEPS_TO_CHECK]
    assert all(isinstance(v, float) for v in got)
    if formula is not None:
        np.testing.assert_allclose(got, [formula(s) for s in STEPS_TO_CHECK], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(schedule(np.array(STEPS_TO_CHECK)), got, rtol=1e-12)
    copy = schedules.deserialize(schedules.serialize(schedule))
    assert type(copy) is type(schedule) and copy.get_config() == schedule.get_config()


@pytest.mark.parametrize("case", SCHEDULES, ids=schedule_id)
def test_schedule_values_match_keras(case):
    keras = _keras()
    schedule = case[0]
    theirs = keras.optimizers.schedules.deserialize(schedules.serialize(schedule))
    assert theirs.get_config() == schedule.get_config()
    want = [float(keras.ops.convert_to_numpy(theirs(s))) for s in STEPS_TO_CHECK]
    np.testing.assert_allclose([schedule(s) for s in STEPS_TO_CHECK], want, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_schedule_drives_the_learning_rate_as_in_keras(name):
    values, grads = make_data(7, steps=6)
    schedule = schedules.PiecewiseConstantDecay([1, 3], [0.3, 0.1, 0.02])
    ours = getattr(optimizers, name)(learning_rate=schedule, weight_decay=0.1)
    assert ours.learning_rate == pytest.approx(0.3)
    got = run_engine(ours, values, grads)
    assert ours.learning_rate == pytest.approx(0.02)
    cfg = {"learning_rate": schedule, "weight_decay": 0.1}
    for g, want in zip(got, run_reference(name, cfg, values, grads)):
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-5)
    if name == "SGD":
        keras = _keras()
        theirs = keras.optimizers.deserialize(optimizers.serialize(ours))
        for g, want in zip(got, run_keras(theirs, values, grads)):
            np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-6)


# -- base-class behaviour ----------------------------------------------------------------------
def test_slot_variables_are_named_and_ordered_as_in_keras():
    keras = _keras()
    values, _ = make_data(0)
    for name, cfg in [("SGD", {"momentum": 0.9}), ("RMSprop", {"momentum": 0.5, "centered": True}),
                      ("Adam", {"amsgrad": True}), ("AdamW", {}), ("Adagrad", {}), ("Adadelta", {}),
                      ("Adamax", {}), ("Nadam", {}), ("Lion", {}), ("SGD", {"use_ema": True}),
                      ("Adam", {"gradient_accumulation_steps": 2})]:
        ours = getattr(optimizers, name)(name="opt", **cfg)
        variables = make_variables(values)
        ours.build(variables)
        theirs = getattr(keras.optimizers, name)(name="opt", **cfg)
        keras_vars = [keras.Variable(v, name=f"dense_{n}") for v, n in zip(values, ("kernel", "bias", "scale"))]
        theirs.build(keras_vars)
        # Nadam's product variable has no name in Keras (auto-numbered "variable_N", outside the optimizer's
        # scope when `build` is called directly); we call it "opt/variable". Files store the state by index.
        expected = [re.sub(r"^variable(_\d+)?$", "opt/variable", v.path) for v in theirs.variables]
        assert [v.path for v in ours.variables] == expected, name
        assert [tuple(v.shape) for v in ours.variables] == [tuple(v.shape) for v in theirs.variables]
        np.testing.assert_allclose(ours.variables[-1].value, keras.ops.convert_to_numpy(theirs.variables[-1]))


def test_iterations_and_learning_rate_property():
    opt = optimizers.SGD(learning_rate=0.5)
    values, grads = make_data(1)
    variables = make_variables(values)
    assert int(opt.iterations) == 0 and opt.learning_rate == 0.5
    opt.apply_gradients(zip(grads[0], variables))
    opt.apply(grads[1], variables)
    opt.apply(grads[2])  # built: the variables are implied
    assert int(opt.iterations) == 3
    before = variables[0].value.copy()
    opt.learning_rate = 0.25
    assert opt.learning_rate == 0.25
    opt.apply(grads[3])
    np.testing.assert_allclose(variables[0].value, before - 0.25 * grads[3][0], rtol=1e-6)
    assert len(opt.variables) == 2  # iteration, learning_rate (no momentum slots)


def test_setting_a_schedule_replaces_the_learning_rate_variable():
    opt = optimizers.Adam(0.01)
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate"]
    opt.learning_rate = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert [v.name for v in opt.variables] == ["iteration"]
    assert opt.learning_rate == pytest.approx(0.1)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.5


def test_callable_learning_rate():
    values, grads = make_data(2, steps=1)
    opt = optimizers.SGD(learning_rate=lambda: 0.2)
    got = run_engine(opt, values, grads)
    np.testing.assert_allclose(got[0], values[0] - 0.2 * grads[0][0], rtol=1e-6)
    assert opt.get_config()["learning_rate"] == 0.2


def test_none_gradients_are_skipped_with_a_warning():
    values, grads = make_data(3, steps=1)
    variables = make_variables(values)
    opt = optimizers.Adam(0.1)
    with pytest.warns(UserWarning, match="dense/bias"):
        opt.apply_gradients(zip([grads[0][0], None, grads[0][2]], variables))
    np.testing.assert_array_equal(variables[1].value, values[1])
    assert not np.array_equal(variables[0].value, values[0])
    assert int(opt.iterations) == 1
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply_gradients(zip([None, None, None], variables))
    assert int(opt.iterations) == 1


def test_gradient_shape_mismatch_names_the_variable_and_changes_nothing():
    values, grads = make_data(4, steps=1)
    variables = make_variables(values)
    opt = optimizers.Adam(0.1)
    bad = [grads[0][0], np.ones((5,), "float32"), grads[0][2]]
    with pytest.raises(ValueError, match=r"dense/bias.*\(5,\).*\(4,\)"):
        opt.apply_gradients(zip(bad, variables))
    for v, value in zip(variables, values):
        np.testing.assert_array_equal(v.value, value)
    assert int(opt.iterations) == 0
    assert all(not np.any(s.value) for s in opt.variables[2:])


def test_bad_calls_raise_clear_errors():
    values, grads = make_data(5, steps=1)
    variables = make_variables(values)
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply(grads[0])
    with pytest.raises(ValueError, match="3 variables"):
        opt.apply(grads[0][:2], variables)
    opt.apply(grads[0], variables)
    stranger = Variable(np.zeros(2), name="other")
    stranger.path = "other/kernel"
    with pytest.raises(ValueError, match="other/kernel"):
        opt.apply([np.zeros(2)], [stranger])
    with pytest.raises(ValueError, match="one-to-one"):
        opt.apply(grads[0][:2])


@pytest.mark.parametrize("kwargs, match", [
    ({"clipnorm": 1.0, "clipvalue": 1.0}, "Only one of"),
    ({"bogus": 1}, "not recognized"),
    ({"learning_rate": "fast"}, "learning_rate"),
    ({"gradient_accumulation_steps": 1}, "gradient_accumulation_steps"),
    ({"use_ema": True, "ema_momentum": 1.5}, "ema_momentum"),
])
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizers.Adam(**kwargs)


def test_optimizer_specific_argument_errors():
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="length of boundaries"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.warns(UserWarning, match="decay"):
        optimizers.SGD(decay=0.1)


def test_gradients_are_cast_and_not_modified():
    values, grads = make_data(6, steps=1)
    grads64 = [g.astype(np.float64) for g in grads[0]]
    copies = [g.copy() for g in grads64]
    variables = make_variables(values)
    optimizers.SGD(0.1, momentum=0.9, clipvalue=0.3).apply_gradients(zip(grads64, variables))
    for g, c in zip(grads64, copies):
        np.testing.assert_array_equal(g, c)
    assert all(v.value.dtype == np.float32 for v in variables)


def test_strided_gradients_update_as_their_contiguous_copies():
    values, grads = make_data(15, steps=2)
    variables, copies = make_variables(values), make_variables(values)
    strided, contiguous = optimizers.RMSprop(0.1, momentum=0.5), optimizers.RMSprop(0.1, momentum=0.5)
    for step in grads:
        transposed = step[0].T.copy().T  # the (3, 4) gradient laid out column by column
        assert not transposed.flags.c_contiguous
        strided.apply_gradients(zip([transposed, *step[1:]], variables))
        contiguous.apply_gradients(zip(step, copies))
    for a, b in zip(variables, copies):
        np.testing.assert_array_equal(a.value, b.value)


def test_constraints_apply_after_the_update():
    values, grads = make_data(8, steps=1)
    variables = make_variables(values)
    variables[0].constraint = lambda w: np.clip(w, 0.0, None)
    optimizers.SGD(0.1).apply_gradients(zip(grads[0], variables))
    np.testing.assert_allclose(variables[0].value, np.clip(values[0] - 0.1 * grads[0][0], 0, None), rtol=1e-6)
    np.testing.assert_allclose(variables[1].value, values[1] - 0.1 * grads[0][1], rtol=1e-6)


def test_exclude_from_weight_decay_matches_keras():
    values, grads = make_data(9)
    ours = optimizers.AdamW(0.1, weight_decay=0.5)
    variables = make_variables(values)
    ours.exclude_from_weight_decay(var_list=[variables[2]], var_names=["bias"])
    for g in grads:
        ours.apply_gradients(zip(g, variables))
    decayed = run_engine(optimizers.AdamW(0.1, weight_decay=0.5), values, grads)
    plain = run_engine(optimizers.Adam(0.1), values, grads)
    np.testing.assert_allclose(variables[0].value, decayed[0], rtol=1e-6)
    np.testing.assert_allclose(variables[1].value, plain[1], rtol=1e-6)
    np.testing.assert_allclose(variables[2].value, plain[2], rtol=1e-6)
    keras = _keras()
    theirs = keras.optimizers.AdamW(0.1, weight_decay=0.5)
    keras_vars = [keras.Variable(v.copy(), name=n) for v, n in zip(values, ("kernel", "bias", "scale"))]
    theirs.exclude_from_weight_decay(var_list=[keras_vars[2]], var_names=["bias"])
    for g in grads:
        theirs.apply_gradients(zip([keras.ops.convert_to_tensor(x) for x in g], keras_vars))
    for v, k in zip(variables, keras_vars):
        np.testing.assert_allclose(v.value, keras.ops.convert_to_numpy(k), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cfg", [
    {"loss_scale_factor": 8.0},
    {"gradient_accumulation_steps": 2},
    {"gradient_accumulation_steps": 3, "weight_decay": 0.2, "clipnorm": 1.0},
    {"use_ema": True},
    {"use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 2},
], ids=lambda cfg: "-".join(cfg))
def test_loss_scaling_accumulation_and_ema_match_keras(cfg):
    keras = _keras()
    values, grads = make_data(10, steps=6)
    ours = optimizers.Adam(0.1, **cfg)
    theirs = keras.optimizers.deserialize(optimizers.serialize(ours))
    got = run_engine(ours, values, grads)
    for g, want in zip(got, run_keras(theirs, values, grads)):
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-6)
    assert int(ours.iterations) == int(keras.ops.convert_to_numpy(theirs.iterations))
    for mine, their in zip(ours.variables, theirs.variables):
        np.testing.assert_allclose(mine.value, keras.ops.convert_to_numpy(their), rtol=1e-5, atol=1e-6)
    if cfg.get("use_ema"):
        variables = ours._trainable_variables
        ours.finalize_variable_values(variables)
        for v, average in zip(variables, ours._model_variables_moving_average):
            np.testing.assert_array_equal(v.value, average.value)


def test_state_saves_and_loads():
    values, grads = make_data(11)
    first = optimizers.Adam(0.1, amsgrad=True)
    run_engine(first, values, grads[:3])
    store = {}
    first.save_own_variables(store)
    assert len(store) == len(first.variables) == 2 + 3 * 3
    second = optimizers.Adam(0.1, amsgrad=True)
    second.build(make_variables(values))
    second.load_own_variables(store)
    for a, b in zip(first.variables, second.variables):
        np.testing.assert_array_equal(a.value, b.value)
    assert int(second.iterations) == 3
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        optimizers.Adam().load_own_variables(store)
    with pytest.raises(ValueError, match="shape"):
        second.set_weights([np.zeros(7)] * len(store))


# -- get / serialize / deserialize ---------------------------------------------------------------
ALL_NAMES = ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion"]


@pytest.mark.parametrize("name", ALL_NAMES)
def test_config_round_trip(name):
    opt = getattr(optimizers, name)(learning_rate=0.25, clipnorm=2.0, name="mine")
    config = optimizers.serialize(opt)
    assert config["module"] == "keras.optimizers" and config["class_name"] == name
    copy = optimizers.deserialize(config)
    assert type(copy) is type(opt) and copy.get_config() == opt.get_config()
    copy = type(opt).from_config(opt.get_config())
    assert copy.get_config() == opt.get_config() and copy.name == "mine"


@pytest.mark.parametrize("name", ALL_NAMES)
def test_config_keys_and_defaults_match_keras(name):
    keras = _keras()
    ours = getattr(optimizers, name)().get_config()
    theirs = getattr(keras.optimizers, name)().get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs


def test_schedule_in_config_round_trips_both_ways():
    keras = _keras()
    opt = optimizers.Adam(learning_rate=schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=10))
    copy = optimizers.get(optimizers.serialize(opt))
    assert isinstance(copy._learning_rate, schedules.CosineDecay)
    assert copy.get_config() == opt.get_config()
    theirs = keras.optimizers.Adam(learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9))
    mine = optimizers.deserialize(keras.optimizers.serialize(theirs))
    assert isinstance(mine, optimizers.Adam)
    assert mine.get_config()["learning_rate"]["config"] == {
        "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9, "staircase": False,
        "name": "ExponentialDecay"}


@pytest.mark.parametrize("identifier, cls", [
    ("sgd", optimizers.SGD), ("SGD", optimizers.SGD), ("rmsprop", optimizers.RMSprop),
    ("RMSprop", optimizers.RMSprop), ("adam", optimizers.Adam), ("Adam", optimizers.Adam),
    ("adamw", optimizers.AdamW), ("AdamW", optimizers.AdamW), ("adagrad", optimizers.Adagrad),
    ("adadelta", optimizers.Adadelta), ("adamax", optimizers.Adamax), ("nadam", optimizers.Nadam),
    ("lion", optimizers.Lion), ({"class_name": "adam", "config": {"learning_rate": 0.5}}, optimizers.Adam),
])
def test_get_resolves_names_as_keras(identifier, cls):
    opt = optimizers.get(identifier)
    assert type(opt) is cls


def test_get_passes_instances_and_none_through():
    opt = optimizers.Nadam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    assert optimizers.get({"class_name": "Adam", "config": {"learning_rate": 0.5}}).learning_rate == 0.5


def test_get_unknown_string_names_it_and_lists_known():
    with pytest.raises(ValueError) as info:
        optimizers.get("adamm")
    message = str(info.value)
    assert "'adamm'" in message and "Did you mean" in message
    for known in ("sgd", "rmsprop", "adam", "adamw", "adagrad"):
        assert known in message
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)
    with pytest.raises(ValueError, match="'Nope'"):
        optimizers.deserialize({"class_name": "Nope", "config": {}})


def test_custom_objects_and_custom_subclass():
    class HalfSGD(optimizers.Optimizer):
        """A Keras-style custom optimizer: only `build` and `update_step`."""

        def __init__(self, learning_rate=0.1, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)

        def update_step(self, gradient, variable, learning_rate):
            self.assign_sub(variable, 0.5 * learning_rate * gradient)

    values, grads = make_data(12, steps=2)
    got = run_engine(HalfSGD(), values, grads)
    np.testing.assert_allclose(got[0], values[0] - 0.05 * (grads[0][0] + grads[1][0]), rtol=1e-6)
    config = optimizers.serialize(HalfSGD(name="half"))
    assert config["class_name"] == "HalfSGD"
    copy = optimizers.deserialize(config, custom_objects={"HalfSGD": HalfSGD})
    assert isinstance(copy, HalfSGD) and copy.name == "half"


def test_names_are_unique_and_keras_style():
    a, b = optimizers.RMSprop(), optimizers.RMSprop()
    assert a.name.startswith("rm_sprop") and a.name != b.name
    assert optimizers.AdamW().name.startswith("adam_w")


def test_no_warning_for_a_normal_step():
    values, grads = make_data(13, steps=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_engine(optimizers.Adam(), values, grads)


def test_clipping_edge_cases_follow_keras():
    from engine.optimizers.clipping import clip_by_global_norm, clip_by_norm
    zero = np.zeros(3, "float32")
    np.testing.assert_array_equal(clip_by_norm(zero, 1.0), zero)
    big = np.array([3.0, 4.0], "float32")
    np.testing.assert_allclose(clip_by_norm(big, 1.0), [0.6, 0.8], rtol=1e-6)
    clipped = clip_by_global_norm([big, None, np.zeros(2, "float32")], 2.5)
    np.testing.assert_allclose(clipped[0], [1.5, 2.0], rtol=1e-6)
    assert clipped[1] is None
    assert np.isnan(clip_by_global_norm([np.array([np.inf, 1.0], "float32")], 1.0)[0]).all()
