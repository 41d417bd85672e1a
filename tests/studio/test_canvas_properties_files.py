"""Property editing through the real widgets, and project files through the real window."""

import json

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from studio.document import load_project, save_project
from studio.document.project import graph_to_dict


def _chain(canvas):
    inp = canvas.node_id("input")
    dense = canvas.drop("Dense", 0, 250)
    canvas.wire(inp, dense)
    canvas.select(dense)
    return inp, dense


def test_editing_units_in_the_spin_box_is_one_undoable_step_and_reinfers(canvas):
    _, dense = _chain(canvas)
    editor = canvas.window.properties.editors["units"].widget
    count = canvas.window.undo_stack.count()
    editor.setValue(64)
    assert canvas.graph.nodes[dense].config["units"] == 64
    assert canvas.report(dense).output_shape == (None, 64)
    assert canvas.window.undo_stack.count() == count + 1
    canvas.window.undo_stack.undo()
    assert canvas.graph.nodes[dense].config["units"] == 32 and editor.value() == 32
    canvas.window.undo_stack.redo()
    assert editor.value() == 64 and canvas.report(dense).params == 4 * 64 + 64


def test_combo_and_check_box_edit_the_config(canvas, qtbot):
    _, dense = _chain(canvas)
    editors = canvas.window.properties.editors
    combo = editors["activation"].widget
    combo.setCurrentIndex(combo.findText("relu"))
    assert canvas.graph.nodes[dense].config["activation"] == "relu"
    init = editors["kernel_initializer"].widget
    init.setCurrentIndex(init.findText("he_normal"))
    assert canvas.graph.nodes[dense].config["kernel_initializer"]["class_name"] == "HeNormal"
    assert init.currentText() == "he_normal"
    reg = editors["kernel_regularizer"].widget
    reg.setCurrentIndex(reg.findText("l2"))
    assert canvas.graph.nodes[dense].config["kernel_regularizer"]["class_name"] == "L2"
    box = editors["use_bias"].widget
    qtbot.mouseClick(box, Qt.LeftButton, pos=QPoint(8, box.height() // 2))  # on the indicator
    assert canvas.graph.nodes[dense].config["use_bias"] is False
    assert canvas.report(dense).params == 4 * 32


def test_invalid_tuple_text_is_refused_with_a_message(canvas, qtbot):
    inp = canvas.node_id("input")
    reshape = canvas.drop("Reshape", 0, 250)
    canvas.wire(inp, reshape)
    canvas.select(reshape)
    props = canvas.window.properties
    field = props.editors["target_shape"].widget
    before = dict(canvas.graph.nodes[reshape].config)
    count = canvas.window.undo_stack.count()
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "2, x")
    qtbot.keyClick(field, Qt.Key_Return)
    assert canvas.graph.nodes[reshape].config == before
    assert canvas.window.undo_stack.count() == count
    assert props.error.isVisibleTo(props) and "'x' is not one" in props.error.text()
    assert field.text() == "-1"
    field.selectAll()
    qtbot.keyClicks(field, "2, 2")
    qtbot.keyClick(field, Qt.Key_Return)
    assert canvas.graph.nodes[reshape].config["target_shape"] == [2, 2]
    assert canvas.report(reshape).output_shape == (None, 2, 2)


def test_value_the_engine_refuses_is_not_applied(canvas, qtbot):
    props = canvas.window.properties
    inp = canvas.node_id("input")
    canvas.select(inp)
    field = props.editors["shape"].widget
    field.selectAll()
    qtbot.keyClicks(field, "0")
    qtbot.keyClick(field, Qt.Key_Return)
    assert canvas.graph.nodes[inp].config["shape"] == [4]
    assert "positive" in props.error.text()


def test_taken_name_is_refused_and_rename_is_undoable(canvas, qtbot):
    _, dense = _chain(canvas)
    props = canvas.window.properties
    props.name_edit.selectAll()
    qtbot.keyClicks(props.name_edit, "input")
    qtbot.keyClick(props.name_edit, Qt.Key_Return)
    assert canvas.graph.nodes[dense].name == "dense" and "already named" in props.error.text()
    props.name_edit.selectAll()
    qtbot.keyClicks(props.name_edit, "hidden")
    qtbot.keyClick(props.name_edit, Qt.Key_Return)
    assert canvas.graph.nodes[dense].name == "hidden"
    canvas.window.undo_stack.undo()
    assert canvas.graph.nodes[dense].name == "dense" and props.name_edit.text() == "dense"


def test_save_and_reopen_gives_the_identical_document(canvas, tmp_path, monkeypatch):
    _, dense = _chain(canvas)
    canvas.window.properties.editors["units"].widget.setValue(12)
    canvas.window.project.data = {"csv": "iris.csv", "roles": {"species": "target"}}
    canvas.window.project.compile = {"optimizer": {"name": "adam", "config": {"learning_rate": 0.01}},
                                     "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}
    canvas.window.project.runs = [{"run_id": 1, "compile_settings": {}, "settings": {"epochs": 3}, "status": "finished",
                                   "history": {"loss": [1.0, 0.5, 0.25]}, "weights": None}]
    path = tmp_path / "model.lsproj"
    monkeypatch.setattr("studio.ui.main_window.QFileDialog.getSaveFileName", lambda *a, **k: (str(path), ""))
    assert not canvas.window.undo_stack.isClean()
    canvas.window.actions_by_name["save"].trigger()
    assert canvas.window.undo_stack.isClean() and canvas.window.project.path == str(path)
    assert str(path) in canvas.window.recent.paths()
    saved = canvas.window.project.to_dict()
    canvas.window.actions_by_name["new"].trigger()
    assert len(canvas.graph.nodes) == 1
    assert canvas.window.open_project(str(path))
    reopened = canvas.window.project
    assert reopened.to_dict() == saved
    assert reopened.data == {"csv": "iris.csv", "roles": {"species": "target"}}
    assert reopened.training["epochs"] == canvas.window.workflow.panel.settings().epochs  # the panel's, saved
    assert canvas.report(dense).output_shape == (None, 12)
    assert len(canvas.scene.node_items) == 2 and len(canvas.scene.wire_items) == 1


@pytest.mark.parametrize("content, expected", [
    ('{"format_version": 1, "graph": {"nodes": [{"id": "n1", "ty', "truncated"),
    ("", "empty"),
    ('{"format_version": 99, "graph": {}}', "newer LayerStudio"),
    ('[1, 2]', "not a JSON object"),
    ('{"format_version": 1, "graph": {"nodes": [], "wires": [{"source": "a", "target": "b"}]}}', "wire 1"),
])
def test_bad_project_file_shows_a_dialog_and_keeps_the_document(canvas, tmp_path, monkeypatch, content, expected):
    _, dense = _chain(canvas)
    before = graph_to_dict(canvas.graph)
    graph = canvas.graph
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append(text))
    path = tmp_path / "broken.lsproj"
    path.write_text(content)
    canvas.window.undo_stack.setClean()
    assert canvas.window.open_project(str(path)) is False
    assert len(shown) == 1 and expected in shown[0] and "broken.lsproj" in shown[0]
    assert canvas.graph is graph and graph_to_dict(canvas.graph) == before
    assert len(canvas.scene.node_items) == 2


def test_unsaved_changes_prompt_can_cancel_or_discard(canvas, monkeypatch):
    _chain(canvas)
    answers = [QMessageBox.Cancel, QMessageBox.Discard]
    asked = []

    def warning(*args, **kwargs):
        asked.append(args[2])
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "warning", warning)
    canvas.window.new_project()
    assert len(canvas.graph.nodes) == 2  # cancelled: nothing changed
    canvas.window.new_project()
    assert len(canvas.graph.nodes) == 1 and len(asked) == 2 and "unsaved" in asked[0]


def test_failed_save_keeps_the_old_file_whole(tmp_path, monkeypatch):
    from studio.document.examples import mlp
    from studio.document.project import ProjectFileError

    path = tmp_path / "keep.lsproj"
    project = mlp()
    save_project(project, path)
    original = path.read_text()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("studio.document.project.os.replace", broken_replace)
    project.graph.set_config(project.graph.input_nodes()[0].id, {"shape": [5], "batch_size": None,
                                                                  "dtype": "float32"})
    with pytest.raises(ProjectFileError, match="No space left"):
        save_project(project, path)
    assert path.read_text() == original
    assert [p.name for p in tmp_path.iterdir()] == ["keep.lsproj"]  # no temp file left behind
    assert json.loads(original)["format_version"] == 1
    assert load_project(path).to_dict()["graph"] == json.loads(original)["graph"]
