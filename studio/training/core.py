"""The rules of a training run, in one place for the window and the command line (plain Python, no Qt).

A run is started (`new_run`, its id one above the highest so far) and trained in segments: Train is the first,
each Continue adds one (`begin_segment`). A `Trainer` fits one segment and enforces the rules:
- stop and pause are flags (`RunControl`) checked between batches, so Stop acts within one batch;
- a NaN or infinite loss stops the run and puts back finite weights (and their optimizer state), never NaN:
  in a new run those of the last batch that gave a finite loss; in a continuation those it started from
  (the earlier weights were good; those just before a divergence seldom are);
- early stopping watches the chosen monitor, or its training twin when there is no validation data;
- an exception is caught and reported, with the last good weights put back.
`end_segment` writes the outcome into the run: weights that are not finite never replace the earlier ones.
`diagnose_run` says in words what the history shows. The window's worker runs a `Trainer` on a QThread
(studio/training/worker.py); the command line runs it directly (studio/headless.py).
The arithmetic is a backend's (studio/training/backends.py): the engine's, or real Keras 3's on the model rebuilt
in Keras, whose trained weights come back into the engine model; the rules above are the same for both.
"""

from __future__ import annotations

import functools
import math
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from studio.training.backends import ENGINE, BackendError, EngineBackend, TrainingBackend
from studio.training.diagnosis import Diagnosis, diagnose
from studio.training.run import EARLY_STOPPED, ERROR, FINISHED, NAN, RUNNING, STOPPED, TrainingRun, TrainingSettings
from studio.training.weights import StateSnapshot, all_finite

PAUSE_SLICE = 0.05  # seconds between checks for stop while paused
STOPPED_MESSAGE = "Stopped by the user."


class StopTraining(Exception):
    """Raised inside `fit` to leave it at once (a stop while paused or during validation)."""


# -- runs and segments ---------------------------------------------------------------------------------

def next_run_id(runs: list) -> int:
    """One above the highest id among `runs` (TrainingRun objects or their saved dicts)."""
    ids = [r.run_id if isinstance(r, TrainingRun) else r.get("run_id", 0) for r in runs
           if isinstance(r, (TrainingRun, dict))]
    return 1 + max((int(i) for i in ids if isinstance(i, (int, float))), default=0)


def new_run(runs: list, compile_settings: dict, settings: TrainingSettings) -> TrainingRun:
    return TrainingRun(run_id=next_run_id(runs), compile_settings=dict(compile_settings),
                       settings=settings.to_dict())


def begin_segment(run: TrainingRun, more_epochs: int | None = None) -> tuple[int, int]:
    """Record a new segment of `run`: its first epoch (0 for a new run, after the last one for Continue) and the
    epoch it ends at; `more_epochs` defaults to the run's epochs setting. Returns (initial_epoch, epochs)."""
    initial = run.epochs_done
    more = int(more_epochs if more_epochs is not None else TrainingSettings.from_dict(run.settings).epochs)
    run.status, run.message = RUNNING, ""
    run.segments.append({"initial_epoch": initial, "epochs": initial + more})
    return initial, initial + more


@dataclass
class Outcome:
    """How one segment ended. `weights` are the model's weights at the end, finite (None if none could be read)."""

    status: str
    message: str
    weights: list | None = None
    nan_at: dict | None = None
    traceback: str = ""
    batches: int = 0  # training batches run in the segment
    backend: dict | None = None  # what trained it (`TrainingBackend.describe()`)


def end_segment(run: TrainingRun, outcome: Outcome) -> None:
    """Write the segment's outcome into the run. Weights that are not finite never replace the earlier ones."""
    run.status, run.message = outcome.status, outcome.message
    if outcome.weights is not None and all_finite(outcome.weights):
        run.weights = outcome.weights
    elif run.weights is not None:
        run.message += " The weights from before this training were kept."
    if outcome.weights is None and run.weights is None:
        run.status = ERROR
    if outcome.backend and outcome.backend.get("name") != ENGINE and run.segments:
        run.segments[-1]["backend"] = dict(outcome.backend)  # which library trained it (none said: the engine)


def learning_rate(run: TrainingRun) -> float | None:
    config = (run.compile_settings.get("optimizer") or {}).get("config") or {}
    lr = config.get("learning_rate")
    return float(lr) if isinstance(lr, (int, float)) else None


def diagnose_run(run: TrainingRun) -> list[Diagnosis]:
    return diagnose(run.history, learning_rate(run))


def monitor(settings: TrainingSettings, has_validation: bool) -> str:
    """The value early stopping watches: the chosen one, or its training twin when there is no validation data."""
    chosen = settings.monitor
    return chosen[4:] if chosen.startswith("val_") and not has_validation else chosen


def early_stopping(settings: TrainingSettings, has_validation: bool, backend: TrainingBackend | None = None) -> list:
    """The EarlyStopping callback the settings ask for (none when off), of the backend's library."""
    if not settings.early_stopping:
        return []
    EarlyStopping = (backend or EngineBackend()).early_stopping_class()  # noqa: N806 (a class)
    return [EarlyStopping(monitor=monitor(settings, has_validation), patience=int(settings.patience),
                          min_delta=float(settings.min_delta),
                          restore_best_weights=bool(settings.restore_best_weights))]


# -- control from another thread -----------------------------------------------------------------------

class RunControl:
    """Stop and pause, thread-safe: set from the GUI thread, checked by the trainer between batches."""

    def __init__(self):
        self._stop = threading.Event()
        self._go = threading.Event()
        self._go.set()

    def stop(self) -> None:
        """Stop after the current batch (or at once while paused)."""
        self._stop.set()
        self._go.set()

    def pause(self) -> None:
        """Wait before the next batch until `resume` or `stop`; the optimizer state stays as it is."""
        self._go.clear()

    def resume(self) -> None:
        self._go.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def pause_requested(self) -> bool:
        return not self._go.is_set()

    def wait_while_paused(self) -> None:
        while not self._go.wait(PAUSE_SLICE):
            pass


# -- one segment ---------------------------------------------------------------------------------------

@dataclass
class Listener:
    """What a front end hears from a trainer, in the training thread. Every hook is optional.

    batch({"epoch", "batch", "steps", "logs"}) after each training batch; epoch(epoch, logs) after each epoch
    (epochs counted from 0 over the whole run, validation values prefixed `val_`); paused() / resumed().
    """

    batch: Callable[[dict], None] | None = None
    epoch: Callable[[int, dict], None] | None = None
    paused: Callable[[], None] | None = None
    resumed: Callable[[], None] | None = None


@dataclass
class Trainer:
    """Fits one segment of a run: `Trainer(model, data, settings, initial_epoch, epochs).fit() -> Outcome`.

    `model` is the project's compiled engine model; `data` has `train.x`, `train.y` and `validation` (None or with
    `.x`, `.y`), encoded for the loss. `callbacks` are extra callbacks of the backend's library (after the
    trainer's own and early stopping). `backend` does the arithmetic (the engine unless told): `fit_model` is the
    model it trains, the engine model itself or a Keras copy whose weights come back at the end.
    """

    model: object
    data: object
    settings: TrainingSettings
    initial_epoch: int
    epochs: int
    control: RunControl = field(default_factory=RunControl)
    listener: Listener = field(default_factory=Listener)
    callbacks: list = field(default_factory=list)
    backend: TrainingBackend = field(default_factory=EngineBackend)
    batches: int = 0
    nan_at: dict | None = None

    def __post_init__(self):
        self.backend = self.backend or EngineBackend()
        self.fit_model = self.model  # until the backend prepares its own
        self._use_snapshots(StateSnapshot)
        self._cached: list | None = None

    def _use_snapshots(self, make) -> None:
        variables = self._state_variables
        self._before = make(variables)  # the state before the batch being trained
        self._good = make(variables)  # the state before the last batch that gave a finite loss
        self._start = make(variables)  # the state the segment started from

    def fit(self) -> Outcome:
        try:
            self.fit_model = self.backend.prepare(self.model)
        except BackendError as err:
            return Outcome(ERROR, str(err), self._final_weights(), backend=self._described())
        except Exception as e:  # an unexpected failure of the backend's library
            return Outcome(ERROR, f"Training failed: {type(e).__name__}: {e}", self._final_weights(),
                           traceback=traceback.format_exc(), backend=self._described())
        self._cached = None
        self._use_snapshots(self.backend.snapshot)
        streamed = getattr(self.data, "fit_source", None)  # data read from its file in chunks (StreamedData)
        if streamed is not None:
            x, validation = streamed(int(self.settings.batch_size), bool(self.settings.shuffle))
            x, validation = self.backend.batches(x), self.backend.batches(validation)
            arrays = {"shuffle": False}  # the batches shuffle themselves; Keras would also reorder whole batches
        else:
            validation = self.data.validation
            validation = (validation.x, validation.y) if validation is not None else None
            x, arrays = self.data.train.x, {"y": self.data.train.y, "batch_size": int(self.settings.batch_size),
                                            "shuffle": bool(self.settings.shuffle)}
        callbacks = [_Guard(self), *early_stopping(self.settings, validation is not None, self.backend),
                     *self.callbacks]
        status, message, trace = FINISHED, "", ""
        self._start.take()
        try:
            self.fit_model.fit(x, validation_data=validation, epochs=self.epochs, initial_epoch=self.initial_epoch,
                               callbacks=callbacks, verbose=0, **arrays)
            if self.nan_at is not None:
                status, message = NAN, (f"The loss became {self.nan_at['value']} at epoch {self.nan_at['epoch'] + 1}"
                                        f", batch {self.nan_at['batch'] + 1}; training stopped and {self._kept}.")
            elif self.control.stop_requested:
                status, message = STOPPED, STOPPED_MESSAGE
            elif self.fit_model.stop_training:
                status, message = EARLY_STOPPED, "Stopped early: the monitored value stopped improving."
        except StopTraining:
            status, message = STOPPED, STOPPED_MESSAGE
        except Exception as e:  # reported, never raised: a failure inside training must not take the app down
            status, message, trace = ERROR, f"Training failed: {type(e).__name__}: {e}", traceback.format_exc()
            self.restore_last_good()
        weights = self._final_weights()
        if weights is not None and not all_finite(weights) and status != ERROR:
            status, message = NAN, f"The weights became NaN or infinite; {self._kept}."
            self.restore_last_good()
            weights = self._final_weights()
        if self.fit_model is not self.model and weights is not None:  # back into the engine model, finite only
            try:
                if not all_finite(weights):
                    raise ValueError("they are not finite")
                self.backend.finish(self.model, weights)
                weights = list(self.model.get_weights())
            except Exception as e:
                status, message, weights = ERROR, f"The trained weights could not be put into the model: {e}", None
        return Outcome(status, message, weights, self.nan_at, trace, self.batches, self._described())

    def _described(self) -> dict | None:
        try:
            return self.backend.describe()
        except Exception:  # a backend that failed before it could tell
            return {"name": self.backend.name}

    @property
    def continuation(self) -> bool:
        return self.initial_epoch > 0

    @property
    def _kept(self) -> str:
        if self.continuation:
            return f"the weights it had after epoch {self.initial_epoch}, before this continuation, were kept"
        return "the last weights that gave a finite loss were kept"

    def restore_last_good(self) -> None:
        """Put back the state a divergence falls back to (see the module's docstring)."""
        snapshot = self._start if self.continuation else self._good if not self._good.empty else self._before
        if snapshot.empty:
            return
        try:
            snapshot.restore()
            # Optimizer slots built after the snapshot was taken start afresh rather than carry NaN on.
            for variable in getattr(getattr(self.fit_model, "optimizer", None), "variables", []):
                value = self.backend.to_numpy(variable.value)
                if value.dtype.kind == "f" and not np.isfinite(value).all():
                    variable.assign(np.zeros_like(value))
        except Exception:  # the model itself is broken; nothing better to put back
            pass

    def _final_weights(self) -> list | None:
        try:
            return list(self.fit_model.get_weights())  # copies
        except Exception:  # a model broken by the failure
            return None

    def _state_variables(self) -> list:
        """The model's weights and the optimizer's state (built during the first batch), listed once."""
        optimizer = getattr(self.fit_model, "optimizer", None)
        slots = list(getattr(optimizer, "variables", []) or [])
        if self._cached is None or len(self._cached) != self._weight_count + len(slots):
            weights = list(self.fit_model.weights)
            self._weight_count = len(weights)
            self._cached = weights + slots
        return self._cached

    # -- between batches, in the training thread -----------------------------------------------------
    def before_batch(self) -> None:
        if self.control.pause_requested:
            if self.listener.paused:
                self.listener.paused()
            self.control.wait_while_paused()
            if self.control.stop_requested:
                raise StopTraining
            if self.listener.resumed:
                self.listener.resumed()
        self._before.take()

    def after_batch(self, epoch: int, batch: int, steps: int | None, logs: dict) -> None:
        self.batches += 1
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(loss):
            self.nan_at = {"epoch": epoch, "batch": batch, "value": "NaN" if math.isnan(loss) else "infinite"}
            self.fit_model.stop_training = True
            self.restore_last_good()
        else:
            self._good.swap(self._before)
        if self.listener.batch:
            self.listener.batch({"epoch": epoch, "batch": batch, "steps": steps, "logs": logs})
        if self.control.stop_requested:
            self.fit_model.stop_training = True


@functools.cache
def _guard_class(Callback: type):  # noqa: N803 (a class: the backend library's callback base)
    class Guard(Callback):
        """The trainer's hooks inside `fit`."""

        def __init__(self, trainer: Trainer):
            super().__init__()
            self.trainer = trainer
            self._epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            self.trainer.before_batch()

        def on_train_batch_end(self, batch, logs=None):
            self.trainer.after_batch(self._epoch, batch, (self.params or {}).get("steps"), dict(logs or {}))

        def on_test_batch_begin(self, batch, logs=None):
            if self.trainer.control.stop_requested:  # a stop during validation: do not wait for all of it
                raise StopTraining

        def on_epoch_end(self, epoch, logs=None):
            if self.trainer.listener.epoch:
                self.trainer.listener.epoch(epoch, dict(logs or {}))

    return Guard


def _Guard(trainer: Trainer):
    """The trainer's callback, of its backend's library (imported only when training)."""
    return _guard_class(trainer.backend.callback_base())(trainer)
