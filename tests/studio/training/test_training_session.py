"""The training session on a real QThread: epochs, coalesced batches, stop, pause, continue, exceptions (the rules
themselves are tested once, without Qt, in test_training_core.py)."""

import json
import math

import numpy as np
import pytest

import engine
from studio.data import DataSpec, prepare, read_csv
from studio.training.compile_settings import default_settings
from studio.training.run import ERROR, FINISHED, STOPPED, TrainingRun, TrainingSettings
from studio.training.session import TrainingSession


@pytest.fixture(scope="module")
def iris():
    return prepare(DataSpec.from_table(read_csv("studio/assets/data/iris.csv")))


def mlp(n_in=4, n_out=3, activation="softmax"):
    def build():
        return engine.Sequential([engine.layers.Input((n_in,)), engine.layers.Dense(16, activation="relu"),
                                  engine.layers.Dense(n_out, activation=activation)])
    return build


def steps(model) -> int:
    """Optimizer steps taken so far (the batches trained)."""
    return int(np.asarray(model.optimizer.iterations.value))


def session_for(data, qtbot, lr=0.01):
    s = TrainingSession()
    settings = default_settings("multiclass")
    settings["optimizer"]["config"]["learning_rate"] = lr
    s.configure(mlp(), data, settings)
    return s


def train(session, qtbot, **settings):
    epochs = []
    session.epoch_end.connect(epochs.append)
    with qtbot.waitSignal(session.run_finished, timeout=20000) as blocker:
        session.train(TrainingSettings(**settings))
    return blocker.args[0], epochs


def test_one_point_per_epoch_for_training_and_validation(iris, qtbot):
    session = session_for(iris, qtbot)
    batches = []
    session.batch_end.connect(batches.append)
    run, epochs = train(session, qtbot, epochs=4, batch_size=32)
    assert run.status == FINISHED and not session.is_running and session.state == "idle"
    assert [e["epoch"] for e in epochs] == [0, 1, 2, 3]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(epochs[0]["logs"])
    assert all(len(v) == 4 for v in run.history.values())
    # Batches are coalesced (the latest wins): the first is shown at once, the last is sent before the end.
    assert 1 <= len(batches) <= 4 * 4 and batches[0]["steps"] == 4
    first, last = batches[0], batches[-1]
    assert (first["epoch"], first["batch"]) == (0, 0) and (last["epoch"], last["batch"]) == (3, 3)
    # The run keeps the model's final weights.
    for saved, now in zip(run.weights, session.model.get_weights()):
        np.testing.assert_array_equal(saved, now)


def test_signals_carry_fresh_dicts(iris, qtbot):
    session = session_for(iris, qtbot)
    seen = []
    session.epoch_end.connect(lambda info: seen.append(info["logs"]))
    train(session, qtbot, epochs=2)
    assert seen[0] is not seen[1]
    seen[0]["loss"] = -1.0
    assert session.current_run.history["loss"][0] != -1.0


def test_stop_within_one_batch(iris, qtbot):
    session = session_for(iris, qtbot)
    at_stop = []

    def on_batch(info):
        if not at_stop:
            at_stop.append(steps(session.model))
            session.stop()

    session.batch_end.connect(on_batch)
    run, epochs = train(session, qtbot, epochs=200, batch_size=8)
    assert run.status == STOPPED and run.message == "Stopped by the user."
    # The worker may finish the batch in hand when the stop arrives, not more.
    assert steps(session.model) <= at_stop[0] + 1
    assert run.epochs_done < 200
    assert all(np.isfinite(w).all() for w in run.weights)


def test_pause_waits_between_batches_and_resume_goes_on(iris, qtbot):
    session = session_for(iris, qtbot)
    states = []
    session.state_changed.connect(states.append)
    session.batch_end.connect(lambda info: session.pause() if info["batch"] == 0 and info["epoch"] == 0 else None)
    with qtbot.waitSignal(session.state_changed, check_params_cb=lambda s: s == "paused", timeout=20000):
        session.train(TrainingSettings(epochs=500, batch_size=8))
    paused_at = steps(session.model)
    assert session.is_running and session.state == "paused"
    qtbot.waitUntil(lambda: True)  # let the event loop run: nothing trains while paused
    assert steps(session.model) == paused_at
    # Resume: training goes on from the same optimizer state (its step count carries on).
    with qtbot.waitSignal(session.batch_end, check_params_cb=lambda info: steps(session.model) > paused_at + 2,
                          timeout=20000):
        session.resume()
    with qtbot.waitSignal(session.run_finished, timeout=20000) as blocker:
        session.stop()
    assert blocker.args[0].status == STOPPED
    assert states == ["running", "paused", "running", "stopping", "idle"]


def test_stop_while_paused(iris, qtbot):
    session = session_for(iris, qtbot)
    session.batch_end.connect(lambda info: session.pause())
    with qtbot.waitSignal(session.state_changed, check_params_cb=lambda s: s == "paused", timeout=20000):
        session.train(TrainingSettings(epochs=500, batch_size=8))
    with qtbot.waitSignal(session.run_finished, timeout=20000) as blocker:
        session.stop()
    assert blocker.args[0].status == STOPPED


def test_continue_extends_the_run_and_keeps_optimizer_state(iris, qtbot):
    session = session_for(iris, qtbot)
    run, _ = train(session, qtbot, epochs=3, batch_size=40)
    model = session.model
    iterations_before = steps(model)
    epochs = []
    session.epoch_end.connect(epochs.append)
    with qtbot.waitSignal(session.run_finished, timeout=20000):
        same = session.continue_training(2)
    assert same is run and session.model is model and len(session.runs) == 1
    assert [e["epoch"] for e in epochs] == [3, 4]
    assert run.epochs_done == 5 and run.segments == [{"initial_epoch": 0, "epochs": 3},
                                                     {"initial_epoch": 3, "epochs": 5}]
    assert steps(model) == iterations_before + 2 * 3


def test_iris_reaches_validation_accuracy_above_point_nine(iris, qtbot):
    session = session_for(iris, qtbot, lr=0.01)
    run, _ = train(session, qtbot, epochs=40, batch_size=16)
    assert run.history["val_accuracy"][-1] > 0.9


def test_exception_inside_the_worker_is_reported(iris, qtbot):
    session = session_for(iris, qtbot)

    class Boom(engine.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise RuntimeError("disk on fire")

    session.extra_callbacks = [Boom()]
    errors = []
    session.failed.connect(errors.append)
    run, _ = train(session, qtbot, epochs=3, batch_size=16)
    assert run.status == ERROR and "RuntimeError: disk on fire" in run.message
    assert errors and "disk on fire" in errors[0]["traceback"] and errors[0]["run_id"] == 1
    assert all(np.isfinite(w).all() for w in run.weights)
    assert not session.is_running
    # The app can train again after a failure.
    session.extra_callbacks = []
    run2, _ = train(session, qtbot, epochs=1)
    assert run2.status == FINISHED and run2.run_id == 2


def test_early_stopping_option(iris, qtbot):
    session = session_for(iris, qtbot, lr=0.5)
    run, _ = train(session, qtbot, epochs=60, batch_size=8, early_stopping=True, patience=2, monitor="val_loss")
    assert run.status in ("early_stopped", FINISHED)
    assert run.epochs_done < 60


def test_run_record_round_trips_through_json(iris, qtbot):
    session = session_for(iris, qtbot)
    run, _ = train(session, qtbot, epochs=2)
    run.history["loss"][0] = float("nan")
    back = TrainingRun.from_dict(json.loads(json.dumps(run.to_dict())))
    assert back.history.keys() == run.history.keys() and math.isnan(back.history["loss"][0])
    assert back.history["val_loss"] == run.history["val_loss"]
    for a, b in zip(back.weights, run.weights):
        np.testing.assert_array_equal(a, b)
    restored = TrainingSession()
    restored.configure(mlp(), iris, run.compile_settings)
    restored.restore_runs([run.to_dict()])
    np.testing.assert_allclose(restored.model.predict(iris.validation.x, verbose=0),
                               session.model.predict(iris.validation.x, verbose=0), rtol=1e-6)
    assert restored.can_continue


def test_training_needs_configuration(qtbot):
    with pytest.raises(RuntimeError, match="Nothing to train"):
        TrainingSession().train(TrainingSettings())
    with pytest.raises(ValueError, match="Epochs must be at least 1"):
        TrainingSettings(epochs=0).validate()


def test_categorical_crossentropy_gets_one_hot_targets(iris, qtbot):
    session = TrainingSession()
    settings = default_settings("multiclass")
    settings["loss"] = "categorical_crossentropy"
    session.configure(mlp(), iris, settings)
    assert session.training_data.train.y.shape == (120, 3)
    run, _ = train(session, qtbot, epochs=2)
    assert run.status == FINISHED and "val_accuracy" in run.history


def test_saved_weights_are_exact_and_checked():
    from studio.training.run import decode_array, encode_array

    a = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    d = json.loads(json.dumps(encode_array(a)))
    np.testing.assert_array_equal(decode_array(d), a)
    assert decode_array(d).dtype == np.float32
    np.testing.assert_array_equal(decode_array([[1, 2], [3, 4]]), [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="hold 48 bytes, not 24"):
        decode_array({**d, "shape": [3, 2]})
    with pytest.raises(ValueError, match="not a number type"):
        decode_array({**d, "dtype": "|O"})


def test_restoring_weights_that_no_longer_fit_keeps_the_runs(iris, qtbot):
    session = session_for(iris, qtbot)
    run, _ = train(session, qtbot, epochs=1)
    other = TrainingSession()
    other.configure(lambda: engine.Sequential([engine.layers.Input((4,)), engine.layers.Dense(3)]), iris,
                    run.compile_settings)
    message = other.restore_runs([run.to_dict()])
    assert message.startswith("The weights of run 1 do not fit the current model")
    assert len(other.runs) == 1 and other.model is None and not other.can_continue


def test_stop_during_validation_does_not_wait_for_it(iris, qtbot):
    session = session_for(iris, qtbot)
    validation_batches = []

    class StopInValidation(engine.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            validation_batches.append(batch)
            session._worker.stop()  # as the Stop button does, from another thread

    session.extra_callbacks = [StopInValidation()]
    run, _ = train(session, qtbot, epochs=5, batch_size=4)  # validation: 30 rows, 8 batches of 4
    assert run.status == STOPPED and validation_batches == [0]
    assert run.epochs_done == 0  # the interrupted epoch is not recorded
