"""Bad training through the panel: a loss that becomes infinite/NaN, and an exception inside the worker.
Each gives a clear message, the run ends cleanly, the last good weights are kept, and training can go on."""

import numpy as np
from PySide6.QtCore import Qt

import engine
from studio.data import DataSpec, prepare, read_csv
from studio.training.compile_settings import default_settings
from studio.training.session import TrainingSession
from studio.ui.training import TrainingPanel


def regression_data():
    spec = DataSpec.from_table(read_csv("studio/assets/data/synthetic_monthly_series.csv"))
    spec.split.shuffle = False
    return prepare(spec)


def make_panel(qtbot, build, data, settings):
    session = TrainingSession()
    session.configure(build, data, settings)
    panel = TrainingPanel(session)
    qtbot.addWidget(panel)
    panel.show()
    return session, panel


def test_exploding_loss_stops_with_a_message_and_finite_weights(qtbot):
    data = regression_data()
    settings = default_settings("regression")
    settings["optimizer"] = {"name": "sgd", "config": {"learning_rate": 1e4, "momentum": 0.0, "nesterov": False}}

    def build():
        return engine.Sequential([engine.layers.Input(data.input_shape), engine.layers.Dense(8, activation="relu"),
                                  engine.layers.Dense(1)])

    session, panel = make_panel(qtbot, build, data, settings)
    panel.epochs_spin.setValue(50)
    with qtbot.waitSignal(session.run_finished, timeout=20000) as blocker:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    run = blocker.args[0]
    assert run.status == "nan", run.message
    assert "the last weights that gave a finite loss were kept" in run.message
    assert all(np.isfinite(w).all() for w in run.weights)
    assert all(np.isfinite(w).all() for w in session.model.get_weights())
    assert "became" in panel.diagnosis_label.text() and "Lower the learning rate" in panel.diagnosis_label.text()
    assert "the last weights that gave a finite loss were kept" in panel.status_label.text()
    # Non-finite points are left out of the curves rather than plotted.
    assert panel.curves.point_count("loss") == sum(np.isfinite(run.history["loss"]))
    assert panel.train_button.isEnabled() and panel.continue_button.isEnabled()


def test_exception_inside_the_worker_is_shown_and_the_panel_recovers(qtbot):
    data = regression_data()
    settings = default_settings("regression")

    def wrong_input():  # 3 inputs for 5 features: fit raises inside the worker
        return engine.Sequential([engine.layers.Input((3,)), engine.layers.Dense(1)])

    session, panel = make_panel(qtbot, wrong_input, data, settings)
    errors = []
    session.failed.connect(errors.append)
    with qtbot.waitSignal(session.run_finished, timeout=20000) as blocker:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].status == "error"
    assert errors and panel.status_label.text().startswith("Run 1: Training failed: ValueError: Input 0 of layer")
    assert "Traceback" in panel.status_label.toolTip()
    assert not session.is_running and panel.train_button.isEnabled()

    def right_input():
        return engine.Sequential([engine.layers.Input(data.input_shape), engine.layers.Dense(1)])

    session.configure(right_input, data, settings)
    panel.epochs_spin.setValue(2)
    with qtbot.waitSignal(session.run_finished, timeout=20000) as blocker:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].status == "finished" and len(session.runs) == 2


def test_panel_proposes_settings_and_monitors_from_the_data(qtbot):
    data = regression_data()
    settings = default_settings("regression")
    settings["metrics"] = ["mae", "mse"]

    def build():
        return engine.Sequential([engine.layers.Input(data.input_shape), engine.layers.Dense(1)])

    session, panel = make_panel(qtbot, build, data, settings)
    assert (panel.epochs_spin.value(), panel.batch_spin.value()) == (100, 16)  # 182 training rows
    monitors = [panel.monitor_combo.itemText(i) for i in range(panel.monitor_combo.count())]
    assert monitors == ["val_loss", "loss", "val_mae", "mae", "val_mse", "mse"]
    assert set(panel.curves.plots) == {"loss", "mae", "mse"}
