"""After a run: the evaluation is ready without pressing Evaluate, the Runs tab compares runs and overlays
the chosen ones, the progress bar tells elapsed time and time left, and curves and the model diagram export."""

import csv
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QImage

from studio.ui.exchange import export_curves, export_diagram


@pytest.fixture
def iris(window, qtbot, tmp_path, monkeypatch):
    """The window on the Iris example, its data read, 3 epochs per run."""
    monkeypatch.chdir(tmp_path)
    window.open_example("mlp")
    qtbot.waitUntil(lambda: not window.workflow.loading, timeout=10000)
    window.workflow.panel.epochs_spin.setValue(3)
    return window


def train(qtbot, window):
    session = window.workflow.session
    with qtbot.waitSignal(window.workflow.evaluation.evaluated, timeout=30000) as evaluated:
        with qtbot.waitSignal(session.run_finished, timeout=30000) as finished:
            window.actions_by_name["train"].trigger()
    return finished.args[0], evaluated.args[0]


def test_a_finished_run_is_evaluated_and_listed_with_its_best_epoch(iris, qtbot):
    formats = []
    iris.workflow.session.batch_end.connect(lambda *_: formats.append(iris.workflow.panel.progress.format()))
    run, metrics = train(qtbot, iris)
    assert metrics["accuracy"] == pytest.approx(run.history["val_accuracy"][-1], abs=1e-6)
    assert any("elapsed" in text for text in formats), formats[-3:]
    runs = iris.workflow.runs_view
    assert runs.table.rowCount() == 1
    header = [runs.table.horizontalHeaderItem(i).text() for i in range(runs.table.columnCount())]
    assert {"Run", "Status", "Optimizer", "Best epoch", "val_loss", "val_accuracy"} <= set(header)
    best_epoch = run.best("val_loss")[0]
    assert runs.table.item(0, header.index("Best epoch")).text() == str(best_epoch)

    second, _ = train(qtbot, iris)
    assert runs.table.rowCount() == 2
    runs.table.selectionModel().select(runs.table.model().index(0, 0),
                                       QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
    overlaid = [run_id for run_id, _ in iris.workflow.panel.curves._previous_histories]
    assert overlaid == [run.run_id]


def test_curves_export_as_csv_and_png(iris, qtbot, tmp_path):
    assert not iris.workflow.session.runs
    run, _ = train(qtbot, iris)
    assert export_curves(iris, str(tmp_path / "curves.csv"))
    rows = list(csv.DictReader(open(tmp_path / "curves.csv")))
    assert len(rows) == run.epochs_done and rows[0]["run"] == "1" and rows[-1]["epoch"] == "3"
    assert float(rows[-1]["val_loss"]) == pytest.approx(run.history["val_loss"][-1], rel=1e-9)
    assert export_curves(iris, str(tmp_path / "curves.png"))
    assert not QImage(str(tmp_path / "curves.png")).isNull()


def test_the_model_diagram_exports_as_png_and_svg(iris, tmp_path):
    assert export_diagram(iris, str(tmp_path / "model.png"))
    image = QImage(str(tmp_path / "model.png"))
    assert image.width() > 300 and image.height() > 300
    assert export_diagram(iris, str(tmp_path / "model.svg"))
    text = "".join(ET.parse(tmp_path / "model.svg").getroot().itertext())
    assert "Dense" in text and "Input" in text


def test_a_diagram_in_another_format_is_refused_with_a_message(iris, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda _p, _t, text: shown.append(text)))
    assert not export_diagram(iris, str(tmp_path / "model.jpg"))
    assert ".png or .svg" in shown[0] and not (tmp_path / "model.jpg").exists()


def test_class_scores_from_a_confusion_matrix():
    import numpy as np

    from studio.training.class_report import class_scores, row_shares
    counts = np.array([[9, 1, 0], [0, 10, 0], [2, 0, 8]])
    a, b, c = class_scores(counts)
    assert (a.precision, a.recall, a.support) == (pytest.approx(9 / 11), 0.9, 10)
    assert a.f1 == pytest.approx(2 * (9 / 11) * 0.9 / (9 / 11 + 0.9))
    assert (b.precision, b.recall) == (pytest.approx(10 / 11), 1.0) and c.precision == 1.0 and c.recall == 0.8
    empty = class_scores(np.array([[0, 0], [3, 1]]))[0]
    assert (empty.precision, empty.recall, empty.f1, empty.support) == (0.0, 0.0, 0.0, 0)
    np.testing.assert_allclose(row_shares(counts)[2], [0.2, 0, 0.8])


def test_the_confusion_matrix_shows_shares_counts_on_hover_and_scores(iris, qtbot):
    run, metrics = train(qtbot, iris)
    view = iris.workflow.evaluation
    counts = view.confusion
    k = len(counts)
    headers = [view.matrix.horizontalHeaderItem(j).text() for j in range(view.matrix.columnCount())]
    assert headers[k:] == ["prec.", "recall", "F1", "rows"]
    cell = view.matrix.item(0, 0)
    assert cell.text() == f"{counts[0, 0] / counts[0].sum():.0%}"
    assert cell.toolTip().startswith(f"{counts[0, 0]} of {counts[0].sum()} rows")
    recall = float(view.matrix.item(0, k + 1).text())
    assert recall == pytest.approx(counts[0, 0] / counts[0].sum(), abs=0.005)
    assert view.show_cell(0, k) == []  # a score column lists nothing


def test_the_export_dialog_adds_the_chosen_kind_s_ending(iris, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog
    answers = [(str(tmp_path / "picture"), "SVG drawings (*.svg)"), ("", "")]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: answers.pop(0)))
    assert export_diagram(iris)
    assert (tmp_path / "picture.svg").is_file()
    assert not export_diagram(iris)  # cancelled: nothing written, no message
