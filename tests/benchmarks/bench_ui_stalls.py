"""UI event-loop stalls while the reference MLP (784-256-128-10, RMSprop, batch 128, 8,192 random samples) trains
in the worker thread, with the training panel showing progress and live curves.

A QTimer fires every 5 ms on the GUI thread and records the gaps between its ticks; a gap well above 5 ms is a
stall the user would feel. Target: the longest stall well under 100 ms.

Run: python tests/benchmarks/bench_ui_stalls.py [--epochs 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

import numpy as np  # noqa: E402

SAMPLES, FEATURES, CLASSES, BATCH = 8192, 784, 10, 128
TICK_MS = 5


class _Data:
    """The bits of PreparedData the session reads."""

    def __init__(self, x, y, vx, vy):
        from types import SimpleNamespace

        self.train = SimpleNamespace(x=x, y=y)
        self.validation = SimpleNamespace(x=vx, y=vy)

    def for_loss(self, loss: str):
        return self  # integer labels already, as sparse categorical cross-entropy wants


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("-v", action="store_true", help="list the stalls and the training events")
    parser.add_argument("--no-panel", action="store_true", help="train without the panel (the worker alone)")
    parser.add_argument("--switch-interval", type=float, default=None,
                        help="sys.setswitchinterval in seconds for the whole run (default: leave Python's)")
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)

    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])  # noqa: F841  (kept alive for the run)
    import engine
    from engine import layers
    from studio.training.run import TrainingSettings
    from studio.training.session import TrainingSession
    from studio.ui.training import TrainingPanel

    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype("float32")
    y = rng.integers(0, CLASSES, SAMPLES)
    data = _Data(x, y, x[:1024], y[:1024])

    def build():
        return engine.Sequential([engine.Input((FEATURES,)), layers.Dense(256, activation="relu"),
                                  layers.Dense(128, activation="relu"), layers.Dense(CLASSES, activation="softmax")])

    settings = {"optimizer": {"name": "rmsprop", "config": {}}, "loss": "sparse_categorical_crossentropy",
                "metrics": ["accuracy"]}
    session = TrainingSession()
    session.configure(build, data, settings)
    if not args.no_panel:
        panel = TrainingPanel(session)
        panel.resize(1200, 700)
        panel.show()
    settle = QEventLoop()  # the panel is on screen before Train is clicked, as in the app
    QTimer.singleShot(300, settle.quit)
    settle.exec()

    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    stalls: list[tuple[float, float]] = []  # (when, in ms since the timer started; gap)

    def tick():
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        if gaps[-1] > 50:
            stalls.append((now / 1e6, gaps[-1]))
        last[0] = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    batches = []
    events: list[tuple[float, str]] = []
    session.batch_end.connect(lambda info: batches.append(info))
    session.epoch_end.connect(lambda info: events.append((clock.nsecsElapsed() / 1e6, f"epoch {info['epoch']} end")))
    session.run_started.connect(lambda run: events.append((clock.nsecsElapsed() / 1e6, "run started")))
    loop = QEventLoop()
    session.run_finished.connect(lambda run: loop.quit())
    timer.start()
    start = time.perf_counter()
    session.train(TrainingSettings(epochs=args.epochs, batch_size=BATCH))
    loop.exec()
    elapsed = time.perf_counter() - start
    timer.stop()
    session.wait()

    g = np.asarray(gaps[1:])
    run = session.current_run
    print(f"trained {run.epochs_done} epochs, {len(batches)} batches in {elapsed:.2f} s "
          f"({SAMPLES * run.epochs_done / elapsed:,.0f} samples/s)" + ("" if args.no_panel else " with the panel live"))
    print(f"timer ticks: {len(g)} (every {TICK_MS} ms asked)")
    print(f"longest stall: {g.max():.1f} ms; 99th percentile gap {np.percentile(g, 99):.1f} ms; "
          f"median {np.median(g):.1f} ms; gaps over 50 ms: {int((g > 50).sum())}")
    if "-v" in sys.argv:
        print("stalls (end time ms, length ms):", [(round(a), round(b)) for a, b in stalls])
        print("events:", [(round(a), e) for a, e in events])


if __name__ == "__main__":
    main()
