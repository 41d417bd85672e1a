"""Training a project with real Keras 3: `layerstudio train --backend keras` saves a run that the window reopens,
evaluates and predicts with (on the engine); the training panel's "Train with" choice trains with Keras and draws
the curves; without Keras, one line says what to install."""

import importlib.util

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.__main__ import main
from studio.data.spec import resolve_path
from studio.document.examples import example_path
from studio.document.project import load_project, save_project

IRIS_CSV = str(example_path("mlp").parent.parent / "data" / "iris.csv")


@pytest.fixture
def iris_project(tmp_path):
    """A copy of the Iris example, its CSV path made absolute, 3 epochs a run."""
    project = load_project(example_path("mlp"))
    project.data = {**project.data, "path": resolve_path(project.data["path"], str(example_path("mlp").parent))}
    project.training = {**(project.training or {}), "epochs": 3, "batch_size": 16}
    path = tmp_path / "iris.lsproj"
    save_project(project, path)
    return str(path)


def test_without_keras_train_says_what_to_install_and_changes_nothing(iris_project, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr("studio.training.keras_backend.importlib.util.find_spec",
                        lambda name, *a, **k: None if name == "keras" else real(name, *a, **k))
    before = open(iris_project).read()
    assert main(["train", iris_project, "--backend", "keras"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("layerstudio train: error: Keras is not installed: pip install keras torch")
    assert open(iris_project).read() == before


def test_a_run_trained_by_keras_on_the_command_line_reopens_evaluates_and_predicts_in_the_window(
        iris_project, capsys, window, qtbot):
    pytest.importorskip("keras")
    assert main(["train", iris_project, "--backend", "keras"]) == 0
    out, err = capsys.readouterr()
    last = out.splitlines()[-1]
    assert last.startswith("Run 1 finished after 3 epochs, trained by Keras 3.") and "saved into" in last, out + err
    run = load_project(iris_project).runs[0]
    assert run["settings"]["backend"] == "keras" and run["segments"][0]["backend"]["name"] == "keras"

    assert window.open_project(iris_project)
    qtbot.waitUntil(lambda: not window.workflow.loading, timeout=20000)
    session = window.workflow.session
    history = session.runs[0].history
    assert history.keys() == run["history"].keys() and session.model is not None
    assert all(history[key] == pytest.approx(values) for key, values in run["history"].items())
    assert window.workflow.panel.curves.point_count("val_loss") == 3

    evaluation = window.workflow.evaluation
    with qtbot.waitSignal(evaluation.evaluated, timeout=20000) as evaluated:
        window.actions_by_name["evaluate"].trigger()
    # The engine evaluates the Keras-trained weights as Keras did on its last validation pass.
    assert evaluated.args[0]["loss"] == pytest.approx(run["history"]["val_loss"][-1], rel=1e-4)

    with qtbot.waitSignal(evaluation.predicted, timeout=20000):
        evaluation.predict_file(IRIS_CSV)
    header, rows = list(evaluation.header), [list(r) for r in evaluation.rows]
    assert len(rows) == 150 and "predicted" in header
    assert {row[header.index("predicted")] for row in rows} <= {"setosa", "versicolor", "virginica"}


def test_choosing_keras_in_the_training_panel_trains_with_it_and_draws_the_curves(window, qtbot, tmp_path,
                                                                                   monkeypatch):
    pytest.importorskip("keras")
    monkeypatch.chdir(tmp_path)
    window.open_example("mlp")
    qtbot.waitUntil(lambda: not window.workflow.loading, timeout=20000)
    panel = window.workflow.panel
    panel.epochs_spin.setValue(3)
    assert panel.backend_combo.currentData() == "engine"
    panel.backend_combo.setFocus()
    qtbot.keyClick(panel.backend_combo, Qt.Key.Key_Down)  # the user picks the next choice: Keras 3
    assert panel.backend_combo.currentData() == "keras"
    assert panel.backend_combo.currentText().startswith("Keras 3 (")
    assert window.is_modified()  # a training setting the project saves

    session = window.workflow.session
    batches = []
    session.batch_end.connect(batches.append)
    with qtbot.waitSignal(session.run_finished, timeout=120000) as finished:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    run = finished.args[0]
    assert run.status == "finished", run.message
    assert run.segments[0]["backend"]["name"] == "keras" and run.settings["backend"] == "keras"
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert panel.curves.point_count(key) == 3, key
    assert batches and batches[-1]["steps"] == 8  # 120 training rows in batches of 16
    assert "Trained by Keras 3." in panel.status_label.text()
    for in_model, saved in zip(session.model.get_weights(), run.weights):  # the engine model holds them
        np.testing.assert_array_equal(in_model, saved)
    assert window.project.runs[0]["settings"]["backend"] == "keras"
    table = window.workflow.runs_view.table
    header = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    assert table.item(0, header.index("Trained by")).text().startswith("Keras (")

    panel.more_spin.setValue(2)
    with qtbot.waitSignal(session.run_finished, timeout=120000) as finished:
        qtbot.mouseClick(panel.continue_button, Qt.MouseButton.LeftButton)
    continued = finished.args[0]
    assert continued.epochs_done == 5 and continued.segments[-1]["backend"]["name"] == "keras"
    assert panel.curves.point_count("val_loss") == 5


def test_without_keras_the_choice_is_greyed_out_with_what_to_install(iris_project, window, qtbot, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr("studio.training.keras_backend.importlib.util.find_spec",
                        lambda name, *a, **k: None if name == "keras" else real(name, *a, **k))
    project = load_project(iris_project)
    project.training = {**project.training, "backend": "keras"}  # saved where Keras was installed
    save_project(project, iris_project)
    assert window.open_project(iris_project)
    qtbot.waitUntil(lambda: not window.workflow.loading, timeout=20000)
    panel = window.workflow.panel
    combo = panel.backend_combo
    assert combo.itemText(1) == "Keras 3 (not installed)" and not combo.model().item(1).isEnabled()
    assert "pip install keras torch" in combo.itemData(1, Qt.ItemDataRole.ToolTipRole)
    assert combo.currentData() == "engine" and panel.settings().backend == "engine"
    note = panel.status_label.text()
    assert note.startswith("Keras is not installed: pip install keras torch") and "The engine trains" in note
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # the greyed-out choice cannot be picked
    assert combo.currentData() == "engine"


def test_keras_backend_options_on_the_command_line_are_checked(iris_project, capsys, monkeypatch):
    assert main(["train", iris_project, "--keras-backend", "torch"]) == 1
    assert capsys.readouterr().err == "layerstudio train: error: --keras-backend goes with --backend keras.\n"
    pytest.importorskip("keras")
    real = importlib.util.find_spec
    monkeypatch.setattr("studio.training.keras_backend.importlib.util.find_spec",
                        lambda name, *a, **k: None if name == "jax" else real(name, *a, **k))
    assert main(["train", iris_project, "--backend", "keras", "--keras-backend", "jax"]) == 1
    assert capsys.readouterr().err == ("layerstudio train: error: Keras's jax backend needs jax: pip install jax (or "
                                       "set KERAS_BACKEND to a backend that is installed).\n")
