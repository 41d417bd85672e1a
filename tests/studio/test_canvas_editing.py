"""Building a model on the real canvas: palette drops, wiring with the mouse, moving, deleting, undo."""

from PySide6.QtCore import QPointF, Qt

from studio.document.inference import format_shape


def test_palette_drop_adds_a_layer_where_it_was_dropped(canvas):
    node_id = canvas.drop("Dense", 0, 250)
    node = canvas.graph.nodes[node_id]
    assert node.type == "Dense" and node.name == "dense"
    item = canvas.scene.node_items[node_id]
    assert abs(item.pos().x() + 110 - 0) < 2 and abs(item.pos().y() + 42 - 250) < 2
    assert node.position == (item.pos().x(), item.pos().y())
    assert canvas.window.properties.node_id == node_id  # the new layer is selected for editing


def test_drop_undo_redo(canvas):
    node_id = canvas.drop("Dropout", 0, 250)
    canvas.window.undo_stack.undo()
    assert node_id not in canvas.graph.nodes and node_id not in canvas.scene.node_items
    canvas.window.undo_stack.redo()
    assert node_id in canvas.graph.nodes and node_id in canvas.scene.node_items


def test_wiring_with_the_mouse_shows_shapes_on_wires(canvas):
    inp = canvas.node_id("input")
    dense = canvas.drop("Dense", 0, 250)
    canvas.wire(inp, dense)
    assert [(w.source, w.target, w.port) for w in canvas.graph.wires] == [(inp, dense, 0)]
    (item,) = canvas.scene.wire_items.values()
    assert item.label == "(None, 4)"
    assert canvas.report(dense).output_shape == (None, 32)
    assert canvas.report(dense).params == 4 * 32 + 32


def test_wire_dropped_on_a_taken_port_is_refused(canvas, qtbot):
    inp = canvas.node_id("input")
    a, b = canvas.drop("Dense", -200, 250), canvas.drop("Dense", 200, 250)
    canvas.wire(inp, a)
    canvas.wire(inp, b)
    with qtbot.waitSignal(canvas.scene.message) as blocker:
        canvas.wire(a, b)
    assert "taken" in blocker.args[0]
    assert len(canvas.graph.wires) == 2


def test_cycle_is_refused_while_dragging(canvas, qtbot):
    inp = canvas.node_id("input")
    first = canvas.drop("Dense", 0, 230)
    add = canvas.drop("Add", 0, 400)
    last = canvas.drop("Dense", 0, 570)
    canvas.wire(inp, first)
    canvas.wire(first, add, 0)
    canvas.wire(add, last)
    # while the wire is dragged from `last`, Add's free port is shown refused; dropping there is refused
    canvas.mouse("press", canvas.output_port(last))
    canvas.mouse("move", canvas.input_port(add, 1))
    assert canvas.scene._drag.verdicts[(add, 1)].endswith("would make a cycle")
    assert canvas.scene.node_items[add].input_ports[1].brush().color().name() != "#16a34a"
    with qtbot.waitSignal(canvas.scene.message) as blocker:
        canvas.mouse("release", canvas.input_port(add, 1))
    assert "cycle" in blocker.args[0]
    assert len(canvas.graph.wires) == 3


def test_dangling_input_is_red_with_the_reason(canvas, qtbot):
    dense = canvas.drop("Dense", 0, 250)
    report = canvas.report(dense)
    assert report.error and "not connected" in report.error
    assert "not connected" in canvas.scene.node_items[dense].toolTip()
    canvas.scene.clearSelection()
    with qtbot.waitSignal(canvas.scene.message) as blocker:
        canvas.select(dense)
    assert "not connected" in blocker.args[0]


def test_merge_of_incompatible_shapes_is_red_with_the_reason(canvas, qtbot):
    inp = canvas.node_id("input")
    a, b = canvas.drop("Dense", -200, 250), canvas.drop("Dense", 200, 250)
    canvas.wire(inp, a)
    canvas.wire(inp, b)
    canvas.window.properties.show_node(b)
    canvas.window.properties.editors["units"].widget.setValue(16)
    add = canvas.drop("Add", 0, 430)
    canvas.wire(a, add, 0)
    canvas.wire(b, add, 1)
    report = canvas.report(add)
    assert report.error is not None and "(None, 32)" in report.error and "(None, 16)" in report.error
    assert "⚠" in canvas.scene.node_items[add].toolTip()
    with qtbot.waitSignal(canvas.scene.message) as blocker:
        canvas.scene.node_hovered(add)
    assert "shape" in blocker.args[0].lower()
    # the summary lists it in red and the model is not buildable
    assert "add" in canvas.window.summary.status.text()


def test_merge_takes_several_inputs_and_shows_a_free_port(canvas):
    inp = canvas.node_id("input")
    concat = canvas.drop("Concatenate", 0, 420)
    branches = [canvas.drop("Dense", x, 250) for x in (-260, 0, 260)]
    assert len(canvas.scene.node_items[concat].input_ports) == 2
    for port, branch in enumerate(branches):
        canvas.wire(inp, branch)
        canvas.wire(branch, concat, port)
        assert len(canvas.scene.node_items[concat].input_ports) == max(2, port + 2)
    assert len(canvas.scene.node_items[concat].input_ports) == 4  # three used, one free
    assert canvas.report(concat).output_shape == (None, 96)


def test_moving_several_layers_is_one_undo_step(canvas):
    inp = canvas.node_id("input")
    a, b = canvas.drop("Dense", -200, 250), canvas.drop("Dense", 200, 250)
    canvas.select(a, b)
    before = {n: canvas.graph.nodes[n].position for n in (a, b)}
    count = canvas.window.undo_stack.count()
    item = canvas.scene.node_items[a]
    grab = item.mapToScene(QPointF(110, 60))
    canvas.drag(grab, grab + QPointF(40, 90), steps=6)
    after = {n: canvas.graph.nodes[n].position for n in (a, b)}
    assert all(abs(after[n][0] - before[n][0] - 40) < 1 and abs(after[n][1] - before[n][1] - 90) < 1 for n in (a, b))
    assert canvas.window.undo_stack.count() == count + 1
    canvas.window.undo_stack.undo()
    assert {n: canvas.graph.nodes[n].position for n in (a, b)} == before
    assert canvas.scene.node_items[a].pos() == QPointF(*before[a])
    assert canvas.graph.nodes[inp].position == (0.0, 0.0)


def test_rubber_band_selects_and_delete_removes_with_wires_undoable(canvas):
    inp = canvas.node_id("input")
    a = canvas.drop("Dense", 0, 250)
    b = canvas.drop("Dense", 0, 420)
    canvas.wire(inp, a)
    canvas.wire(a, b)
    canvas.scene.clearSelection()
    canvas.drag(QPointF(-300, 170), QPointF(300, 520), steps=5)
    assert set(canvas.scene.selected_node_ids()) == {a, b}
    canvas.window.actions_by_name["delete"].trigger()
    assert set(canvas.graph.nodes) == {inp} and not canvas.graph.wires and not canvas.scene.wire_items
    canvas.window.undo_stack.undo()
    assert set(canvas.graph.nodes) == {inp, a, b}
    assert [(w.source, w.target) for w in canvas.graph.wires] == [(inp, a), (a, b)]
    assert len(canvas.scene.wire_items) == 2


def test_copy_paste_makes_fresh_names_and_keeps_inner_wires(canvas):
    inp = canvas.node_id("input")
    a = canvas.drop("Dense", 0, 250)
    b = canvas.drop("Dropout", 0, 420)
    canvas.wire(inp, a)
    canvas.wire(a, b)
    canvas.select(a, b)
    canvas.window.actions_by_name["copy"].trigger()
    canvas.window.actions_by_name["paste"].trigger()
    names = sorted(n.name for n in canvas.graph.nodes.values())
    assert names == ["dense", "dense_1", "dropout", "dropout_1", "input"]
    pasted = set(canvas.scene.selected_node_ids())
    assert len(pasted) == 2 and not pasted & {a, b}
    inner = [w for w in canvas.graph.wires if w.source in pasted]
    assert len(inner) == 1 and inner[0].target in pasted
    canvas.window.undo_stack.undo()
    assert len(canvas.graph.nodes) == 3


def test_auto_arrange_is_one_step_and_places_layers_below_their_inputs(canvas):
    inp = canvas.node_id("input")
    a = canvas.drop("Dense", 300, -200)
    canvas.wire(inp, a)
    count = canvas.window.undo_stack.count()
    canvas.window.actions_by_name["arrange"].trigger()
    assert canvas.window.undo_stack.count() == count + 1
    assert canvas.graph.nodes[a].position[1] > canvas.graph.nodes[inp].position[1]


def test_zoom_actions_scale_the_view(canvas):
    scale = canvas.view.transform().m11()
    canvas.window.actions_by_name["zoom_in"].trigger()
    assert canvas.view.transform().m11() > scale
    canvas.window.actions_by_name["zoom_out"].trigger()
    canvas.window.actions_by_name["zoom_out"].trigger()
    assert canvas.view.transform().m11() < scale


def test_double_click_in_palette_adds_after_the_selected_layer(canvas):
    inp = canvas.node_id("input")
    canvas.select(inp)
    item = canvas.window.palette.layer_items["Dense"]
    canvas.window.palette.tree.itemActivated.emit(item, 0)
    (wire,) = canvas.graph.wires
    assert wire.source == inp
    assert format_shape(canvas.report(wire.target).output_shape) == "(None, 32)"
    canvas.window.undo_stack.undo()
    assert len(canvas.graph.nodes) == 1 and not canvas.graph.wires


def test_totals_are_shown(canvas):
    inp = canvas.node_id("input")
    a = canvas.drop("Dense", 0, 250)
    canvas.wire(inp, a)
    text = canvas.window.totals_label.text()
    assert "Params 160" in text and "Layers 1" in text and "Mult-adds 128" in text


def test_palette_search_filters(window):
    palette = window.palette
    palette.search.setText("conv")
    visible = palette.visible_layers()
    assert "Conv2D" in visible and "Dense" not in visible
    palette.search.setText("")
    assert "Dense" in palette.visible_layers()


def test_middle_button_pans(canvas):
    h = canvas.view.horizontalScrollBar().value()
    start = QPointF(0, 300)
    canvas.mouse("press", start, button=Qt.MiddleButton, buttons=Qt.MiddleButton)
    canvas.mouse("move", start + QPointF(-60, 0), buttons=Qt.MiddleButton)
    canvas.mouse("release", start + QPointF(-60, 0), button=Qt.MiddleButton)
    assert canvas.view.horizontalScrollBar().value() != h
