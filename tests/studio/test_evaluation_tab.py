"""The Evaluation tab as a user meets it: what is shown always belongs to one thing (an evaluated part, or a
predicted file, named with the run whose model made it), buttons that cannot act while a worker runs are disabled
until it finishes, fails or is cancelled, and the status bar keeps its message readable beside the data bar."""

from __future__ import annotations

import csv
import threading
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from studio.ui.evaluation import view as view_module
from studio.ui.workflow import PREDICTION_BUSY

IRIS_ROWS = ("sepal_length,sepal_width,petal_length,petal_width,species",
             "5.1,3.5,1.4,0.2,setosa", "6.7,3.1,4.4,1.4,versicolor", "6.3,3.3,6.0,2.5,virginica")


@pytest.fixture
def iris(window, qtbot, tmp_path, monkeypatch):
    """The window on the Iris example, trained 2 epochs (the run's evaluation shown), and a new CSV file."""
    monkeypatch.chdir(tmp_path)
    window.open_example("mlp")
    qtbot.waitUntil(lambda: not window.workflow.loading, timeout=10000)
    window.workflow.panel.epochs_spin.setValue(2)
    train(qtbot, window)
    tabs = window.workflow.tabs
    qtbot.mouseClick(tabs.tabBar(), Qt.MouseButton.LeftButton, pos=tabs.tabBar().tabRect(1).center())
    assert tabs.currentWidget() is window.workflow.evaluation
    (tmp_path / "new.csv").write_text("\n".join(IRIS_ROWS) + "\n")
    return window


def train(qtbot, window, action: str = "train") -> None:
    with qtbot.waitSignal(window.workflow.evaluation.evaluated, timeout=30000):
        window.actions_by_name[action].trigger()


def click(qtbot, button) -> None:
    assert button.isEnabled() and button.isVisible(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def choose_file(monkeypatch, path: str) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (path, "")))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (path, "")))


def test_a_prediction_replaces_the_evaluation_instead_of_sitting_beside_it(iris, qtbot, tmp_path, monkeypatch):
    view = iris.workflow.evaluation
    assert "Evaluated on the validation part (30 rows)" in view.heading.text()
    assert "run 1 (2 epochs)" in view.heading.text() and "accuracy = " in view.heading.text()
    assert view.plot_stack.currentWidget() is view.matrix and view.confusion.sum() == 30

    choose_file(monkeypatch, str(tmp_path / "new.csv"))
    with qtbot.waitSignal(view.predicted, timeout=20000):
        click(qtbot, view.predict_button)
    heading = view.heading.text()
    assert "Predictions for new.csv (3 rows)" in heading and "run 1" in heading and "accuracy" not in heading
    assert view.plot_stack.currentWidget() is not view.matrix and view.confusion.size == 0  # no stale matrix
    assert "new.csv" in view.plots.note.text() and view.table_caption.text().startswith("Predictions for new.csv")
    assert view.show_cell(0, 0) == []

    # Evaluate another part: the heading, matrix, table and Save all follow it.
    view.part_combo.setCurrentIndex(view.part_combo.findData("train"))
    with qtbot.waitSignal(view.evaluated, timeout=20000):
        click(qtbot, view.evaluate_button)
    assert "Evaluated on the train part (120 rows)" in view.heading.text()
    assert view.confusion.sum() == 120 and view.table.rowCount() == 120
    view.part_combo.setCurrentIndex(view.part_combo.findData("validation"))  # chosen, not evaluated
    out = tmp_path / "saved.csv"
    choose_file(monkeypatch, str(out))
    click(qtbot, view.save_button)
    assert len(list(csv.reader(out.open()))) == 1 + 120  # the shown (train) part's rows, not the chosen one's
    assert "train part" in view.message.text()

    # A new run: what belonged to run 1 is replaced by run 2's evaluation.
    train(qtbot, iris)
    assert "run 2 (2 epochs)" in view.heading.text() and "validation part" in view.heading.text()

    # Another project: nothing of this one is shown.
    iris.mark_clean()
    assert iris.open_example("lstm")
    other = iris.workflow.evaluation
    assert other.shown is None and other.table.rowCount() == 0 and other.confusion.size == 0
    assert "Train the model" in other.heading.text() and not other.save_button.isEnabled()


class HeldReading:
    """Stands in for reading a new CSV file: waits, reporting progress, until released (or cancelled)."""

    def __init__(self):
        self.release, self.started = threading.Event(), threading.Event()
        self.real = view_module.read_new_csv

    def __call__(self, path, preprocessor, progress=None):
        self.started.set()
        while not self.release.wait(0.01):
            progress(0.1)  # raises Cancelled once the user cancels
        return self.real(path, preprocessor, progress=progress)


def test_buttons_that_cannot_act_are_disabled_while_a_prediction_runs(iris, qtbot, tmp_path, monkeypatch):
    view = iris.workflow.evaluation
    held = HeldReading()
    monkeypatch.setattr(view_module, "read_new_csv", held)
    choose_file(monkeypatch, str(tmp_path / "new.csv"))
    busy = []
    view.busy_changed.connect(busy.append)
    assert not view.cancel_button.isVisible() and view.save_button.isEnabled()

    click(qtbot, view.predict_button)
    qtbot.waitUntil(held.started.is_set, timeout=5000)
    for button in (view.evaluate_button, view.predict_button, view.save_button, view.part_combo):
        assert not button.isEnabled()
    train_action = iris.actions_by_name["train"]
    assert not train_action.isEnabled() and PREDICTION_BUSY in train_action.statusTip()
    assert not iris.actions_by_name["evaluate"].isEnabled()

    click(qtbot, view.cancel_button)  # cancelled: the evaluation shown before stays, everything acts again
    assert busy == [True, False] and not view.cancel_button.isVisible() and "Cancelled" in view.message.text()
    assert "Evaluated on the validation part" in view.heading.text()
    for button in (view.evaluate_button, view.predict_button, view.save_button, view.part_combo):
        assert button.isEnabled()
    assert iris.actions_by_name["train"].isEnabled() and not iris.data_progress.isVisible()

    click(qtbot, view.predict_button)  # finished
    qtbot.waitUntil(held.started.is_set, timeout=5000)
    assert not view.save_button.isEnabled()
    with qtbot.waitSignal(view.predicted, timeout=20000):
        held.release.set()
    assert view.save_button.isEnabled() and view.evaluate_button.isEnabled() and not view.cancel_button.isVisible()

    (tmp_path / "bad.csv").write_text("sepal_length,species\n5.1,setosa\n")  # failed
    choose_file(monkeypatch, str(tmp_path / "bad.csv"))
    with qtbot.waitSignal(view.failed, timeout=20000):
        click(qtbot, view.predict_button)
    assert "sepal_width" in view.message.text()
    assert view.predict_button.isEnabled() and view.save_button.isEnabled() and not view.cancel_button.isVisible()
    assert busy == [True, False, True, False, True, False]


def test_continue_stops_a_running_evaluation_of_the_model_it_trains(iris, qtbot, monkeypatch):
    view, session = iris.workflow.evaluation, iris.workflow.session
    started = threading.Event()
    original = type(session.model).evaluate

    def held_evaluate(model, *args, callbacks=None, **kwargs):
        started.set()
        while True:  # until cancelled: each "batch" reports progress, which raises Cancelled once cancelled
            callbacks[0].progress(0.1)
            time.sleep(0.005)

    monkeypatch.setattr(type(session.model), "evaluate", held_evaluate)
    click(qtbot, view.evaluate_button)
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert view.is_busy and iris.actions_by_name["continue"].isEnabled()  # an evaluation does not block training
    monkeypatch.setattr(type(session.model), "evaluate", original)
    with qtbot.waitSignal(session.run_finished, timeout=30000):
        iris.actions_by_name["continue"].trigger()
        assert session.is_running and not view.is_busy  # stopped before the run's thread started
        assert view.message.text() == "Evaluation cancelled: training started."
    qtbot.waitUntil(lambda: not view.is_busy, timeout=20000)  # the run's own evaluation


@pytest.mark.parametrize("width", [1366, 900])
def test_the_status_message_and_the_data_bar_both_stay_readable(window, qtbot, width):
    window.resize(width, 768)
    bar, status = window.data_progress, window.statusBar()
    message = "Run 1: training… (the model cannot be edited until it ends)"
    reading = "Reading penguins_of_the_antarctic.csv in chunks, pass 2 of 2 (means, deviations)"
    status.showMessage(message)
    bar.show_reading(reading, 0.4)
    qtbot.waitUntil(lambda: bar.isVisible() and bar.width() < 1000, timeout=2000)
    qtbot.wait(50)
    metrics = status.fontMetrics()
    shown = status.currentMessage()
    assert shown == message or (width < 1000 and shown.endswith("…") and status.toolTip() == message)
    assert shown.startswith("Run 1: training")
    assert metrics.horizontalAdvance(shown) + 6 <= bar.geometry().left()  # the bar starts after the message
    text = bar.format().replace("%p", "40").replace("%%", "%")
    assert bar.fontMetrics().horizontalAdvance(text) <= bar.width() and text.endswith(": 40%")
    assert text.startswith("Reading") and bar.toolTip() == reading
    for label in (window.data_label, window.totals_label):
        assert label.geometry().right() <= status.width() and label.geometry().left() >= bar.geometry().right()
    status.clearMessage()  # with no message the labels take their room back
    bar.show_reading("", -1.0)
    qtbot.wait(50)
    assert window.data_label.width() >= min(window.data_label.sizeHint().width(), width // 3)


@pytest.mark.parametrize("width", [1366, 900])
def test_the_evaluation_tab_s_buttons_keep_their_words_in_a_narrow_window(window, qtbot, width):
    window.open_example("mlp")
    window.resize(width, 768)
    tabs = window.workflow.tabs
    qtbot.mouseClick(tabs.tabBar(), Qt.MouseButton.LeftButton, pos=tabs.tabBar().tabRect(1).center())
    view = window.workflow.evaluation
    qtbot.waitUntil(lambda: view.predict_button.isVisible(), timeout=2000)
    qtbot.wait(50)
    for button in (view.evaluate_button, view.predict_button, view.save_button):
        assert button.width() >= button.sizeHint().width(), (button.text(), button.width())
    def top(button):
        return button.mapTo(view, button.rect().topLeft()).y()

    one_row = abs(top(view.predict_button) - top(view.evaluate_button)) < 5
    assert one_row == (width == 1366)  # narrow: Predict and Save under Evaluate
