"""The training worker: a `Trainer` (studio/training/core.py) run on a QThread, reporting through Qt signals.

Thin on purpose: the rules of a run are the core's. The worker only turns the trainer's reports into signals,
coalesced (`ProgressCoalescer`: a few dozen updates a second at most, the latest batch state wins, every epoch
is kept) so that a fast trainer cannot flood the GUI's event loop. A worker busy in `fit` has no event loop of
its own, so stop and pause are the trainer's thread-safe flags. Signals carry fresh objects (`Signal(object)`:
Qt would copy a `dict` into a QVariantMap).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal, Slot

from studio.background import start_in_thread
from studio.training.core import Listener, Trainer
from studio.training.progress import ProgressCoalescer
from studio.training.run import ERROR


class TrainingWorker(QObject):
    """Runs one `Trainer`. `start()` moves it to a new QThread and returns the thread.

    Signals:
        progress: {"batch": the latest {"epoch", "batch", "steps", "logs"}, "epochs": [{"epoch", "logs"}, ...]},
            either key left out when it has nothing new; coalesced; the last one is sent before `finished`.
        paused / resumed: the trainer is waiting between batches / going on.
        failed: {"error", "traceback"} when an exception escaped `fit`.
        finished: the trainer's `Outcome`, always, last.
    """

    progress = Signal(object)
    paused = Signal()
    resumed = Signal()
    failed = Signal(object)
    finished = Signal(object)

    def __init__(self, trainer: Trainer):
        super().__init__()
        self.trainer = trainer
        self._coalescer = ProgressCoalescer(self.progress.emit)
        trainer.listener = Listener(batch=lambda info: self._coalescer.set("batch", info),
                                    epoch=lambda epoch, logs: self._coalescer.append("epochs", {"epoch": epoch,
                                                                                               "logs": logs}),
                                    paused=self._on_pause, resumed=self.resumed.emit)

    # -- control, from any thread --------------------------------------------------------------
    def stop(self) -> None:
        self.trainer.control.stop()

    def pause(self) -> None:
        self.trainer.control.pause()

    def resume(self) -> None:
        self.trainer.control.resume()

    def start(self) -> QThread:
        return start_in_thread(self, self.run, self.finished)

    # -- the work, in the worker thread --------------------------------------------------------
    @Slot()
    def run(self) -> None:
        outcome = self.trainer.fit()
        self._coalescer.flush()
        if outcome.status == ERROR and outcome.traceback:
            self.failed.emit({"error": outcome.message, "traceback": outcome.traceback})
        self.finished.emit(outcome)

    def _on_pause(self) -> None:
        self._coalescer.flush()  # the user sees where training waits
        self.paused.emit()
