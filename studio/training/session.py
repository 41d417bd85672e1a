"""`TrainingSession`: the runs of one model on one dataset — train, stop, pause, resume, continue — and their records.

The training panel is a view of a session; the main window gives the session a model factory, the prepared
data and the compile settings (`configure`), and stores `runs_to_dicts()` in the project.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

from studio.training.backends import backend_for
from studio.training.compile_settings import build_compile_args
from studio.training.core import Outcome, Trainer, begin_segment, diagnose_run, end_segment, new_run
from studio.training.run import TrainingRun, TrainingSettings
from studio.training.weights import all_finite
from studio.training.worker import TrainingWorker

IDLE, TRAINING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"


class TrainingSession(QObject):
    """Runs the training core in a worker thread and keeps every run's settings, history and final weights.

    Signals:
        configured(dict): new model, data or compile settings (the compile settings are passed).
        starting(): a fit call is about to start on `model` (before its thread: stop other work on the model).
        run_started(TrainingRun), run_finished(TrainingRun): a fit call begins / ends (also on Continue).
        batch_end({"run_id", "epoch", "batch", "steps", "logs"}): the latest batch, a few dozen times a second
            at most (coalesced by the worker).
        epoch_end({"run_id", "epoch", "logs"}): every epoch, in order.
        failed({"run_id", "error", "traceback"}): an exception inside training, already caught.
        state_changed(str): "idle", "running", "paused" or "stopping".
        diagnosis_changed(list[Diagnosis]): after every epoch and at the end of a run.
    """

    configured = Signal(object)
    starting = Signal()
    run_started = Signal(object)
    run_finished = Signal(object)
    batch_end = Signal(object)
    epoch_end = Signal(object)
    failed = Signal(object)
    state_changed = Signal(str)
    diagnosis_changed = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.runs: list[TrainingRun] = []
        self.model = None
        self.data = None
        self.compile_settings: dict | None = None
        self.feed = None  # how the data reaches the model's inputs and outputs (`ModelFeed`), None: as it is
        self._build_model: Callable | None = None
        self._worker: TrainingWorker | None = None
        self._thread: QThread | None = None
        self._active_run: TrainingRun | None = None
        self._backend = None  # the current run's backend (a Keras one keeps its model for Continue)
        self._state = IDLE
        self.extra_callbacks: list = []  # callbacks (of the backend's library) added to every fit (tests, tools)

    # -- setup ---------------------------------------------------------------------------------
    def configure(self, build_model: Callable[[], object], data, compile_settings: dict, feed=None) -> None:
        """`build_model()` returns a fresh, uncompiled engine model; `data` is a `PreparedData`; `feed` (a
        `ModelFeed`) cuts it for a model with several inputs or outputs."""
        if self.is_running:
            raise RuntimeError("Cannot change the model or data while training runs; stop it first.")
        self._build_model = build_model
        self.data = data
        self.compile_settings = compile_settings
        self.feed = feed
        self.configured.emit(compile_settings)

    def set_feed(self, feed) -> None:
        """New bindings of the same data and model (the next run takes them; nothing else changes)."""
        if self.is_running:
            raise RuntimeError("Cannot change the data's bindings while training runs; stop it first.")
        self.feed = feed

    @property
    def training_data(self):
        """The data with targets encoded for the compiled losses (one-hot for categorical cross-entropy...) and
        cut for the model's inputs and outputs: what `fit` sees, and what an evaluation of the session's model
        should use."""
        if self.data is None or self.compile_settings is None:
            return self.data
        if self.feed is not None:
            return self.feed.apply(self.data, self.compile_settings)
        return self.data.for_loss(self.compile_settings["loss"])

    @property
    def state(self) -> str:
        return self._state

    @property
    def is_running(self) -> bool:
        return self._thread is not None

    @property
    def current_run(self) -> TrainingRun | None:
        return self.runs[-1] if self.runs else None

    @property
    def can_continue(self) -> bool:
        return not self.is_running and self.model is not None and self.current_run is not None

    # -- actions -------------------------------------------------------------------------------
    def train(self, settings: TrainingSettings) -> TrainingRun:
        """A new run on a freshly built and compiled model."""
        if self.is_running:
            raise RuntimeError("Training is already running.")
        if self._build_model is None or self.data is None or self.compile_settings is None:
            raise RuntimeError("Nothing to train: give the session a model, data and compile settings first.")
        settings.validate()
        backend = backend_for(settings.backend, self.compile_settings)  # says what to install when it cannot
        model = self._build_model()
        model.compile(**build_compile_args(self.compile_settings))
        self.model = model
        self._backend = backend
        run = new_run(self.runs, self.compile_settings, settings)
        self.runs.append(run)
        self._start(run, settings, None)
        return run

    def continue_training(self, more_epochs: int) -> TrainingRun:
        """More epochs of the last run on the same model: weights and optimizer state carry on."""
        if not self.can_continue:
            raise RuntimeError("There is no finished run to continue." if not self.is_running
                               else "Training is already running.")
        run = self.current_run
        settings = TrainingSettings.from_dict(run.settings)
        if self._backend is None or self._backend.name != settings.backend:  # a reopened run: its own backend
            self._backend = backend_for(settings.backend, run.compile_settings or self.compile_settings)
        self._start(run, settings, int(more_epochs))
        return run

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._set_state(STOPPING)

    def pause(self) -> None:
        """Ask the worker to wait before its next batch; `state_changed("paused")` once it does."""
        if self._worker is not None and self._state == TRAINING:
            self._worker.pause()

    def resume(self) -> None:
        if self._worker is not None and self._state in (TRAINING, PAUSED):
            self._worker.resume()
            self._set_state(TRAINING)

    def _on_paused(self) -> None:
        if self._state == TRAINING:
            self._set_state(PAUSED)

    def _on_resumed(self) -> None:
        if self._state == PAUSED:
            self._set_state(TRAINING)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the worker thread ends (for shutdown and tests); True if it did."""
        thread = self._thread
        return True if thread is None else thread.wait(msecs)

    # -- persistence ---------------------------------------------------------------------------
    def runs_to_dicts(self, include_weights: bool = True) -> list[dict]:
        return [r.to_dict(include_weights) for r in self.runs]

    def restore_runs(self, runs: list[dict]) -> str | None:
        """Runs saved in a project. The last one's weights go onto a fresh model when there is a factory, so
        that it can be evaluated and continued; returns why they could not (the runs are kept either way)."""
        self.runs = [TrainingRun.from_dict(d) for d in runs]
        self.model = None
        self._backend = None
        last = self.current_run
        if last is None or last.weights is None or self._build_model is None:
            return None
        if not all_finite(last.weights):  # written before the studio kept the last finite weights
            return (f"The weights of run {last.run_id} hold NaN or infinite values: they cannot be evaluated, "
                    "continued or exported. Train again, with a lower learning rate.")
        try:
            model = self._build_model()
            model.compile(**build_compile_args(last.compile_settings or self.compile_settings))
            model.set_weights(last.weights)
        except Exception as e:  # a graph edited since the run: its weights no longer fit
            return f"The weights of run {last.run_id} do not fit the current model: {e}"
        self.model = model
        return None

    # -- the thread ----------------------------------------------------------------------------
    def _start(self, run: TrainingRun, settings: TrainingSettings, more_epochs: int | None) -> None:
        self.starting.emit()
        initial_epoch, epochs = begin_segment(run, more_epochs)
        trainer = Trainer(self.model, self.training_data, settings, initial_epoch, epochs,
                          callbacks=list(self.extra_callbacks), backend=self._backend)
        worker = TrainingWorker(trainer)
        # Bound methods of this QObject, so that Qt queues the calls into the GUI thread (a lambda would run
        # in the worker thread).
        worker.progress.connect(self._on_progress)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        worker.paused.connect(self._on_paused)
        worker.resumed.connect(self._on_resumed)
        self._active_run = run
        self._worker = worker
        self._thread = worker.start()
        self._set_state(TRAINING)
        self.run_started.emit(run)

    def _on_progress(self, update: dict) -> None:
        run = self._active_run
        epochs = update.get("epochs", [])
        for epoch in epochs:
            run.add_epoch(epoch["logs"])
            self.epoch_end.emit({"run_id": run.run_id, "epoch": run.epochs_done - 1, "logs": dict(epoch["logs"])})
        if "batch" in update:
            self.batch_end.emit({"run_id": run.run_id, **update["batch"]})
        if epochs:
            self.diagnosis_changed.emit(diagnose_run(run))

    def _on_failed(self, info: dict) -> None:
        self.failed.emit({"run_id": self._active_run.run_id, **info})

    def _on_finished(self, outcome: Outcome) -> None:
        run, thread, worker = self._active_run, self._thread, self._worker
        self._worker, self._thread = None, None
        if thread is not None:
            thread.quit()
            thread.wait()  # the worker has emitted its last signal: only returning from `run` is left
        del worker  # freed only now that its thread has ended
        end_segment(run, outcome)
        self._set_state(IDLE)
        self.diagnosis_changed.emit(diagnose_run(run))
        self.run_finished.emit(run)

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)
