"""The random image layers on the canvas: dropped from the palette onto an image Input, their Keras arguments
edited in the property editor (fill mode choices, factor ranges), shapes, cost and card text live."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.document import Graph, ShapeInference, Wire, layer_type, new_node
from studio.document.describe import key_settings


def _image_graph(type_name: str, **config):
    graph = Graph()
    image = graph.add_node(new_node(graph, "Input", config={"shape": [8, 10, 3]})).id
    layer = graph.add_node(new_node(graph, type_name, config=config or None)).id
    graph.add_wire(Wire(image, layer))
    return graph, layer


def _card(type_name: str, **config) -> str:
    graph, layer = _image_graph(type_name, **config)
    return key_settings(graph.nodes[layer])


def test_shapes_cost_and_cards():
    for type_name, cost in (("RandomRotation", 4 * 8 * 10 * 3), ("RandomZoom", 4 * 8 * 10 * 3),
                            ("RandomTranslation", 4 * 8 * 10 * 3), ("RandomContrast", 8 * 10 * 3)):
        graph, layer = _image_graph(type_name)
        report = ShapeInference().infer(graph).reports[layer]
        assert report.ok and report.output_shape == (None, 8, 10, 3) and report.multiply_adds == cost, type_name
    graph, layer = _image_graph("RandomRotation", factor=[-0.2, 0.3], interpolation="nearest")
    assert ShapeInference().infer(graph).reports[layer].multiply_adds == 0  # nearest reads, weighs nothing
    assert key_settings(graph.nodes[layer]) == "-72°..108°"
    assert _card("RandomRotation") == "±36°" and _card("RandomZoom", height_factor=0.25) == "zoom ±25%"
    assert _card("RandomContrast", factor=0.2) == "contrast ×1..1.2"
    graph, layer = _image_graph("RandomTranslation", height_factor=0.1, width_factor=[-0.2, 0.3])
    assert key_settings(graph.nodes[layer]) == "shift h ±10% · w -20%..30%"
    shown = [a.name for a in layer_type("RandomZoom").arguments(graph.nodes[layer].config | {"width_factor": None})]
    assert shown[:4] == ["height_factor", "width_factor", "fill_mode", "interpolation"] and "fill_value" in shown


def _type(qtbot, field, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key_Return)


def test_dropped_and_edited_in_the_window(canvas, qtbot):
    inp = canvas.node_id("input")
    canvas.select(inp)
    _type(qtbot, canvas.window.properties.editors["shape"].widget, "16, 16, 3")
    rotation = canvas.drop("RandomRotation", 0, 250)
    canvas.wire(inp, rotation)
    canvas.select(rotation)
    props = canvas.window.properties
    assert canvas.report(rotation).output_shape == (None, 16, 16, 3)
    fill = props.editors["fill_mode"].widget
    assert [fill.itemText(i) for i in range(fill.count())] == ["reflect", "wrap", "constant", "nearest"]
    fill.setCurrentIndex(fill.findText("constant"))
    assert canvas.graph.nodes[rotation].config["fill_mode"] == "constant"
    factor = props.editors["factor"].widget
    assert factor.text() == "[-0.1, 0.1]"
    _type(qtbot, factor, "0.25")
    assert canvas.graph.nodes[rotation].config["factor"] == [-0.25, 0.25]  # Keras keeps the range
    _type(qtbot, factor, "2")  # outside [-1, 1]: refused with the engine's message, the range kept
    assert canvas.graph.nodes[rotation].config["factor"] == [-0.25, 0.25]
    assert props.error.isVisibleTo(props) and "range [-1, 1]" in props.error.text()
    canvas.window.undo_stack.undo()
    assert canvas.graph.nodes[rotation].config["factor"] == [-0.1, 0.1]
    contrast = canvas.drop("RandomContrast", 0, 400)
    canvas.wire(rotation, contrast)
    canvas.select(contrast)
    _type(qtbot, props.editors["value_range"].widget, "0, 1.0")
    assert canvas.graph.nodes[contrast].config["value_range"] == [0, 1.0]
    assert canvas.report(contrast).ok and canvas.report(contrast).output_shape == (None, 16, 16, 3)
