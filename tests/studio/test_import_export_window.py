"""File > Import Keras Model… and File > Export in the real main window (file dialogs and message boxes patched)."""

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

import engine
from studio.ui.exchange import NO_MODEL_TIP


def file_action(window, text: str):
    """The File menu action (or Export submenu action) whose text, without '&', starts with `text`."""
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File")
    actions = list(file_menu.actions()) + list(window.export_menu.actions())
    return next(a for a in actions if a.text().replace("&", "").startswith(text))


@pytest.fixture
def keras_file(tmp_path):
    a, b = engine.Input((4,), name="left"), engine.Input((2,), name="right")
    merged = engine.layers.Concatenate(name="join")([engine.layers.Dense(6, name="dense_left")(a), b])
    model = engine.Model([a, b], engine.layers.Dense(3, activation="softmax", name="scores")(merged), name="joined")
    path = tmp_path / "joined.keras"
    model.save(path)
    return str(path), model


def patch_dialogs(monkeypatch, open_path=None, save_path=None):
    calls = {"critical": [], "information": [], "warning": [], "open": 0}

    def get_open(*args, **kwargs):
        calls["open"] += 1
        return open_path, ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(get_open))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (save_path, "")))
    for kind in ("critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(
            lambda parent, title, text, *a, _k=kind, **k: calls[_k].append((title, text))))
    return calls


def test_import_places_the_model_on_the_canvas_and_exports_it(window, keras_file, tmp_path, monkeypatch, qtbot):
    path, original = keras_file
    assert not file_action(window, "Keras model").isEnabled()
    assert file_action(window, "ONNX").toolTip() == NO_MODEL_TIP
    calls = patch_dialogs(monkeypatch, open_path=path)
    file_action(window, "Import Keras Model").trigger()
    assert calls["critical"] == []
    graph = window.graph
    assert [n.name for n in graph.nodes.values()] == ["left", "right", "dense_left", "join", "scores"]
    assert set(window.scene.node_items) == set(graph.nodes)
    assert len({n.position for n in graph.nodes.values()}) == 5
    assert window.analysis.current.reports[next(iter(graph.nodes))].output_shape == (None, 4)
    assert "Imported joined.keras" in window.statusBar().currentMessage()
    assert len(window.project.runs) == 1 and window.project.path is None
    window.grab().save(str(tmp_path / "imported.png"))

    for text, name in (("Keras model", "out.keras"), ("Python script", "out.py")):
        action = file_action(window, text)
        assert action.isEnabled()
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(
            lambda *a, _n=name, **k: (str(tmp_path / _n), "")))
        with qtbot.waitSignal(window.exporter.finished, timeout=20000):
            action.trigger()
        assert calls["critical"] == [] and (tmp_path / name).exists()
    assert (tmp_path / "out.keras").exists() and "out.py" in (tmp_path / "out.py").read_text()
    reopened = engine.saving.load_model(tmp_path / "out.keras")
    assert reopened.count_params() == original.count_params()


def test_import_respects_unsaved_changes(window, keras_file, monkeypatch):
    path, _ = keras_file
    calls = patch_dialogs(monkeypatch, open_path=path)
    window.add_layer("Dense", window.view.mapToScene(window.view.viewport().rect().center()))
    before = list(window.graph.nodes)
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: QMessageBox.Cancel))
    file_action(window, "Import Keras Model").trigger()
    assert calls["open"] == 0 and list(window.graph.nodes) == before


def test_import_and_export_errors_are_shown_in_dialogs(window, keras_file, tmp_path, monkeypatch, qtbot):
    path, _ = keras_file
    broken = tmp_path / "broken.keras"
    broken.write_bytes(open(path, "rb").read()[:100])
    calls = patch_dialogs(monkeypatch, open_path=str(broken), save_path=str(tmp_path / "no_folder" / "m.onnx"))
    before = window.project
    file_action(window, "Import Keras Model").trigger()
    assert window.project is before
    (title, text), = calls["critical"]
    assert title == "Cannot import Keras model" and "broken.keras" in text

    from studio.ui.exchange import export_model
    assert export_model(window, "export_onnx") is False
    assert calls["information"] == [("Export ONNX model", NO_MODEL_TIP)]

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (path, "")))
    file_action(window, "Import Keras Model").trigger()
    pytest.importorskip("onnx")
    with qtbot.waitSignal(window.exporter.failed, timeout=20000):
        file_action(window, "ONNX").trigger()
    title, text = calls["critical"][-1]
    assert title == "Cannot export: ONNX" and "no_folder" in text and "does not exist" in text
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(tmp_path / "r.onnx"), "")))
    with qtbot.waitSignal(window.exporter.failed, timeout=20000):
        file_action(window, "ONNX on raw CSV rows").trigger()
    title, text = calls["critical"][-1]
    assert "raw" in title and "no data yet" in text and not (tmp_path / "r.onnx").exists()


def test_an_imported_model_continues_from_its_weights_once_data_and_compile_are_set(window, tmp_path):
    """Import, then add data and compile: the session restores the imported weights, so Continue trains them."""
    import numpy as np

    from studio.data import prepare
    from studio.data.examples import example_spec
    from studio.exchange import import_keras, imported_project
    from studio.training.compile_settings import default_settings

    inputs = engine.Input((4,), name="features")
    model = engine.Model(inputs, engine.layers.Dense(3, activation="softmax", name="species")(
        engine.layers.Dense(8, activation="relu", name="hidden")(inputs)))
    path = tmp_path / "iris_like.keras"
    model.save(path)
    window.set_project(imported_project(import_keras(path), path))
    workflow = window.workflow
    assert workflow.session.model is None  # no compile settings and no data yet
    spec = example_spec("iris")
    window.project.data = spec.to_dict()
    window.project.compile = default_settings("multiclass")
    workflow._on_data_loaded(prepare(spec))
    restored = workflow.session.model
    assert restored is not None
    for ours, theirs in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_a_slow_export_runs_off_the_gui_thread_behind_a_busy_dialog(window, keras_file, tmp_path, monkeypatch, qtbot):
    """The window keeps serving its event loop while an ONNX export works; a busy dialog says what is going on."""
    import threading
    import time

    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QProgressDialog

    import studio.ui.exchange as ui_exchange

    pytest.importorskip("onnx")
    path, _ = keras_file
    calls = patch_dialogs(monkeypatch, open_path=path, save_path=str(tmp_path / "slow.onnx"))
    file_action(window, "Import Keras Model").trigger()
    text, title, file_filter, write = ui_exchange.EXPORTS["export_onnx"]
    threads = []

    def slow_write(project, target):  # as a large model's export would be
        threads.append(threading.current_thread())
        time.sleep(0.8)
        return write(project, target)

    monkeypatch.setitem(ui_exchange.EXPORTS, "export_onnx", (text, title, file_filter, slow_write))
    ticks, shown = [], []
    clock = QElapsedTimer()
    clock.start()
    timer = QTimer()
    timer.timeout.connect(lambda: (ticks.append(clock.elapsed()), shown.append(any(
        d.isVisible() for d in window.findChildren(QProgressDialog)))))
    timer.start(20)
    with qtbot.waitSignal(window.exporter.finished, timeout=20000) as blocker:
        file_action(window, "ONNX").trigger()
        assert window.exporter.running  # the action returned at once
    timer.stop()
    assert threads and threads[0] is not threading.main_thread()
    assert blocker.args[0] == [str(tmp_path / "slow.onnx")] and (tmp_path / "slow.onnx").exists()
    assert len(ticks) >= 10 and any(shown)  # timers ran during the export, and the busy dialog was up
    assert not any(d.isVisible() for d in window.findChildren(QProgressDialog))
    assert calls["critical"] == [] and "Exported" in window.statusBar().currentMessage()


def test_a_slow_import_reads_off_the_gui_thread_behind_a_busy_dialog(window, keras_file, monkeypatch):
    """Import Keras Model reads the file on a worker thread: the window's timers keep running and a busy dialog
    shows; the model lands on the canvas once it has been read."""
    import threading
    import time

    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QProgressDialog

    from studio import exchange

    path, _ = keras_file
    calls = patch_dialogs(monkeypatch, open_path=path)
    read, threads = exchange.import_keras, []

    def slow_read(target):  # as a large model's file would be
        threads.append(threading.current_thread())
        time.sleep(0.8)
        return read(target)

    monkeypatch.setattr(exchange, "import_keras", slow_read)
    ticks, shown = [], []
    clock = QElapsedTimer()
    clock.start()
    timer = QTimer()
    timer.timeout.connect(lambda: (ticks.append(clock.elapsed()), shown.append(any(
        d.isVisible() for d in window.findChildren(QProgressDialog)))))
    timer.start(20)
    file_action(window, "Import Keras Model").trigger()
    timer.stop()
    assert threads and threads[0] is not threading.main_thread()
    assert len(ticks) >= 10 and any(shown)  # timers ran while the file was read, and the busy dialog was up
    assert not any(d.isVisible() for d in window.findChildren(QProgressDialog))
    assert calls["critical"] == [] and {n.name for n in window.project.graph.nodes.values()} >= {"join", "scores"}
