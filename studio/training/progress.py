"""Coalesced progress: reports gathered in a worker thread and passed on at most a few dozen times a second, so that
a fast worker (training at batch size 1) cannot flood the GUI's event loop. Plain Python.

A value `set` under a key replaces the one pending (the latest batch, the fraction of a file read); items `append`ed
under a key are all kept (every epoch, so that each epoch's point still reaches the curves).
"""

from __future__ import annotations

import time
from collections.abc import Callable

UPDATE_INTERVAL = 0.04  # seconds: at most 25 updates a second


class ProgressCoalescer:
    """Calls `send(update)` with a fresh dict of what is pending — `{key: latest value}` for `set`, `{key: [items]}`
    for `append` — no more often than every `interval` seconds. The first report is sent at once; `flush()` sends
    what is pending (at the end of the work, before a pause)."""

    def __init__(self, send: Callable[[dict], None], interval: float = UPDATE_INTERVAL,
                 clock: Callable[[], float] = time.monotonic):
        self._send = send
        self._interval = interval
        self._clock = clock
        self._last = -float("inf")
        self._pending: dict = {}

    def set(self, key: str, value) -> None:
        self._pending[key] = value
        self._maybe_send()

    def append(self, key: str, item) -> None:
        self._pending.setdefault(key, []).append(item)
        self._maybe_send()

    def flush(self) -> None:
        if not self._pending:
            return
        update, self._pending = self._pending, {}
        self._last = self._clock()
        self._send(update)

    def _maybe_send(self) -> None:
        if self._clock() - self._last >= self._interval:
            self.flush()
