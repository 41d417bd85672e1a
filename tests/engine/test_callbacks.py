"""Callbacks and the progress bar, driven hook by hook on a fake model; checked against Keras when installed."""

from __future__ import annotations

import csv
import itertools
import math
import os
import re
import time
import types
import warnings

import numpy as np
import pytest

from engine import callbacks
from engine.callbacks.callback_list import pythonify_logs
from engine.utils.progbar import Progbar

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FakeOptimizer:
    def __init__(self, learning_rate: float = 0.01):
        self.learning_rate = learning_rate


class FakeModel:
    """What callbacks use of a model: stop_training, weights, an optimizer, metrics."""

    def __init__(self, learning_rate: float = 0.01, metrics=()):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.metrics = list(metrics)
        self._weights = [np.zeros((2, 2), "float32"), np.zeros(2, "float32")]

    def get_weights(self):
        return [w.copy() for w in self._weights]

    def set_weights(self, weights):
        self._weights = [np.array(w) for w in weights]

    def mark_epoch(self, epoch: int) -> None:
        """Make the weights tell which epoch produced them."""
        self._weights = [np.full_like(w, epoch) for w in self._weights]

    @property
    def weight_epoch(self) -> int:
        return int(self._weights[0][0, 0])


def metric(name: str, direction: str):
    return types.SimpleNamespace(name=name, _direction=direction)


def keras_or_skip():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


# -- Callback and CallbackList ---------------------------------------------------------------------------

HOOKS = [
    ("on_train_begin", ()), ("on_train_end", ()), ("on_epoch_begin", (0,)), ("on_epoch_end", (0,)),
    ("on_train_batch_begin", (0,)), ("on_train_batch_end", (0,)), ("on_batch_begin", (0,)),
    ("on_batch_end", (0,)), ("on_test_begin", ()), ("on_test_end", ()), ("on_test_batch_begin", (0,)),
    ("on_test_batch_end", (0,)), ("on_predict_begin", ()), ("on_predict_end", ()),
    ("on_predict_batch_begin", (0,)), ("on_predict_batch_end", (0,)),
]


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        attr = super().__getattribute__(name)
        if name.startswith("on_"):
            def record(*args, **kwargs):
                self.calls.append((name, args, kwargs))
                return attr(*args, **kwargs)
            return record
        return attr


def test_base_callback_hooks_are_no_ops_and_batch_aliases_forward():
    cb = callbacks.Callback()
    assert cb.model is None and cb.params is None
    for hook, args in HOOKS:
        assert getattr(cb, hook)(*args, logs={"loss": 1.0}) is None
    rec = Recorder()
    rec.on_train_batch_begin(3, logs={"a": 1.0})
    rec.on_train_batch_end(3, logs={"a": 2.0})
    names = [c[0] for c in rec.calls]
    assert names == ["on_train_batch_begin", "on_batch_begin", "on_train_batch_end", "on_batch_end"]


def test_callback_list_passes_every_hook_through():
    rec = Recorder()
    model = FakeModel()
    cbl = callbacks.CallbackList([rec], model=model, verbose=0, epochs=3, steps=4)
    assert rec.model is model and rec.params == {"verbose": 0, "epochs": 3, "steps": 4}
    for hook, args in HOOKS:
        rec.calls.clear()
        getattr(cbl, hook)(*args, {"loss": np.float32(0.5)})
        name, _, kwargs = rec.calls[0]
        assert name == hook
        logs = kwargs.get("logs", rec.calls[0][1][-1])
        assert logs == {"loss": 0.5} and type(logs["loss"]) is float


def test_callback_list_adds_history_and_progbar_once():
    model = FakeModel()
    cbl = callbacks.CallbackList(None, add_history=True, add_progbar=True, model=model, verbose=1, epochs=2,
                                 steps=5)
    kinds = [type(c) for c in cbl.callbacks]
    assert kinds == [callbacks.History, callbacks.ProgbarLogger]
    assert model.history is cbl.callbacks[0]
    assert cbl.callbacks[0].params == {"verbose": 1, "epochs": 2, "steps": 5}

    own_history = callbacks.History()
    cbl = callbacks.CallbackList([[own_history]], add_history=True, add_progbar=False, model=model)
    assert cbl.callbacks == [own_history] and model.history is own_history


def test_callback_list_rejects_non_callbacks():
    with pytest.raises(TypeError, match="item 1 is function"):
        callbacks.CallbackList([callbacks.History(), lambda: None])


def test_pythonify_logs_sorts_flattens_and_floats():
    outputs = np.ones((2, 3))
    logs = pythonify_logs({"loss": np.float64(2.0), "acc": np.array(0.5), "nested": {"b": 1}, "outputs": outputs,
                           "name": "x"})
    assert list(logs) == ["acc", "loss", "name", "b", "outputs"]
    assert logs["acc"] == 0.5 and type(logs["acc"]) is float and type(logs["b"]) is float
    assert logs["outputs"] is outputs and logs["name"] == "x"
    assert pythonify_logs(None) == {}


# -- History ----------------------------------------------------------------------------------------------

def test_history_records_epochs_and_sets_itself_on_the_model():
    model = FakeModel()
    cbl = callbacks.CallbackList([], add_history=True, model=model, verbose=0, epochs=2, steps=1)
    cbl.on_train_begin()
    cbl.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    cbl.on_epoch_end(1, {"loss": 0.5, "val_loss": 1.5})
    cbl.on_train_end({"loss": 0.5})
    history = model.history
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [2.0, 1.5]}
    assert history.epoch == [0, 1]
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 1}
    assert history.model is model


def test_keys_added_by_a_callback_reach_history():
    model = FakeModel(learning_rate=0.1)
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2)
    cbl = callbacks.CallbackList([scheduler], add_history=True, model=model, verbose=0, epochs=2, steps=1)
    cbl.on_train_begin()
    for epoch in range(2):
        cbl.on_epoch_begin(epoch)
        cbl.on_epoch_end(epoch, {"loss": 1.0})
    assert model.history.history["learning_rate"] == [0.05, 0.025]


# -- EarlyStopping ----------------------------------------------------------------------------------------

def run_monitor(cb, model, logs_per_epoch):
    """Drive a callback like fit does; returns the epochs run and the weights' epoch at the end."""
    cb.set_model(model)
    cb.on_train_begin()
    ran = 0
    for epoch, logs in enumerate(logs_per_epoch):
        model.mark_epoch(epoch)
        cb.on_epoch_begin(epoch)
        cb.on_epoch_end(epoch, dict(logs))
        ran += 1
        if model.stop_training:
            break
    cb.on_train_end(dict(logs_per_epoch[ran - 1]))
    return ran, model.weight_epoch


LOSSES = [10.0, 9.0, 8.0, 9.0, 8.9, 8.8, 8.7, 8.6, 8.5]
CLIMB = [0.5, 0.6, 0.61, 0.6, 0.59, 0.7, 0.69, 0.68, 0.67, 0.66]

EARLY_STOPPING_CASES = [
    (dict(monitor="loss", patience=0), LOSSES, "loss"),
    (dict(monitor="loss", patience=1), LOSSES, "loss"),
    (dict(monitor="loss", patience=3), LOSSES, "loss"),
    (dict(monitor="loss", patience=2, min_delta=0.5), LOSSES, "loss"),
    (dict(monitor="loss", patience=1, min_delta=-0.5), LOSSES, "loss"),
    (dict(monitor="val_loss", patience=2, restore_best_weights=True), LOSSES, "val_loss"),
    (dict(monitor="val_loss", patience=20, restore_best_weights=True), LOSSES, "val_loss"),
    (dict(monitor="val_loss", patience=2, baseline=8.6), LOSSES, "val_loss"),
    (dict(monitor="val_loss", patience=2, baseline=5.0, restore_best_weights=True), LOSSES, "val_loss"),
    (dict(monitor="loss", patience=1, start_from_epoch=4), LOSSES, "loss"),
    (dict(monitor="loss", patience=0, start_from_epoch=3, restore_best_weights=True), LOSSES, "loss"),
    (dict(monitor="acc", patience=1, mode="max"), CLIMB, "acc"),
    (dict(monitor="acc", patience=2, mode="max", min_delta=0.02, restore_best_weights=True), CLIMB, "acc"),
    (dict(monitor="val_accuracy", patience=2, restore_best_weights=True), CLIMB, "val_accuracy"),
    (dict(monitor="val_mse", patience=1, mode="auto"), LOSSES, "val_mse"),
    (dict(monitor="loss", patience=1, mode="min"), CLIMB, "loss"),
    (dict(monitor="loss", patience=0), [1.0, 1.0 - 1e-9, 1.0 - 2e-9, 0.5], "loss"),  # below float32 precision
]


def _logs_for(key, values):
    return [{key: v, "other": 0.0} for v in values]


def _keras_metrics(keras):
    from keras.src.trainers.compile_utils import MetricsList
    return [MetricsList([keras.metrics.Accuracy(name="accuracy"), keras.metrics.MeanSquaredError(name="mse")])]


@pytest.mark.parametrize("kwargs,values,key", EARLY_STOPPING_CASES)
def test_early_stopping_matches_keras(kwargs, values, key):
    keras = keras_or_skip()
    metrics = _keras_metrics(keras)
    logs = _logs_for(key, values)
    ours = callbacks.EarlyStopping(**kwargs)
    theirs = keras.callbacks.EarlyStopping(**kwargs)
    ours_model, their_model = FakeModel(metrics=metrics), FakeModel(metrics=metrics)
    assert run_monitor(ours, ours_model, logs) == run_monitor(theirs, their_model, logs)
    assert ours.stopped_epoch == theirs.stopped_epoch
    assert ours.wait == theirs.wait and ours.best == theirs.best and ours.best_epoch == theirs.best_epoch
    assert ours_model.stop_training == their_model.stop_training


def test_early_stopping_patience_without_keras():
    for patience in [0, 1, 2, 3]:
        stopper = callbacks.EarlyStopping(monitor="loss", patience=patience)
        model = FakeModel()
        ran, _ = run_monitor(stopper, model, _logs_for("loss", LOSSES))
        assert stopper.stopped_epoch == max(patience, 1) + 2
        assert ran == stopper.stopped_epoch + 1 and model.stop_training


def test_early_stopping_restores_best_weights_even_when_not_stopped(capsys):
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=50, restore_best_weights=True, verbose=1)
    model = FakeModel()
    ran, weights_epoch = run_monitor(stopper, model, _logs_for("val_loss", [3.0, 1.0, 2.0, 2.5]))
    assert ran == 4 and not model.stop_training
    assert weights_epoch == 1
    assert capsys.readouterr().out == "Restoring model weights from the end of the best epoch: 2.\n"


def test_early_stopping_messages(capsys):
    stopper = callbacks.EarlyStopping(monitor="loss", patience=1, verbose=1, restore_best_weights=True)
    run_monitor(stopper, FakeModel(), _logs_for("loss", [1.0, 2.0, 3.0, 0.1]))
    assert capsys.readouterr().out == (
        "Epoch 2: early stopping\nRestoring model weights from the end of the best epoch: 1.\n")


def test_early_stopping_baseline_and_start_from_epoch():
    # Improvements that do not beat the baseline do not reset the patience count.
    losses = _logs_for("loss", [5.0, 4.0, 4.0, 4.0, 4.0])
    stopper = callbacks.EarlyStopping(monitor="loss", patience=2, baseline=0.1)
    ran, _ = run_monitor(stopper, FakeModel(), losses)
    assert ran == 3 and stopper.stopped_epoch == 2
    stopper = callbacks.EarlyStopping(monitor="loss", patience=2)
    ran, _ = run_monitor(stopper, FakeModel(), losses)
    assert ran == 4 and stopper.stopped_epoch == 3
    # Warm-up epochs are not watched.
    stopper = callbacks.EarlyStopping(monitor="loss", patience=0, start_from_epoch=3)
    ran, _ = run_monitor(stopper, FakeModel(), _logs_for("loss", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    assert stopper.stopped_epoch == 4 and ran == 5


def test_early_stopping_auto_mode_uses_metric_direction():
    stopper = callbacks.EarlyStopping(monitor="val_accuracy")
    stopper.set_model(FakeModel(metrics=[metric("loss", "down"), metric("accuracy", "up")]))
    stopper.on_train_begin()
    stopper.on_epoch_end(0, {"val_accuracy": 0.5})
    assert stopper.monitor_op is np.greater
    assert stopper.min_delta == 0

    stopper = callbacks.EarlyStopping(monitor="val_loss", min_delta=0.1)
    stopper.set_model(FakeModel())
    stopper.on_train_begin()
    stopper.on_epoch_end(0, {"val_loss": 0.5})
    assert stopper.monitor_op is np.less and stopper.min_delta == -0.1


def test_early_stopping_auto_mode_unknown_metric_raises():
    stopper = callbacks.EarlyStopping(monitor="mystery")
    stopper.set_model(FakeModel())
    stopper.on_train_begin()
    with pytest.raises(ValueError, match="monitor=mystery.*mode='max'"):
        stopper.on_epoch_end(0, {"mystery": 1.0})


def test_early_stopping_unknown_mode_warns():
    with pytest.warns(UserWarning, match="EarlyStopping mode 'sideways' is unknown, fallback to auto mode"):
        stopper = callbacks.EarlyStopping(mode="sideways")
    assert stopper.mode == "auto"


def test_early_stopping_missing_key_warns_with_available_keys():
    stopper = callbacks.EarlyStopping(monitor="val_loss")
    model = FakeModel()
    stopper.set_model(model)
    stopper.on_train_begin()
    with pytest.warns(UserWarning) as record:
        stopper.on_epoch_end(0, {"accuracy": 0.5, "loss": 0.2})
    assert str(record[0].message) == (
        "Early stopping conditioned on metric `val_loss` which is not available. Available metrics are: "
        "accuracy,loss")
    assert not model.stop_training


def test_early_stopping_missing_key_warning_matches_keras():
    keras = keras_or_skip()
    messages = []
    for module in (callbacks, keras.callbacks):
        stopper = module.EarlyStopping(monitor="val_loss")
        stopper.set_model(FakeModel())
        stopper.on_train_begin()
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            stopper.on_epoch_end(0, {"accuracy": 0.5, "loss": 0.2})
        messages.append([str(w.message) for w in record])
    assert messages[0] == messages[1]


def test_early_stopping_instance_can_be_reused():
    stopper = callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    run_monitor(stopper, FakeModel(), _logs_for("loss", [1.0, 2.0, 3.0]))
    model = FakeModel()
    ran, weights_epoch = run_monitor(stopper, model, _logs_for("loss", [5.0, 4.0, 3.0]))
    assert ran == 3 and stopper.stopped_epoch == 0 and weights_epoch == 2


# -- TerminateOnNaN ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_terminate_on_nan_stops_on_invalid_loss(bad, capsys):
    model = FakeModel()
    cbl = callbacks.CallbackList([callbacks.TerminateOnNaN()], model=model)
    cbl.on_train_batch_end(0, {"loss": 0.3})
    assert not model.stop_training
    cbl.on_train_batch_end(1, {"loss": np.float32(bad)})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"


def test_terminate_on_nan_ignores_missing_loss_and_can_raise():
    model = FakeModel()
    cb = callbacks.TerminateOnNaN(raise_error=True)
    cb.set_model(model)
    cb.on_train_batch_end(0, {"accuracy": math.nan})
    cb.on_train_batch_end(1, None)
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 2. Loss value: nan."):
        cb.on_train_batch_end(2, {"loss": math.nan})
    assert not model.stop_training


# -- LambdaCallback ---------------------------------------------------------------------------------------

def test_lambda_callback_calls_given_functions():
    seen = []
    cb = callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append(("epoch_begin", epoch)),
        on_epoch_end=lambda epoch, logs: seen.append(("epoch_end", epoch, logs["loss"])),
        on_train_begin=lambda logs: seen.append("train_begin"),
        on_train_end=lambda logs: seen.append("train_end"),
        on_train_batch_begin=lambda batch, logs: seen.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: seen.append(("batch_end", batch, logs["loss"])),
        on_test_end=lambda logs: seen.append("test_end"),
    )
    cbl = callbacks.CallbackList([cb], model=FakeModel())
    cbl.on_train_begin()
    cbl.on_epoch_begin(0)
    cbl.on_train_batch_begin(0)
    cbl.on_train_batch_end(0, {"loss": 1.0})
    cbl.on_test_begin()
    cbl.on_test_end()
    cbl.on_epoch_end(0, {"loss": 2.0})
    cbl.on_train_end()
    cbl.on_predict_begin()  # not given: the no-op hook
    assert seen == ["train_begin", ("epoch_begin", 0), ("batch_begin", 0), ("batch_end", 0, 1.0), "test_end",
                    ("epoch_end", 0, 2.0), "train_end"]


# -- LearningRateScheduler --------------------------------------------------------------------------------

def test_learning_rate_scheduler_sets_rate_and_logs_it(capsys):
    model = FakeModel(learning_rate=0.1)
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5, verbose=1)
    cb.set_model(model)
    rates = []
    for epoch in range(4):
        cb.on_epoch_begin(epoch)
        logs = {"loss": 1.0}
        cb.on_epoch_end(epoch, logs)
        rates.append(logs["learning_rate"])
    assert rates == [0.1, 0.1, 0.05, 0.025]
    assert model.optimizer.learning_rate == 0.025
    out = capsys.readouterr().out
    assert out.startswith("\nEpoch 1: LearningRateScheduler setting learning rate to 0.1.\n")
    assert "\nEpoch 4: LearningRateScheduler setting learning rate to 0.025.\n" in out


def test_learning_rate_scheduler_accepts_epoch_only_schedule_and_checks_type():
    model = FakeModel()
    cb = callbacks.LearningRateScheduler(lambda epoch: 0.5 ** epoch)
    cb.set_model(model)
    cb.on_epoch_begin(3)
    assert model.optimizer.learning_rate == 0.125
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: "fast")
    cb.set_model(model)
    with pytest.raises(ValueError, match="should be a float. Got: fast"):
        cb.on_epoch_begin(0)
    model.optimizer = object()
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: lr)
    cb.set_model(model)
    with pytest.raises(ValueError, match='must have a "learning_rate"'):
        cb.on_epoch_begin(0)


def test_learning_rate_scheduler_matches_keras():
    keras = keras_or_skip()
    schedule = lambda epoch, lr: lr if epoch < 3 else float(lr * np.exp(-0.1))  # noqa: E731
    results = []
    for module in (callbacks, keras.callbacks):
        model = FakeModel(learning_rate=0.01)
        cb = module.LearningRateScheduler(schedule)
        cb.set_model(model)
        logged = []
        for epoch in range(6):
            cb.on_epoch_begin(epoch)
            logs = {"loss": 1.0}
            cb.on_epoch_end(epoch, logs)
            logged.append(logs["learning_rate"])
        results.append(logged)
    assert results[0] == results[1]


# -- ReduceLROnPlateau ------------------------------------------------------------------------------------

def run_plateau(cb, model, values, key="val_loss"):
    cb.set_model(model)
    cb.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        logs = {key: value}
        cb.on_epoch_end(epoch, logs)
        rates.append((logs["learning_rate"], model.optimizer.learning_rate, cb.wait, cb.cooldown_counter))
    return rates


def test_reduce_lr_on_plateau_defaults():
    cb = callbacks.ReduceLROnPlateau()
    assert (cb.monitor, cb.factor, cb.patience, cb.verbose, cb.mode, cb.min_delta, cb.cooldown, cb.min_lr) == (
        "val_loss", 0.1, 10, 0, "auto", 1e-4, 0, 0.0)
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)


def test_reduce_lr_on_plateau_patience_cooldown_and_min_lr(capsys):
    model = FakeModel(learning_rate=1.0)
    cb = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.2, verbose=1)
    rates = run_plateau(cb, model, [1.0] * 9)
    # As in Keras, the cooldown epoch itself already counts one epoch of waiting again; never below min_lr.
    assert [r[1] for r in rates] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]
    assert [r[0] for r in rates][:4] == [1.0, 1.0, 1.0, 0.5]  # logged before the reduction
    assert [(r[2], r[3]) for r in rates][:5] == [(0, 0), (1, 0), (0, 1), (1, 0), (0, 1)]
    assert capsys.readouterr().out == ("\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.5.\n"
                                       "\nEpoch 5: ReduceLROnPlateau reducing learning rate to 0.25.\n"
                                       "\nEpoch 7: ReduceLROnPlateau reducing learning rate to 0.2.\n")


def test_reduce_lr_on_plateau_improvement_resets_wait():
    model = FakeModel(learning_rate=1.0)
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.1, patience=2, min_delta=0.01)
    rates = run_plateau(cb, model, [1.0, 0.995, 0.9, 0.899, 0.898], key="loss")
    assert [r[2] for r in rates] == [0, 1, 0, 1, 0]
    assert model.optimizer.learning_rate == 0.1


def test_reduce_lr_on_plateau_missing_key_warns():
    cb = callbacks.ReduceLROnPlateau(monitor="val_loss")
    cb.set_model(FakeModel())
    cb.on_train_begin()
    with pytest.warns(UserWarning, match=r"`val_loss` which is not available. Available metrics are: "
                                         r"loss,learning_rate\."):
        cb.on_epoch_end(0, {"loss": 1.0})


@pytest.mark.parametrize("kwargs,values", [
    (dict(factor=0.5, patience=2, cooldown=1, min_lr=0.2), [1.0] * 12),
    (dict(factor=0.1, patience=1, min_delta=0.05), [1.0, 0.97, 0.9, 0.89, 0.84, 0.83, 0.82, 0.5, 0.6]),
    (dict(factor=0.3, patience=0, cooldown=2), [3.0, 2.0, 2.5, 2.6, 2.7, 1.0, 1.1, 1.2, 1.3]),
    (dict(mode="max", factor=0.5, patience=1, min_lr=0.3), [0.1, 0.2, 0.2, 0.19, 0.3, 0.3, 0.3, 0.3]),
])
def test_reduce_lr_on_plateau_matches_keras(kwargs, values):
    keras = keras_or_skip()
    ours = run_plateau(callbacks.ReduceLROnPlateau(**kwargs), FakeModel(learning_rate=1.0), values)
    theirs = run_plateau(keras.callbacks.ReduceLROnPlateau(**kwargs), FakeModel(learning_rate=1.0), values)
    assert ours == theirs


# -- CSVLogger --------------------------------------------------------------------------------------------

def run_csv(cb, epochs_logs):
    cb.set_model(FakeModel())
    cb.on_train_begin()
    for epoch, logs in enumerate(epochs_logs):
        cb.on_epoch_end(epoch, logs)
    cb.on_train_end()


def test_csv_logger_writes_header_and_rows(tmp_path):
    path = tmp_path / "log.csv"
    run_csv(callbacks.CSVLogger(path), [{"loss": 1.0, "accuracy": 0.5, "val_loss": 1.5},
                                        {"loss": 0.5, "accuracy": 0.75}])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["epoch", "accuracy", "loss", "val_loss"], ["0", "0.5", "1.0", "1.5"], ["1", "0.75", "0.5", "NA"]]


def test_csv_logger_adds_val_columns_separator_and_append(tmp_path):
    path = tmp_path / "log.tsv"
    run_csv(callbacks.CSVLogger(str(path), separator="\t"), [{"loss": 1.0}])
    run_csv(callbacks.CSVLogger(str(path), separator="\t", append=True), [{"loss": 0.5}, {"loss": 0.25}])
    assert path.read_text().splitlines() == ["epoch\tloss\tval_loss", "0\t1.0\tNA", "0\t0.5\tNA", "1\t0.25\tNA"]
    run_csv(callbacks.CSVLogger(str(path), separator="\t"), [{"loss": 9.0}])  # overwrite
    assert path.read_text().splitlines() == ["epoch\tloss\tval_loss", "0\t9.0\tNA"]


def test_csv_logger_matches_keras_bytes(tmp_path):
    keras = keras_or_skip()
    epochs_logs = [{"loss": 1.25, "accuracy": 0.5, "per_class": np.array([0.1, 0.2]), "tag": "a,b"},
                   {"loss": 0.75, "accuracy": 0.625, "per_class": np.array([0.3, 0.4]), "tag": "c"}]
    for append in (False, True):
        for name, module in (("ours", callbacks), ("keras", keras.callbacks)):
            run_csv(module.CSVLogger(tmp_path / f"{name}.csv", append=append), epochs_logs)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "keras.csv").read_bytes()


# -- Progbar and ProgbarLogger ----------------------------------------------------------------------------

@pytest.fixture
def fake_clock(monkeypatch):
    """time.time() advancing 60 ms per call (more than the bar's redraw interval), the same on every run."""
    ticks = itertools.count()
    monkeypatch.setattr(time, "time", lambda: 1000.0 + 0.06 * next(ticks))


def drive_fit(logger, epochs=2, steps=4, verbose=1, with_val=True):
    logger.set_params({"verbose": verbose, "epochs": epochs, "steps": steps})
    logger.on_train_begin()
    for epoch in range(epochs):
        logger.on_epoch_begin(epoch)
        for step in range(steps):
            logger.on_train_batch_begin(step)
            logger.on_train_batch_end(step, {"accuracy": 0.5 + 0.1 * step, "loss": 0.265 / (step + 1)})
        if with_val:
            logger.on_test_begin()
            logger.on_test_batch_end(0, {"accuracy": 0.9, "loss": 0.1})
            logger.on_test_end({"accuracy": 0.9, "loss": 0.1})
        logs = {"accuracy": 0.90625, "loss": 0.26496, "val_accuracy": 0.875, "val_loss": 0.000321}
        logger.on_epoch_end(epoch, logs)
    logger.on_train_end()


def test_progbar_verbose_1_structure(capsys, fake_clock):
    drive_fit(callbacks.ProgbarLogger(), epochs=2, steps=4, verbose=1)
    out = capsys.readouterr().out
    plain = ANSI.sub("", out)
    lines = plain.split("\n")
    assert lines[0] == "Epoch 1/2"
    assert lines[2] == "Epoch 2/2" and lines[-1] == ""
    first_epoch = lines[1]
    assert first_epoch.startswith("\r1/4 ")
    updates = [u.rstrip("\b") for u in first_epoch.split("\r")[1:]]
    assert [u.split(" ")[0] for u in updates] == ["1/4", "2/4", "3/4", "4/4", "4/4"]
    final = updates[-1].rstrip()
    assert re.fullmatch(r"4/4 ━{20} 0s \d+ms/step - accuracy: 0\.9062 - loss: 0\.2650 - val_accuracy: 0\.8750 - "
                        r"val_loss: 3\.2100e-04", final)
    assert re.fullmatch(r"1/4 ━{5}━{15} 0s \d+ms/step - accuracy: 0\.5000 - loss: 0\.2650", updates[0].rstrip())
    # The done part is green, the rest white; the counter and time are bold.
    assert "\x1b[1m1/4\x1b[0m \x1b[32m━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━\x1b[0m" in out


def test_progbar_verbose_2_one_line_per_epoch(capsys, fake_clock):
    drive_fit(callbacks.ProgbarLogger(), epochs=3, steps=32, verbose=2)
    lines = capsys.readouterr().out.split("\n")
    assert lines[::2][:3] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"] and lines[-1] == ""
    for line in lines[1::2]:
        assert re.fullmatch(r"32/32 - \ds - \d+ms/step - accuracy: 0\.9062 - loss: 0\.2650 - "
                            r"val_accuracy: 0\.8750 - val_loss: 3\.2100e-04", line)


def test_progbar_single_epoch_has_no_epoch_line(capsys, fake_clock):
    drive_fit(callbacks.ProgbarLogger(), epochs=1, steps=2, verbose=2, with_val=False)
    assert capsys.readouterr().out.startswith("2/2 - 0s - ")


def test_progbar_logger_evaluate_and_predict(capsys, fake_clock):
    logger = callbacks.ProgbarLogger()
    logger.set_params({"verbose": 1, "epochs": 1, "steps": 3})
    logger.on_test_begin()
    for step in range(3):
        logger.on_test_batch_end(step, {"loss": 0.5})
    logger.on_test_end({"loss": 0.25})
    final = ANSI.sub("", capsys.readouterr().out).split("\r")[-1]
    assert re.fullmatch(r"3/3 ━{20} 0s \d+ms/step - loss: 0\.2500 *\n", final)

    logger.on_predict_begin()
    for step in range(3):
        logger.on_predict_batch_end(step, {"outputs": np.ones((2, 2))})
    logger.on_predict_end()
    final = ANSI.sub("", capsys.readouterr().out).split("\r")[-1]
    assert re.fullmatch(r"3/3 ━{20} 0s \d+ms/step *\n", final)


def test_progbar_unknown_target_learns_it_from_the_first_epoch(capsys, fake_clock):
    logger = callbacks.ProgbarLogger()
    logger.set_params({"verbose": 1, "epochs": 1, "steps": None})
    logger.on_epoch_begin(0)
    logger.on_train_batch_end(0, {"loss": 1.0})
    logger.on_train_batch_end(1, {"loss": 1.0})
    logger.on_epoch_end(0, {"loss": 1.0})
    out = ANSI.sub("", capsys.readouterr().out)
    assert "      1/Unknown" in out and out.split("\r")[-1].startswith("2/2 ━")
    assert logger.target == 2


def test_progbar_formats_and_averages():
    bar = Progbar(target=10, verbose=0)
    bar.update(2, [("loss", 1.0)])
    bar.update(4, [("loss", 3.0)])
    assert bar._values["loss"] == [8.0, 4]  # weighted by steps: average 2.0
    assert Progbar(10, stateful_metrics=["acc"])._is_stateless("loss")
    assert not Progbar(10, stateless_metrics=["acc"])._is_stateless("loss")
    with pytest.raises(ValueError, match="Only one of"):
        Progbar(1, stateful_metrics=[], stateless_metrics=[])
    from engine.utils.progbar import _format_eta, _format_rate, _format_value
    assert _format_value(0.26496, signed=True) == "0.2650"
    assert _format_value(3.21e-4, signed=True) == "3.2100e-04"
    assert _format_value(-0.5, signed=True) == "-0.5000"
    assert _format_value(-0.5, signed=False) == "-5.0000e-01"  # Keras's verbose=2 quirk
    assert (_format_eta(42.7), _format_eta(125.0), _format_eta(3725.0)) == ("42s", "2:05", "1:02:05")
    assert (_format_rate(0.0023, "step"), _format_rate(2.4, "step"), _format_rate(2e-5, "step")) == (
        " 2ms/step", " 2s/step", " 20us/step")


@pytest.mark.parametrize("verbose", [1, 2])
def test_progbar_logger_output_matches_keras_exactly(verbose, capsys, monkeypatch):
    keras = keras_or_skip()
    outputs = []
    for module in (callbacks, keras.callbacks):
        ticks = itertools.count()
        monkeypatch.setattr(time, "time", lambda ticks=ticks: 1000.0 + 0.013 * next(ticks))
        drive_fit(module.ProgbarLogger(), epochs=2, steps=12, verbose=verbose)
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


def test_progbar_matches_keras_on_negative_and_averaged_values(capsys, monkeypatch):
    keras = keras_or_skip()
    from keras.src.utils.progbar import Progbar as KerasProgbar
    outputs = []
    for cls in (Progbar, KerasProgbar):
        ticks = itertools.count()
        monkeypatch.setattr(time, "time", lambda ticks=ticks: 1000.0 + 0.7 * next(ticks))
        for verbose in (1, 2):
            bar = cls(target=150, verbose=verbose, interval=0.0)
            for step in range(1, 151, 7):
                bar.update(step, [("loss", -0.5 * step), ("tiny", 1e-5), ("count", step)])
            bar.update(150, [("loss", -2.0), ("tiny", 1e-5), ("count", 3)])
            unknown = cls(target=None, verbose=verbose)
            unknown.add(5, [("loss", 1.0)])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert keras  # imported for the skip
