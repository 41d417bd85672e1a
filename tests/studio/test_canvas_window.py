"""Main window features: recent files, model outputs, wrapped-layer editing, summary clicks, command line."""

import pytest

from studio.__main__ import build_parser
from studio.document import build_model, layer_types, save_project
from studio.document.examples import mlp


def test_recent_files_menu_reopens_a_project(window, tmp_path):
    path = tmp_path / "recent.lsproj"
    save_project(mlp(), path)
    assert window.open_project(str(path))
    window.set_project(window.project.__class__())  # something else is open now
    actions = [a for a in window.recent_menu.actions() if a.text() == "recent.lsproj"]
    assert len(actions) == 1
    actions[0].trigger()
    assert window.project.path == str(path) and len(window.graph.nodes) == 3
    assert "recent.lsproj" in window.windowTitle()


def test_mark_as_output_makes_a_two_output_model(canvas):
    inp = canvas.node_id("input")
    a = canvas.drop("Dense", -150, 250)
    b = canvas.drop("Dense", 150, 250)
    c = canvas.drop("Dense", 150, 420)
    canvas.wire(inp, a)
    canvas.wire(inp, b)
    canvas.wire(b, c)
    assert canvas.graph.model_outputs() == [a, c]
    canvas.select(b)
    canvas.window.actions_by_name["output"].trigger()
    assert canvas.graph.model_outputs() == [a, c, b]
    model = build_model(canvas.graph)
    assert len(model.outputs) == 3
    canvas.window.undo_stack.undo()
    assert canvas.graph.outputs == []


def test_summary_row_click_selects_the_layer(canvas):
    dense = canvas.drop("Dense", 0, 250)
    canvas.scene.clearSelection()
    table = canvas.window.summary.table
    row = next(table.topLevelItem(i) for i in range(table.topLevelItemCount())
               if table.topLevelItem(i).text(0).startswith("dense"))
    table.itemClicked.emit(row, 0)
    assert canvas.scene.selected_node_ids() == [dense]
    assert canvas.window.properties.node_id == dense


@pytest.mark.skipif("Bidirectional" not in layer_types() or "GRU" not in layer_types(), reason="no RNN layers")
def test_wrapped_layer_editor_switches_the_inner_recurrent_layer(canvas):
    inp = canvas.node_id("input")
    canvas.select(inp)
    canvas.window.properties.editors["shape"].widget.setText("10, 3")
    canvas.window.properties.editors["shape"].widget.editingFinished.emit()
    bi = canvas.drop("Bidirectional", 0, 250)
    canvas.wire(inp, bi)
    editor = canvas.window.properties.editors["layer"]
    editor.inner_editors["units"].widget.setValue(8)
    assert canvas.graph.nodes[bi].config["layer"]["config"]["units"] == 8
    assert canvas.report(bi).output_shape == (None, 16)
    editor.combo.setCurrentIndex(editor.combo.findText("GRU"))
    assert canvas.graph.nodes[bi].config["layer"]["class_name"] == "GRU"
    assert canvas.report(bi).multiply_adds == 2 * 3 * (3 + 8) * 8 * 10


def test_command_line_takes_an_optional_project():
    assert build_parser().parse_args([]).project is None
    assert build_parser().parse_args(["model.lsproj"]).project == "model.lsproj"


def test_keyboard_shortcuts_delete_and_undo(canvas, qtbot):
    from PySide6.QtCore import Qt

    dense = canvas.drop("Dense", 0, 250)
    canvas.window.activateWindow()
    canvas.view.setFocus()
    qtbot.waitUntil(lambda: canvas.view.hasFocus())
    canvas.select(dense)
    qtbot.keyClick(canvas.view.viewport(), Qt.Key_Delete)
    assert dense not in canvas.graph.nodes
    qtbot.keyClick(canvas.view.viewport(), Qt.Key_Z, Qt.ControlModifier)
    assert dense in canvas.graph.nodes
