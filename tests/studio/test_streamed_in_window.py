"""The window on a project whose CSV file is read in chunks: the status bar's bar shows both fitting passes and
each epoch's reading, the window answers while it trains, and the model evaluates from the file."""

import pytest

from studio.data import prepare
from studio.data.streamed import StreamedData
from tests.studio.test_streamed_training import stream_above, write_big_iris_projects


def test_a_project_read_in_chunks_shows_its_passes_and_trains_in_the_window(window, qtbot, tmp_path, monkeypatch):
    project_path = write_big_iris_projects(tmp_path, epochs=40)[0]
    stream_above(monkeypatch, 1000)  # the 40 KB file counts as large: read in 2 KB chunks
    flow, bar = window.workflow, window.data_progress
    said = []
    flow.reading.connect(lambda text, fraction: said.append((text, fraction)))
    assert not bar.isVisible()
    assert window.open_project(project_path)
    qtbot.waitUntil(lambda: not flow.loading, timeout=20000)
    texts = [text for text, fraction in said if fraction >= 0]
    assert any("pass 1 of 2" in t for t in texts) and any("pass 2 of 2" in t for t in texts), texts
    assert said[-1][1] < 0 and not bar.isVisible()  # hidden once the data is ready
    assert isinstance(flow.prepared, StreamedData)
    assert window.data_label.text().startswith("Data: iris_big.csv (1200 train / 300 validation)")

    session = flow.session
    window.actions_by_name["train"].trigger()
    assert session.is_running
    qtbot.waitUntil(lambda: bar.isVisible() and "training rows" in bar.format(), timeout=20000)
    running = session.is_running
    flow.tabs.setCurrentIndex(2)  # the window answers while the file is read on the training thread
    assert flow.tabs.currentWidget() is flow.runs_view
    flow.tabs.setCurrentWidget(flow.panel)
    with qtbot.waitSignal(session.epoch_end, timeout=60000):
        pass  # an epoch's validation rows are read too
    with qtbot.waitSignal(session.run_finished, timeout=60000) as finished:
        window.actions_by_name["stop"].trigger()
    run = finished.args[0]
    assert running and run.epochs_done >= 1
    assert any("validation rows" in text for text, _ in said)
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=20000)  # after the evaluation that follows a run

    evaluation = flow.evaluation
    qtbot.waitUntil(lambda: evaluation.evaluate_button.isEnabled(), timeout=20000)
    with qtbot.waitSignal(evaluation.evaluated, timeout=20000) as evaluated:
        window.actions_by_name["evaluate"].trigger()
    whole = prepare(flow.prepared.spec).for_loss(window.project.compile["loss"])  # the same rows, read whole
    expected = session.model.evaluate(whole.validation.x, whole.validation.y, return_dict=True, verbose=0)
    assert evaluated.args[0]["accuracy"] == pytest.approx(expected["accuracy"], abs=1e-6)
    assert evaluated.args[0]["loss"] == pytest.approx(expected["loss"], rel=1e-5)
    assert evaluation.table.rowCount() > 0
    path = tmp_path / "predictions.csv"
    assert evaluation.save(str(path))
    lines = path.read_text().splitlines()
    assert lines[0].startswith("line,") and len(lines) == 301


def test_the_preferences_size_decides_which_files_are_read_in_chunks(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import QDialogButtonBox

    from studio.ui.preferences import Preferences, PreferencesDialog

    project_path = write_big_iris_projects(tmp_path)[0]
    csv_path = tmp_path / "iris_big.csv"
    rows = csv_path.read_text().splitlines()
    with open(csv_path, "a") as f:  # past 1 MB
        for _ in range(30):
            f.write("\n".join(rows[1:]) + "\n")
    assert csv_path.stat().st_size > 1 << 20

    def choose(dialog):
        dialog.stream_mb.setValue(1)
        qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok), Qt.LeftButton)
        return dialog.result()

    assert window.open_project(project_path)
    qtbot.waitUntil(lambda: not window.workflow.loading, timeout=20000)
    assert not isinstance(window.workflow.prepared, StreamedData)  # below the default 512 MB
    monkeypatch.setattr(PreferencesDialog, "exec", choose)
    window.actions_by_name["preferences"].trigger()
    assert Preferences.load(QSettings()).stream_threshold == 1 << 20
    assert window.open_project(project_path)
    qtbot.waitUntil(lambda: not window.workflow.loading, timeout=20000)
    assert isinstance(window.workflow.prepared, StreamedData)
    assert window.workflow.prepared.summary().startswith("37200 training rows, 9300 validation")


def test_importing_a_large_csv_shows_its_first_rows_and_reads_it_in_chunks(window, qtbot, tmp_path, monkeypatch):
    from studio.ui.data_import import dialog as import_dialog
    from tests.studio.test_training_in_window import patch_import

    write_big_iris_projects(tmp_path)
    stream_above(monkeypatch, 1000)
    monkeypatch.setattr(import_dialog, "PREVIEW_ROWS", 300)
    read = []
    original = import_dialog.read_csv
    monkeypatch.setattr(import_dialog, "read_csv", lambda *args, **kwargs: read.append(kwargs.get("max_rows")) or
                        original(*args, **kwargs))
    patch_import(monkeypatch, qtbot, tmp_path / "iris_big.csv")
    assert window.workflow.import_csv()
    assert read == [300]  # the dialog read only the first rows of the large file
    prepared = window.workflow.prepared
    assert isinstance(prepared, StreamedData) and len(prepared.train) + len(prepared.validation) == 1500
    assert window.project.data["preprocessor"]["target"]["classes"] == ["setosa", "versicolor", "virginica"]
    assert "read from the file in" in window.workflow.data_summary()


def test_predict_reads_a_large_file_in_chunks_and_writes_what_reading_it_whole_writes(window, qtbot, tmp_path,
                                                                                      monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    from studio.data import chunks as chunks_module

    project_path = write_big_iris_projects(tmp_path)[0]
    rows = (tmp_path / "iris_big.csv").read_text().splitlines()
    rows[700] = "," + rows[700].split(",", 1)[1]  # a row skipped for its missing value, noted by its line
    new = tmp_path / "new.csv"
    new.write_text("\n".join(rows) + "\n")
    flow = window.workflow
    assert window.open_project(project_path)
    qtbot.waitUntil(lambda: not flow.loading, timeout=20000)
    with qtbot.waitSignal(flow.session.run_finished, timeout=60000):
        window.actions_by_name["train"].trigger()
    view = flow.evaluation
    qtbot.waitUntil(lambda: view.predict_button.isEnabled(), timeout=20000)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(new), "")))
    saved_as = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda parent, title, proposed, *a: (saved_as.append((title, proposed)) or
                                                                          str(tmp_path / saved_as[-1][1]), "")))

    with qtbot.waitSignal(view.predicted, timeout=20000):  # below the streaming size: read whole, then Save
        qtbot.mouseClick(view.predict_button, Qt.LeftButton)
    whole_caption = view.table_caption.text()
    assert "Skipped 1 row" in whole_caption or "skipped" in whole_caption.lower(), whole_caption
    qtbot.mouseClick(view.save_button, Qt.LeftButton)
    assert saved_as.pop() == ("Save predictions", "predictions.csv")
    whole = (tmp_path / "predictions.csv").read_text()

    stream_above(monkeypatch, 1000)  # the 40 KB file counts as large: read in 2 KB chunks
    said, read = [], []
    flow.reading.connect(lambda text, fraction: said.append((text, fraction)))
    flow.tabs.setCurrentWidget(view)
    original = chunks_module.CsvChunks.tables
    monkeypatch.setattr(chunks_module.CsvChunks, "tables",
                        lambda self, progress=None: read.append(self.path) or original(self, progress))
    with qtbot.waitSignal(view.predicted, timeout=20000):
        qtbot.mouseClick(view.predict_button, Qt.LeftButton)
    title, proposed = saved_as.pop()  # asked where to write before reading
    assert "new.csv is large" in title and proposed.endswith("new_predictions.csv")
    assert read == [str(new)]
    assert (tmp_path / "new_predictions.csv").read_text() == whole
    caption = view.table_caption.text()
    assert caption.startswith("Predictions for new.csv: 1499 rows written to new_predictions.csv")
    assert caption.split("; ", 1)[1] == whole_caption.split("; ", 1)[1]  # the same note on the skipped row
    assert view.table.rowCount() == 1499 and "read in chunks" in view.message.text()
    fractions = [f for text, f in said if text == "Predicting new.csv in chunks"]
    # progress is coalesced (at most 25 updates a second), so a fast machine may show only a few steps
    assert 0 < fractions[0] < 1 and fractions == sorted(fractions) and fractions[-1] == 1.0 and said[-1][1] < 0
    assert view.save(str(tmp_path / "copy.csv"))  # Save predictions… copies the written file
    assert (tmp_path / "copy.csv").read_text() == whole
