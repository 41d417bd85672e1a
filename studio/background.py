"""Work on a QThread, the one way the studio does it: reading a CSV, evaluating, exporting, training.

`start_in_thread` wires a worker QObject to a new thread as superqt does (`started -> run`, the worker's last
signal -> `quit`); `BackgroundTask` runs a function `work(progress)` with that wiring, reports progress coalesced
as training does (`ProgressCoalescer`), and can be cancelled. The training worker (studio/training/worker.py) uses
`start_in_thread` too. QtCore only.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from studio.training.progress import ProgressCoalescer

# Seconds a thread waiting for the GIL waits before it asks the running one to drop it (Python's default: 5 ms).
# Painting a plot calls back into Python dozens of times; behind a worker running Python (training at batch size 1)
# each call waited up to 5 ms, so a 9 ms paint took 70-90 ms. On a quiet machine the plots' hundreds of callbacks
# per paint still starved the window at 0.5 ms (ticks 0.5-1.6 s apart at batch size 1); at 0.1 ms the longest gap
# is 50-90 ms (training 2.0 s instead of 1.4 s, the GUI drawing meanwhile). It costs nothing while the GUI thread is
# idle: only a waiting thread asks.
GIL_SWITCH_INTERVAL = 0.0001

# Every thread started here with its worker, kept until the thread has ended: a worker freed while its `run`
# executes (its owner garbage-collected mid-task, such as a dialog closed while it reads a file) crashes Python.
_started: list[tuple[QThread, QObject]] = []


def start_in_thread(worker: QObject, run: Callable, *last_signals) -> QThread:
    """Move `worker` to a new QThread, connect `started` to `run` and each of `last_signals` (the worker emits one
    of them last) to `quit`, start the thread and return it.

    No `deleteLater`: the caller keeps Python references to both objects until it has waited for the thread, and
    Python frees them after (freeing a QObject whose `run` still executes on another thread crashes). From the
    first worker on, the GUI thread gets the GIL back within GIL_SWITCH_INTERVAL.
    """
    if sys.getswitchinterval() > GIL_SWITCH_INTERVAL:
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    thread = QThread()
    worker.moveToThread(thread)
    thread.started.connect(run)
    for signal in last_signals:
        # Direct: `quit` is thread-safe, and a queued call could wait for a GUI event loop blocked in `wait`.
        signal.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    _started[:] = [(t, w) for t, w in _started if not t.isFinished()]  # ended threads and workers are freed
    _started.append((thread, worker))
    thread.start()
    return thread


def running_threads() -> list[QThread]:
    """Threads started here that still run (tests assert that none is left)."""
    _started[:] = [(t, w) for t, w in _started if not t.isFinished()]
    return [t for t, _ in _started if t.isRunning()]


class Cancelled(Exception):
    """The user closed the dialog or chose another file while it was being read."""


class _Job(QObject):
    """Signals carry the job's token, so that late signals of a cancelled job are recognized and dropped."""

    progress = Signal(object)
    done = Signal(object)
    failed = Signal(object)

    def __init__(self, work: Callable, cancel: threading.Event, token: int):
        super().__init__()
        self.work = work
        self.cancel = cancel
        self.token = token
        self._progress = ProgressCoalescer(lambda update: self.progress.emit((self.token, update["fraction"])))

    def report(self, fraction: float) -> None:
        if self.cancel.is_set():
            raise Cancelled
        self._progress.set("fraction", float(fraction))

    @Slot()
    def run(self) -> None:
        try:
            result = self.work(self.report)
            self._progress.flush()
        except Cancelled:
            self.failed.emit((self.token, ""))
            return
        except Exception as e:  # shown to the user: a bad file must never take the app down
            self.failed.emit((self.token, str(e) if isinstance(e, ValueError) else f"{type(e).__name__}: {e}"))
            return
        self.done.emit((self.token, result))


class BackgroundTask(QObject):
    """Runs `work(progress)` on a thread; one at a time. Signals progress(float), done(object), failed(str).

    `failed` carries "" when the task was cancelled.
    """

    progress = Signal(float)
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._job: _Job | None = None
        self._cancel = threading.Event()
        self._token = 0

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, work: Callable) -> None:
        self.cancel()
        self._cancel = threading.Event()
        self._token += 1
        job = _Job(work, self._cancel, self._token)
        job.progress.connect(self._on_progress)
        job.done.connect(self._on_done)
        job.failed.connect(self._on_failed)
        self._job = job
        self._thread = start_in_thread(job, job.run, job.done, job.failed)

    def cancel(self) -> None:
        """Stop the running task (at its next progress report) and wait for its thread."""
        if self._thread is not None:
            self._cancel.set()
            self._finish()

    def wait(self) -> None:
        """Block until the running task has ended (its result still arrives as a signal)."""
        if self._thread is not None:
            self._thread.wait()

    def _finish(self) -> None:
        # The job is kept alive until its thread has ended: freeing a QObject whose `run` is still executing
        # on another thread crashes (a cancel while the file is being read).
        thread, job = self._thread, self._job
        self._thread, self._job = None, None
        if thread is not None:
            thread.quit()
            thread.wait()
        del job

    def _current(self, token: int) -> bool:
        return self._job is not None and token == self._token

    def _on_progress(self, info: tuple) -> None:
        if self._current(info[0]):
            self.progress.emit(info[1])

    def _on_done(self, info: tuple) -> None:
        if self._current(info[0]):
            self._finish()
            self.done.emit(info[1])

    def _on_failed(self, info: tuple) -> None:
        if self._current(info[0]):
            self._finish()
            self.failed.emit(info[1])
