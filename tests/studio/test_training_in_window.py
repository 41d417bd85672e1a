"""From a CSV file to a trained, evaluated model through the main window's actions: the Iris example trains
in one click and reopens trained; a CSV imported into a new project compiles, trains, stops and continues; a
bad CSV or a running training never costs the user the project."""

import os
import shutil

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from studio.document.examples import example_path
from studio.training.run import STOPPED
from studio.ui.compile_dialog import CompileDialog
from studio.ui.data_import import ImportDialog

DATA = example_path("mlp").parents[1] / "data"


@pytest.fixture
def answers(monkeypatch):
    """Replies to the window's question boxes, in order; records the questions asked."""
    replies, asked = [], []

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return replies.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    return replies, asked


def patch_import(monkeypatch, qtbot, path, ok=True):
    """ImportDialog.exec reads `path` through the dialog and presses OK (or, for a bad file, waits for the
    error and cancels)."""
    def exec_(dialog):
        if ok:
            with qtbot.waitSignal(dialog.loaded, timeout=10000):
                dialog.load_file(str(path))
            with qtbot.waitSignal(dialog.finished, timeout=10000):
                dialog.accept()
        else:
            with qtbot.waitSignal(dialog.failed, timeout=10000) as failed:
                dialog.load_file(str(path))
            exec_.error = failed.args[0]
            dialog.reject()
        return dialog.result()

    monkeypatch.setattr(ImportDialog, "exec", exec_)
    return exec_


def patch_compile(monkeypatch, learning_rate="0.01"):
    def exec_(dialog):
        exec_.proposed = dialog.settings()
        dialog.hyperparameter_edit("learning_rate").setText(learning_rate)
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(CompileDialog, "exec", exec_)
    return exec_


def data_read(qtbot, window) -> None:
    """Wait until the opened project's CSV has been read (on a thread)."""
    qtbot.waitUntil(lambda: not window.workflow.loading, timeout=10000)


def train(qtbot, window, action="train"):
    session = window.workflow.session
    with qtbot.waitSignal(session.run_finished, timeout=30000) as finished:
        window.actions_by_name[action].trigger()
    return finished.args[0]


def test_the_iris_example_trains_in_one_click_and_reopens_trained(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example's CSV path is relative to the example file, not to here
    assert not window.actions_by_name["train"].isEnabled()
    assert "Import CSV" in window.actions_by_name["train"].toolTip()
    menu_item = next(a for a in window.examples_menu.actions() if "Iris" in a.text())
    menu_item.trigger()  # File > Open Example > Sequential MLP (Iris data)
    assert not window.actions_by_name["train"].isEnabled() and window.data_label.text().startswith("Data: reading")
    data_read(qtbot, window)
    assert window.project.path is None  # a template: Save asks where
    assert window.actions_by_name["train"].isEnabled(), window.actions_by_name["train"].toolTip()
    assert window.data_label.text().startswith("Data: iris.csv (120 train / 30 validation)")
    panel = window.workflow.panel
    epochs = panel.settings().epochs

    run = train(qtbot, window)
    assert run.status == "finished" and run.epochs_done == epochs
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert panel.curves.point_count(key) == epochs, key
    assert run.history["val_accuracy"][-1] > 0.9
    assert window.is_modified() and window.project.runs[0]["history"] == run.history
    assert "Run 1 finished" in window.statusBar().currentMessage()

    path = tmp_path / "saved" / "iris.lsproj"
    path.parent.mkdir()
    monkeypatch.setattr("studio.ui.main_window.QFileDialog.getSaveFileName", lambda *a, **k: (str(path), ""))
    window.actions_by_name["save_as"].trigger()
    assert window.project.path == str(path) and not window.is_modified()
    stored = window.project.data["path"]  # relative to the saved file, wherever that is
    assert not os.path.isabs(stored) and os.path.normpath(path.parent / stored) == str(DATA / "iris.csv")

    window.actions_by_name["new"].trigger()
    assert window.workflow.session.runs == [] and not window.actions_by_name["evaluate"].isEnabled()
    assert window.open_project(str(path))
    data_read(qtbot, window)
    session = window.workflow.session
    assert len(session.runs) == 1 and session.runs[0].history == run.history
    for restored, trained in zip(session.model.get_weights(), run.weights):
        np.testing.assert_array_equal(restored, trained)
    assert panel is not window.workflow.panel
    assert window.workflow.panel.curves.point_count("val_accuracy") == epochs
    assert window.workflow.panel.continue_button.isEnabled()

    evaluation = window.workflow.evaluation
    with qtbot.waitSignal(evaluation.evaluated, timeout=10000) as evaluated:
        window.actions_by_name["evaluate"].trigger()
    assert window.workflow.tabs.currentWidget() is evaluation
    assert evaluated.args[0]["accuracy"] == pytest.approx(run.history["val_accuracy"][-1], abs=1e-6)

    window.workflow.panel.more_spin.setValue(2)  # the restored model trains on
    continued = train(qtbot, window, "continue")
    assert continued.epochs_done == epochs + 2 and window.workflow.panel.curves.point_count("loss") == epochs + 2


def test_import_compile_train_stop_continue_in_a_new_project(window, qtbot, tmp_path, monkeypatch, answers):
    replies, asked = answers
    csv = tmp_path / "wine.csv"
    shutil.copy(DATA / "wine.csv", csv)
    input_id = window.graph.input_nodes()[0].id
    window.select_node(input_id)
    window.add_layer_after_selection("Dense")
    window.add_layer_after_selection("Dense")  # a chain Input(4) -> Dense -> Dense, the last one selected
    output_id = window.graph.model_outputs()[0]
    window.mark_clean()
    assert not window.actions_by_name["compile"].isEnabled()
    assert "Import data first" in window.actions_by_name["compile"].statusTip()

    patch_import(monkeypatch, qtbot, csv)
    window.actions_by_name["import_data"].trigger()
    assert window.graph.nodes[input_id].config["shape"] == [13]  # the Input took the data's shape...
    assert window.undo_stack.undoText() == "Change input shape"  # ...as one undoable step
    assert window.is_modified() and window.workflow.prepared.input_shape == (13,)
    assert not window.actions_by_name["train"].isEnabled()
    assert "Model > Compile" in window.actions_by_name["train"].statusTip()

    replies.append(QMessageBox.StandardButton.Yes)  # fit the output layer to the loss
    compile_dialog = patch_compile(monkeypatch)
    window.actions_by_name["compile"].trigger()
    assert compile_dialog.proposed["loss"] == "sparse_categorical_crossentropy"
    assert window.project.compile["optimizer"]["config"]["learning_rate"] == 0.01
    assert "3 units with a softmax" in asked[0]
    assert (window.graph.nodes[output_id].config["units"], window.graph.nodes[output_id].config["activation"]) \
        == (3, "softmax")
    assert window.actions_by_name["train"].isEnabled(), window.actions_by_name["train"].toolTip()

    panel = window.workflow.panel
    panel.epochs_spin.setValue(2)
    run = train(qtbot, window)
    assert run.epochs_done == 2 and panel.curves.point_count("loss") == panel.curves.point_count("val_loss") == 2

    # A long run, stopped mid-way; meanwhile the graph cannot change and New asks first.
    panel.epochs_spin.setValue(100_000)
    session = window.workflow.session
    with qtbot.waitSignal(session.epoch_end, timeout=10000):
        window.actions_by_name["train"].trigger()
    assert window.editing_locked and not window.view.isInteractive()
    assert not window.actions_by_name["delete"].isEnabled() and not window.actions_by_name["train"].isEnabled()
    assert window.add_layer("Dense", window.view.mapToScene(10, 10)) is None
    assert "cannot be edited while it trains" in window.statusBar().currentMessage()
    replies.append(QMessageBox.StandardButton.No)
    project = window.project
    window.actions_by_name["new"].trigger()
    assert window.project is project and session.is_running and "Stop it" in asked[-1]
    with qtbot.waitSignal(session.run_finished, timeout=10000) as finished:
        window.actions_by_name["stop"].trigger()
    stopped = finished.args[0]
    assert stopped.status == STOPPED and 1 <= stopped.epochs_done < 100_000
    assert not window.editing_locked and window.view.isInteractive()

    panel.more_spin.setValue(3)
    run = train(qtbot, window, "continue")
    assert run is stopped and run.epochs_done == stopped.epochs_done
    assert run.segments[-1]["epochs"] - run.segments[-1]["initial_epoch"] == 3
    assert panel.curves.point_count("val_loss") == run.epochs_done == len(window.project.runs[-1]["history"]["loss"])
    assert [r["run_id"] for r in window.project.runs] == [1, 2]


def test_a_bad_csv_leaves_the_project_intact(window, qtbot, tmp_path, monkeypatch):
    assert window.open_project(str(example_path("mlp")))
    data_read(qtbot, window)
    before = window.project.to_dict()
    prepared = window.workflow.prepared
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n4,5\n6,7,8,9\n", encoding="utf-8")
    importer = patch_import(monkeypatch, qtbot, bad, ok=False)
    window.actions_by_name["import_data"].trigger()
    assert "line" in importer.error.lower()
    assert window.project.to_dict() == before and window.workflow.prepared is prepared
    assert not window.is_modified() and window.actions_by_name["train"].isEnabled()


def test_closing_or_opening_while_training_asks_and_stops(window, qtbot, answers, monkeypatch):
    replies, asked = answers
    assert window.open_project(str(example_path("mlp")))
    data_read(qtbot, window)
    window.workflow.panel.epochs_spin.setValue(100_000)
    with qtbot.waitSignal(window.workflow.session.epoch_end, timeout=10000):
        window.actions_by_name["train"].trigger()
    replies.extend([QMessageBox.StandardButton.No])
    assert not window.close() and window.workflow.is_training
    # Open another project: Yes stops the run, which is new, so the unsaved-changes question follows.
    replies.extend([QMessageBox.StandardButton.Yes])
    session = window.workflow.session
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]) or QMessageBox.Discard)
    assert window.open_project(str(example_path("residual")))
    assert not session.is_running and session.current_run.status == STOPPED and "unsaved changes" in warned[0]
    assert window.workflow.session is not session and window.workflow.session.runs == []
    data_read(qtbot, window)
    assert window.data_label.text().startswith("Data: breast_cancer_wisconsin.csv")


def test_settings_changes_count_as_unsaved_and_a_missing_csv_is_reported(window, qtbot, tmp_path):
    assert window.open_project(str(example_path("mlp")))
    data_read(qtbot, window)
    assert window.workflow.panel.settings().epochs == 40  # the project's, not those proposed for the data
    window.project.training = None  # a project without training settings gets those proposed for its data...
    window.workflow.attach(window.project)
    data_read(qtbot, window)
    assert window.workflow.panel.settings().epochs == 100 and not window.is_modified()  # ...unchanged yet
    assert not window.is_modified()
    window.workflow.panel.epochs_spin.setValue(7)
    assert window.is_modified() and window.isWindowModified()
    moved = tmp_path / "moved.lsproj"
    shutil.copy(example_path("mlp"), moved)  # its CSV path, relative to the file, now leads nowhere
    window.mark_clean()
    assert window.open_project(str(moved))
    data_read(qtbot, window)
    assert "cannot be read" in window.statusBar().currentMessage()
    assert not window.actions_by_name["train"].isEnabled()
    assert "cannot be read" in window.actions_by_name["train"].statusTip()
    assert window.project.data["path"] == "../data/iris.csv"  # kept as it was, for the user to fix


def test_closing_ends_every_thread(window, qtbot, answers, monkeypatch):
    replies, _ = answers
    assert window.open_project(str(example_path("mlp")))
    assert window.workflow.loading
    assert window.close()  # while the CSV is being read
    assert not window.workflow.loading or not window.workflow._loader.running
    assert window.workflow.session is None

    window.show()
    assert window.open_project(str(example_path("mlp")))
    data_read(qtbot, window)
    window.workflow.panel.epochs_spin.setValue(100_000)
    with qtbot.waitSignal(window.workflow.session.epoch_end, timeout=10000):
        window.actions_by_name["train"].trigger()
    replies.append(QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.Discard)
    session = window.workflow.session
    assert window.close()  # while training: stopped, the thread waited for
    assert not session.is_running and window.workflow.session is None


def test_a_project_with_nan_weights_opens_but_its_model_is_not_used(window, qtbot, tmp_path, monkeypatch):
    """Weights saved with NaN (by a version before the training core kept finite ones): the project opens, the
    status bar says why the model is not restored, and export refuses it naming the weight."""
    from studio.data.spec import resolve_path
    from studio.document.project import load_project, save_project
    from studio.headless import train as train_headless
    from studio.training.run import TrainingRun, encode_array

    project = load_project(example_path("mlp"))
    project.data = {**project.data, "path": resolve_path(project.data["path"], str(example_path("mlp").parent))}
    project.training = {**project.training, "epochs": 1}
    train_headless(project)
    weights = TrainingRun.from_dict(project.runs[-1]).weights
    weights[0][0, 0] = np.nan
    project.runs[-1]["weights"] = [encode_array(w) for w in weights]
    path = tmp_path / "nan.lsproj"
    save_project(project, path)

    assert window.load(str(path))
    data_read(qtbot, window)
    assert "hold NaN or infinite values" in window.statusBar().currentMessage()
    assert window.workflow.session.model is None and not window.workflow.evaluation.evaluate_button.isEnabled()
    errors = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: errors.append(text))
    monkeypatch.setattr("studio.ui.exchange.QFileDialog.getSaveFileName", lambda *a, **k: (str(tmp_path / "m"), ""))
    with qtbot.waitSignal(window.exporter.failed, timeout=20000):
        window.actions_by_name["export_keras"].trigger()
    assert errors and "The weights of run 1 are not finite" in errors[0] and "kernel" in errors[0]
    assert not (tmp_path / "m.keras").exists()
