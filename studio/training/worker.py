"""The training worker: `model.fit` on a QThread, reporting through Qt signals, stoppable and pausable.

A worker busy in `fit` has no event loop to receive slot calls, so stop and pause are thread-safe flags
that the callback checks between batches. Signals carry fresh dicts (`Signal(object)`: Qt would copy a
`dict` into a QVariantMap). A NaN or infinite loss stops training and puts back the weights of the last
batch that gave a finite loss; an exception is caught and reported, never raised into the event loop.
"""

from __future__ import annotations

import math
import threading
import traceback

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from studio.training.run import EARLY_STOPPED, ERROR, FINISHED, NAN, STOPPED

_WAIT_SLICE = 0.05  # seconds between checks for stop while paused


class StopTraining(Exception):
    """Raised inside the worker to leave `fit` at once (a stop while paused)."""


def _engine_callback_base():
    from engine.callbacks import Callback

    return Callback


class TrainingWorker(QObject):
    """Runs one `fit` call. Create it, move it to a QThread, connect `thread.started` to `run`.

    Signals:
        batch_end: {"epoch", "batch", "steps", "logs"} after every training batch.
        epoch_end: {"epoch", "logs"} after every epoch (validation logs prefixed `val_`).
        paused / resumed: the worker is waiting between batches / going on.
        failed: {"error", "traceback"} when an exception escaped `fit`.
        finished: {"status", "message", "epochs_done", "history", "nan_at"} always, last.
    """

    batch_end = Signal(object)
    epoch_end = Signal(object)
    paused = Signal()
    resumed = Signal()
    failed = Signal(object)
    finished = Signal(object)

    def __init__(self, model, x, y, validation_data=None, epochs: int = 1, batch_size: int = 32,
                 shuffle: bool = True, initial_epoch: int = 0, callbacks: list | None = None):
        super().__init__()
        self.model = model
        self.fit_args = dict(x=x, y=y, validation_data=validation_data, epochs=epochs, batch_size=batch_size,
                             shuffle=shuffle, initial_epoch=initial_epoch, verbose=0)
        self.extra_callbacks = list(callbacks or [])
        self._stop = threading.Event()
        self._go = threading.Event()
        self._go.set()
        self.history: dict[str, list[float]] = {}
        self.last_good_weights = None
        self.nan_at: dict | None = None

    # -- control, from any thread --------------------------------------------------------------
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

    # -- the work, in the worker thread --------------------------------------------------------
    @Slot()
    def run(self) -> None:
        status, message = FINISHED, ""
        try:
            callback = _make_signal_callback(self)
            self.model.fit(callbacks=[callback, *self.extra_callbacks], **self.fit_args)
            if self.nan_at is not None:
                status = NAN
                message = (f"The loss became {self.nan_at['value']} at epoch {self.nan_at['epoch'] + 1}, batch "
                           f"{self.nan_at['batch'] + 1}; training stopped and the last good weights were kept.")
            elif self._stop.is_set():
                status, message = STOPPED, "Stopped by the user."
            elif self.model.stop_training:
                status, message = EARLY_STOPPED, "Stopped early: the monitored value stopped improving."
        except StopTraining:
            status, message = STOPPED, "Stopped by the user."
        except Exception as e:  # reported to the UI: the app must survive any failure in training
            status, message = ERROR, f"Training failed: {type(e).__name__}: {e}"
            self._restore_last_good()
            self.failed.emit({"error": message, "traceback": traceback.format_exc()})
        self.finished.emit({"status": status, "message": message, "epochs_done": len(self.history.get("loss", [])),
                            "history": {k: list(v) for k, v in self.history.items()}, "nan_at": self.nan_at})

    def _restore_last_good(self) -> None:
        if self.last_good_weights is not None:
            try:
                self.model.set_weights(self.last_good_weights)
            except Exception:  # the model itself is broken; nothing better to put back
                pass

    def _wait_while_paused(self) -> None:
        if self._go.is_set():
            return
        self.paused.emit()
        while not self._go.wait(_WAIT_SLICE):
            pass
        if self._stop.is_set():
            raise StopTraining
        self.resumed.emit()


def _make_signal_callback(worker: TrainingWorker):
    """An engine Callback bound to `worker` (built here so that the engine is imported only when training)."""

    class SignalCallback(_engine_callback_base()):
        def __init__(self):
            super().__init__()
            self._before = None
            self._epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            worker._wait_while_paused()
            self._before = self.model.get_weights()

        def on_train_batch_end(self, batch, logs=None):
            logs = dict(logs or {})
            loss = logs.get("loss")
            if loss is not None and not math.isfinite(loss):
                worker.nan_at = {"epoch": self._epoch, "batch": batch, "value": "NaN" if math.isnan(loss) else
                                 "infinite"}
                self.model.stop_training = True
                worker._restore_last_good()
            else:
                worker.last_good_weights = self._before
            worker.batch_end.emit({"epoch": self._epoch, "batch": batch,
                                   "steps": (self.params or {}).get("steps"), "logs": logs})
            if worker.stop_requested:
                self.model.stop_training = True

        def on_test_batch_begin(self, batch, logs=None):
            if worker.stop_requested:  # a stop during validation: do not wait for the whole validation set
                raise StopTraining

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            for key, value in logs.items():
                worker.history.setdefault(key, []).append(float(value))
            worker.epoch_end.emit({"epoch": epoch, "logs": logs})

    return SignalCallback()


_started: list[QThread] = []


def start_in_thread(worker: TrainingWorker) -> QThread:
    """Move `worker` to a new QThread, start it, and return the thread.

    Wired as superqt does (`started -> run`, `finished -> quit`) except for `deleteLater`: the caller keeps
    Python references to both objects until it has waited for the thread, and Python frees them after.
    """
    thread = QThread()
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # Direct: `quit` is thread-safe, and a queued call could wait for a GUI event loop that is blocked in `wait`.
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    _started.append(thread)
    thread.start()
    return thread


def running_threads() -> list[QThread]:
    """Training threads started here that still run (tests assert that none is left)."""
    alive = [t for t in _started if t.isRunning()]
    _started[:] = alive
    return alive
