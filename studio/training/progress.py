"""Coalesced training progress: per-batch and per-epoch reports gathered in the training thread and passed on at
most a few dozen times a second, so that a fast trainer (batch size 1) cannot flood the GUI's event loop.

The latest batch state wins; every epoch is kept, so each epoch's point still reaches the curves. Plain Python.
"""

from __future__ import annotations

import time
from collections.abc import Callable

UPDATE_INTERVAL = 0.04  # seconds: at most 25 updates a second


class ProgressCoalescer:
    """`batch(info)` and `epoch(epoch, logs)` from the trainer; `send({"batch": info or None, "epochs": [{"epoch",
    "logs"}, ...]})` no more often than every `interval` seconds, each time with a fresh dict. The first report
    is sent at once; `flush()` sends what is pending (at the end of a run, before a pause)."""

    def __init__(self, send: Callable[[dict], None], interval: float = UPDATE_INTERVAL,
                 clock: Callable[[], float] = time.monotonic):
        self._send = send
        self._interval = interval
        self._clock = clock
        self._last = -float("inf")
        self._batch: dict | None = None
        self._epochs: list[dict] = []

    def batch(self, info: dict) -> None:
        self._batch = info
        self._maybe_send()

    def epoch(self, epoch: int, logs: dict) -> None:
        self._epochs.append({"epoch": epoch, "logs": dict(logs)})
        self._maybe_send()

    def flush(self) -> None:
        if self._batch is None and not self._epochs:
            return
        update = {"batch": self._batch, "epochs": self._epochs}
        self._batch, self._epochs = None, []
        self._last = self._clock()
        self._send(update)

    def _maybe_send(self) -> None:
        if self._clock() - self._last >= self._interval:
            self.flush()
