"""Training at batch size 1 with the panel live: the GUI's timers keep ticking, every epoch's point is drawn, and
Stop acts within one batch. (Per-batch signals once flooded the event loop: 4-12 s between 50 ms ticks, curves
frozen, Stop 3-12 s late.)"""

from types import SimpleNamespace

import numpy as np
from PySide6.QtCore import QElapsedTimer, Qt, QTimer

import engine
from studio.training.session import TrainingSession
from studio.ui.training import TrainingPanel

TICK_MS = 20
# The largest gap between two ticks; well under 100 ms on a quiet machine. Generous: the test machine is shared
# and loaded (8 busy processes on 2 cores stretch a 10 ms paint to 100-300 ms), while the flood this guards
# against made gaps of several seconds.
LONGEST_GAP_MS = 1000
EPOCHS = 10
ROWS = 240  # 2,400 steps at batch size 1: long enough (>1 s on a quiet machine) for the timer to see curves move


class Part(SimpleNamespace):
    """x and y of one part, and its length (what the session reads of a Part)."""

    def __len__(self) -> int:
        return len(self.x)


class Data:
    """A small 3-class table with a validation part (what the session reads of PreparedData)."""

    def __init__(self, rows=48):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(rows + 8, 4)).astype("float32")
        y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5)
        self.train = Part(x=x[:rows], y=y[:rows])
        self.validation = Part(x=x[rows:], y=y[rows:])

    def for_loss(self, loss):
        return self


def build():
    return engine.Sequential([engine.layers.Input((4,)), engine.layers.Dense(8, activation="relu"),
                              engine.layers.Dense(3, activation="softmax")])


def steps(model) -> int:
    return int(np.asarray(model.optimizer.iterations.value))


def compile_kernels() -> None:
    """Train the model once outside the window, so that Numba's one-time compile of the engine's kernels (about
    a second, holding the GIL, on a fresh install's empty cache; engine/kernels) is not what the timer measures."""
    model = build()
    model.compile(optimizer=engine.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    data = Data(8)
    model.fit(data.train.x, data.train.y, batch_size=1, epochs=1, verbose=0,
              validation_data=(data.validation.x, data.validation.y))


def panel_for(qtbot, rows=48):
    session = TrainingSession()
    session.configure(build, Data(rows), {"optimizer": {"name": "adam", "config": {"learning_rate": 0.01}},
                                      "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]})
    panel = TrainingPanel(session)
    qtbot.addWidget(panel)
    panel.resize(1000, 600)
    panel.show()
    qtbot.waitExposed(panel)
    return session, panel


def test_timers_keep_ticking_and_every_epoch_is_drawn_at_batch_size_1(qtbot):
    compile_kernels()
    session, panel = panel_for(qtbot, ROWS)
    panel.epochs_spin.setValue(EPOCHS)
    panel.batch_spin.setValue(1)
    keys = ("loss", "val_loss", "accuracy", "val_accuracy")
    gaps, drawn, epochs = [], {k: 0 for k in keys}, []
    clock = QElapsedTimer()
    last = [0]

    def tick():
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now
        if session.is_running:  # what the user sees while it trains
            for key in keys:
                drawn[key] = max(drawn[key], panel.curves.point_count(key))

    session.epoch_end.connect(lambda info: epochs.append(info["epoch"]))
    updates = []
    session.batch_end.connect(updates.append)
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    with qtbot.waitSignal(session.run_finished, timeout=60000) as blocker:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
        clock.start()
        timer.start()
    timer.stop()
    seconds = clock.elapsed() / 1000
    run = blocker.args[0]
    assert run.status == "finished" and run.epochs_done == EPOCHS
    assert epochs == list(range(EPOCHS))  # coalescing drops batches, never an epoch
    assert len(updates) <= 25 * seconds + 2 < EPOCHS * ROWS, f"{len(updates)} progress updates in {seconds:.1f} s"
    assert max(gaps) < LONGEST_GAP_MS, f"the GUI thread stalled for {max(gaps)} ms (gaps: {sorted(gaps)[-5:]})"
    # The curves moved while training ran, accuracy too (it once stayed empty through a 300-epoch run) ...
    assert all(drawn[k] >= EPOCHS // 2 for k in keys), drawn
    # ... and at the end every epoch has its point on every curve.
    assert all(panel.curves.point_count(k) == EPOCHS for k in keys)
    assert f"{EPOCHS} epochs" in panel.progress.format()


def test_stop_acts_within_one_batch(qtbot):
    session, panel = panel_for(qtbot)
    panel.epochs_spin.setValue(10_000)
    panel.batch_spin.setValue(1)
    at_press = []

    def press_stop(info):
        if not at_press and panel.stop_button.isEnabled():
            qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
            at_press.append(steps(session.model))  # read after the flag is set: at most the batch in hand follows

    session.batch_end.connect(press_stop)
    with qtbot.waitSignal(session.run_finished, timeout=60000) as blocker:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].status == "stopped"
    assert steps(session.model) <= at_press[0] + 1
    assert "stopped" in panel.status_label.text().lower() and panel.train_button.isEnabled()
