"""Pieces the training-throughput benchmarks share: per-batch timing, the timed engine fit, a profile."""

from __future__ import annotations

import cProfile
import pstats
import time


def batch_timer(base):
    """A callback (subclass of the framework's `Callback`) recording the wall time of every training batch."""
    class BatchTimer(base):
        def __init__(self):
            super().__init__()
            self.times: list[float] = []

        def on_train_batch_begin(self, batch, logs=None):
            self._start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.times.append(time.perf_counter() - self._start)
    return BatchTimer()


def time_engine_fit(model, x, y, epochs: int, batch: int) -> dict:
    """A warm-up fit on two batches, then `epochs` timed epochs: the total and every batch's time."""
    import engine
    model.fit(x[:batch * 2], y[:batch * 2], batch_size=batch, epochs=1, verbose=0)
    timer = batch_timer(engine.callbacks.Callback)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, shuffle=True, callbacks=[timer])
    return {"total": time.perf_counter() - start, "batches": timer.times}


def profile_engine_fit(model, x, y, epochs: int, batch: int, top: int = 25) -> None:
    """Where our engine's training time goes, by own time."""
    model.fit(x[:batch * 2], y[:batch * 2], batch_size=batch, epochs=1, verbose=0)
    profiler = cProfile.Profile()
    profiler.enable()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)
