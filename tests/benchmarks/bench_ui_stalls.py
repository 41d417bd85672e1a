"""UI event-loop stalls while a model trains in the worker thread with the training panel live (progress and curves),
at batch sizes 1, 16 and 128, for the reference MLP (784-256-128-10, RMSprop, random samples) and the CNN example
(its graph from studio/assets/examples/cnn.lsproj; its own data when the example has some, else random 28x28x1
images in 10 classes).

A QTimer fires every 5 ms on the GUI thread and records the gaps between its ticks; a gap well above 5 ms is a
stall the user would feel. Each run trains for --seconds, then Stop is pressed: the time until the run has ended
and the batches trained after the press are reported too. Target: the longest stall well under 100 ms, Stop
within one batch, and one curve point per epoch.

Run: python tests/benchmarks/bench_ui_stalls.py [--models mlp,cnn] [--batch-sizes 1,16,128] [--seconds 5] [-v]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

import numpy as np  # noqa: E402

TICK_MS = 5
ROWS_PER_BATCH = 256  # rows per epoch = min(model's samples, 256 x batch size): epochs end even at batch size 1
SETTINGS = {"optimizer": {"name": "rmsprop", "config": {}}, "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"]}


class _Data:
    """The bits of PreparedData the session reads."""

    def __init__(self, x, y, vx, vy):
        from types import SimpleNamespace

        self.train = SimpleNamespace(x=x, y=y)
        self.validation = SimpleNamespace(x=vx, y=vy)

    def for_loss(self, loss: str):
        return self  # integer labels already, as sparse categorical cross-entropy wants


def mlp_case(rng):
    import engine
    from engine import layers

    x = rng.normal(size=(8192, 784)).astype("float32")
    y = rng.integers(0, 10, len(x))

    def build():
        return engine.Sequential([engine.Input((784,)), layers.Dense(256, activation="relu"),
                                  layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax")])

    return "MLP 784-256-128-10 (random)", build, x, y, SETTINGS


def cnn_case(rng):
    from studio.document.build import build_model
    from studio.document.examples import example_path
    from studio.document.project import load_project

    project = load_project(example_path("cnn"))
    graph = project.graph
    settings = project.compile or SETTINGS
    if project.data:
        from studio.headless import prepared_data

        data = prepared_data(project).for_loss(settings["loss"])
        return "CNN example (its data)", lambda: build_model(graph), data.train.x, data.train.y, settings
    x = rng.random(size=(2048, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, len(x))
    return "CNN example (no data in the example yet: random 28x28x1 images)", lambda: build_model(graph), x, y, \
        settings


CASES = {"mlp": mlp_case, "cnn": cnn_case}


def measure(case: str, batch_size: int, seconds: float, verbose: bool) -> None:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from studio.training.run import TrainingSettings
    from studio.training.session import TrainingSession
    from studio.ui.training import TrainingPanel

    rng = np.random.default_rng(0)
    title, build, x, y, settings = CASES[case](rng)
    rows = min(len(x), ROWS_PER_BATCH * batch_size)
    data = _Data(x[:rows], y[:rows], x[:max(64, rows // 8)], y[:max(64, rows // 8)])
    session = TrainingSession()
    session.configure(build, data, settings)
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
    stalls: list[tuple[float, float]] = []

    def tick():
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        if gaps[-1] > 50:
            stalls.append((now / 1e6, gaps[-1]))
        last[0] = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    updates = []
    session.batch_end.connect(lambda info: updates.append(info))
    loop = QEventLoop()
    session.run_finished.connect(lambda run: loop.quit())
    pressed = {}

    def press_stop():
        pressed["at"] = time.perf_counter()
        pressed["steps"] = int(np.asarray(session.model.optimizer.iterations.value))
        panel.stop_button.click()

    QTimer.singleShot(int(seconds * 1000), press_stop)
    timer.start()
    start = time.perf_counter()
    session.train(TrainingSettings(epochs=100_000, batch_size=batch_size))
    loop.exec()
    end = time.perf_counter()
    timer.stop()
    session.wait()

    run = session.current_run
    steps = int(np.asarray(session.model.optimizer.iterations.value))
    g = np.asarray(gaps[1:])
    drawn = panel.curves.point_count("loss"), panel.curves.point_count("val_accuracy")
    print(f"{title}, batch size {batch_size}, {rows} rows an epoch:")
    print(f"  trained {steps} batches ({steps / (pressed['at'] - start):,.0f}/s), {run.epochs_done} epochs "
          f"in {pressed['at'] - start:.1f} s; {len(updates)} progress updates reached the panel "
          f"({len(updates) / (end - start):.0f}/s)")
    print(f"  timer ticks: {len(g)} (every {TICK_MS} ms asked); longest stall {g.max():.1f} ms; 99th percentile "
          f"{np.percentile(g, 99):.1f} ms; median {np.median(g):.1f} ms; gaps over 50 ms: {int((g > 50).sum())}")
    print(f"  Stop: run ended {1000 * (end - pressed['at']):.0f} ms after the press, {steps - pressed['steps']} "
          f"batch(es) after it; curves show {drawn[0]} loss / {drawn[1]} val_accuracy points for "
          f"{run.epochs_done} epochs")
    if verbose:
        print("  stalls (end time ms, length ms):", [(round(a), round(b)) for a, b in stalls])
    panel.close()
    panel.deleteLater()
    session.deleteLater()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="mlp,cnn", help="comma-separated: mlp, cnn")
    parser.add_argument("--batch-sizes", default="1,16,128")
    parser.add_argument("--seconds", type=float, default=5.0, help="training time before Stop is pressed")
    parser.add_argument("-v", action="store_true", help="list the stalls")
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])  # noqa: F841  (kept alive for the runs)
    for case in args.models.split(","):
        for batch_size in (int(b) for b in args.batch_sizes.split(",")):
            measure(case.strip(), batch_size, args.seconds, args.v)


if __name__ == "__main__":
    main()
