"""The training core's rules, without Qt: last finite weights on NaN, stop and pause between batches, early stopping,
run ids and segments, coalesced progress. The window and the command line both run this core."""

import math
import threading
from types import SimpleNamespace

import numpy as np
import pytest

import engine
from studio.training.core import (
    Listener,
    Outcome,
    RunControl,
    Trainer,
    begin_segment,
    early_stopping,
    end_segment,
    new_run,
    next_run_id,
)
from studio.training.progress import ProgressCoalescer
from studio.training.run import ERROR, FINISHED, NAN, STOPPED, TrainingRun, TrainingSettings
from studio.training.weights import non_finite_weight


def regression(rows=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3)).astype("float32")
    return SimpleNamespace(train=SimpleNamespace(x=x, y=x.sum(axis=1, keepdims=True)), validation=None)


def linear(optimizer="sgd", loss="mse"):
    model = engine.Sequential([engine.layers.Input((3,)), engine.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss=loss)
    return model


class Snapshots(engine.callbacks.Callback):
    """The weights before every training batch."""

    def __init__(self):
        super().__init__()
        self.before = []

    def on_train_batch_begin(self, batch, logs=None):
        self.before.append(self.model.get_weights())


def fit(model, data=None, epochs=5, batch_size=16, callbacks=(), control=None, listener=None):
    trainer = Trainer(model, data or regression(), TrainingSettings(epochs=epochs, batch_size=batch_size), 0, epochs,
                      control=control or RunControl(), listener=listener or Listener(), callbacks=list(callbacks))
    return trainer.fit()


def test_a_nan_loss_puts_back_the_weights_and_optimizer_state_of_the_last_finite_batch():
    calls = []

    def poisoned(y_true, y_pred):
        calls.append(1)
        loss = engine.ops.mean(engine.ops.square(y_true - y_pred))
        return loss * float("nan") if len(calls) == 6 else loss

    model = linear(optimizer=engine.optimizers.Adam(0.01), loss=poisoned)
    snaps = Snapshots()
    outcome = fit(model, callbacks=[snaps])
    assert outcome.status == NAN and outcome.nan_at == {"epoch": 1, "batch": 1, "value": "NaN"}
    assert "epoch 2, batch 2" in outcome.message and "last weights that gave a finite loss" in outcome.message
    # Batch 6 (epoch 2, batch 2) gave NaN: the state before batch 5, the last with a finite loss, is back,
    # optimizer included (its step count and moments), so that Continue starts from a clean state.
    for kept, good in zip(model.get_weights(), snaps.before[4]):
        np.testing.assert_array_equal(kept, good)
    for kept, good in zip(outcome.weights, snaps.before[4]):
        np.testing.assert_array_equal(kept, good)
    assert int(model.optimizer.iterations.value) == 4
    assert all(np.isfinite(v.value).all() for v in model.optimizer.variables)


def test_a_huge_learning_rate_diverges_and_keeps_finite_weights():
    model = linear(optimizer=engine.optimizers.SGD(1e20))
    start = model.get_weights()
    outcome = fit(model, epochs=3)
    assert outcome.status == NAN and non_finite_weight(model) is None
    # The first batch's loss was finite (the starting weights), the second was not: the starting weights are back.
    for kept, first in zip(outcome.weights, start):
        np.testing.assert_array_equal(kept, first)


def test_a_continuation_that_diverges_goes_back_to_the_weights_it_started_from():
    model = linear(optimizer=engine.optimizers.SGD(0.01))
    assert fit(model, epochs=2).status == FINISHED
    earlier = model.get_weights()
    model.optimizer.learning_rate = 1e20
    snaps = Snapshots()
    settings = TrainingSettings(epochs=3, batch_size=16)
    outcome = Trainer(model, regression(), settings, initial_epoch=2, epochs=5, callbacks=[snaps]).fit()
    assert outcome.status == NAN and len(snaps.before) >= 2  # finite losses first: the weights grew before NaN
    assert "the weights it had after epoch 2, before this continuation, were kept" in outcome.message
    for kept, before in zip(outcome.weights, earlier):
        np.testing.assert_array_equal(kept, before)
    assert int(model.optimizer.iterations.value) == 8  # the optimizer's state went back too


def test_nan_on_the_first_batch_keeps_the_starting_weights():
    def poisoned(y_true, y_pred):
        return engine.ops.mean(engine.ops.square(y_true - y_pred)) * float("inf")

    model = linear(optimizer=engine.optimizers.Adam(0.01), loss=poisoned)
    start = model.get_weights()
    outcome = fit(model)
    assert outcome.status == NAN and outcome.nan_at == {"epoch": 0, "batch": 0, "value": "infinite"}
    # Adam's moments, built during that batch, after the snapshot, start afresh instead of holding NaN.
    assert len(model.optimizer.variables) > 2 and all(np.isfinite(v.value).all() for v in model.optimizer.variables)
    for kept, first in zip(outcome.weights, start):
        np.testing.assert_array_equal(kept, first)


def test_weights_that_turn_nan_on_the_last_batch_are_not_kept():
    class PoisonLast(engine.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 3:  # the last batch of the only epoch: its loss was finite, the update was not
                self.model.set_weights([np.full_like(w, np.nan) for w in self.model.get_weights()])

    model = linear()
    snaps = Snapshots()
    outcome = fit(model, epochs=1, callbacks=[snaps, PoisonLast()])
    assert outcome.status == NAN and "weights became NaN or infinite" in outcome.message
    for kept, good in zip(outcome.weights, snaps.before[3]):
        np.testing.assert_array_equal(kept, good)


def test_end_segment_never_replaces_weights_with_nan():
    earlier = [np.ones((3, 1), "float32"), np.zeros(1, "float32")]
    run = TrainingRun(run_id=1, compile_settings={}, settings={}, weights=earlier)
    end_segment(run, Outcome(NAN, "The loss became NaN.", weights=[np.full((3, 1), np.nan), np.zeros(1)]))
    assert run.weights is earlier and run.status == NAN and "weights from before this training were kept" in \
        run.message
    fresh = TrainingRun(run_id=2, compile_settings={}, settings={})
    end_segment(fresh, Outcome(NAN, "The loss became NaN.", weights=[np.full((3, 1), np.inf)]))
    assert fresh.weights is None


def test_an_exception_is_reported_with_the_last_good_weights():
    class Boom(engine.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise RuntimeError("disk on fire")

    outcome = fit(linear(), callbacks=[Boom()])
    assert outcome.status == ERROR and outcome.message == "Training failed: RuntimeError: disk on fire"
    assert "disk on fire" in outcome.traceback and all(np.isfinite(w).all() for w in outcome.weights)


def test_stop_acts_within_one_batch():
    control = RunControl()

    class StopDuringBatch(engine.callbacks.Callback):  # as the Stop button does, while batch 3 trains
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 3:
                control.stop()

    outcome = fit(linear(), data=regression(rows=640), epochs=50, callbacks=[StopDuringBatch()], control=control)
    assert outcome.status == STOPPED and outcome.message == "Stopped by the user." and outcome.batches == 4


def test_pause_waits_before_the_next_batch_and_stop_ends_it():
    control = RunControl()
    seen = []
    paused = threading.Event()

    def on_batch(info):
        seen.append(info["batch"])
        if info["batch"] == 1:
            control.pause()

    listener = Listener(batch=on_batch, paused=paused.set)
    result = []
    thread = threading.Thread(target=lambda: result.append(fit(linear(), epochs=50, control=control,
                                                               listener=listener)))
    thread.start()
    assert paused.wait(10)
    assert seen == [0, 1]  # waiting before batch 2
    control.stop()
    thread.join(10)
    assert result[0].status == STOPPED and seen == [0, 1]


def test_listener_hears_every_epoch_with_validation_values():
    data = regression()
    data.validation = SimpleNamespace(x=data.train.x[:8], y=data.train.y[:8])
    epochs = []
    outcome = fit(linear(), data, epochs=3, listener=Listener(epoch=lambda e, logs: epochs.append((e, set(logs)))))
    assert outcome.status == FINISHED and outcome.batches == 12
    assert epochs == [(0, {"loss", "val_loss"}), (1, {"loss", "val_loss"}), (2, {"loss", "val_loss"})]


def test_early_stopping_watches_the_training_value_without_validation_data():
    settings = TrainingSettings(early_stopping=True, monitor="val_accuracy", patience=2)
    assert early_stopping(settings, has_validation=False)[0].monitor == "accuracy"
    assert early_stopping(settings, has_validation=True)[0].monitor == "val_accuracy"
    assert early_stopping(TrainingSettings(), has_validation=True) == []


def test_run_ids_and_segments():
    assert next_run_id([]) == 1
    assert next_run_id([{"run_id": 2}, TrainingRun(run_id=7, compile_settings={}, settings={}), "junk"]) == 8
    run = new_run([{"run_id": 3}], {"loss": "mse"}, TrainingSettings(epochs=4))
    assert run.run_id == 4 and run.settings["epochs"] == 4
    assert begin_segment(run) == (0, 4)
    run.add_epoch({"loss": 1.0})
    run.add_epoch({"loss": 0.5})
    assert begin_segment(run, 3) == (2, 5)
    assert run.segments == [{"initial_epoch": 0, "epochs": 4}, {"initial_epoch": 2, "epochs": 5}]


def test_progress_is_coalesced_but_every_epoch_arrives():
    now = [0.0]
    sent = []
    progress = ProgressCoalescer(sent.append, interval=0.04, clock=lambda: now[0])
    progress.set("batch", 0)  # the first report goes at once
    for step in range(1, 1000):  # 1000 batches and 100 epochs in 0.1 s
        now[0] += 0.0001
        progress.set("batch", step)
        if step % 10 == 9:
            progress.append("epochs", step // 10)
    progress.flush()
    assert 2 <= len(sent) <= 5
    assert [e for update in sent for e in update.get("epochs", [])] == list(range(100))
    assert sent[0] == {"batch": 0} and sent[-1]["batch"] == 999
    progress.flush()
    assert len(sent) <= 5  # nothing pending, nothing sent


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_weight_names_the_variable(value):
    model = linear()
    kernel = model.get_weights()
    kernel[0][1, 0] = value
    model.set_weights(kernel)
    assert non_finite_weight(model).endswith("kernel")
