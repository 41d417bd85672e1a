"""TimeDistributed on the canvas: its wrapped layer chosen from the layers called on one tensor, that layer's
main settings edited beside it, shapes and cost live, and the built model saves and exports."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.document import Graph, ShapeInference, Wire, build_model, new_node
from studio.document.catalog import layer_type, wrappable_layers
from studio.document.describe import key_settings


def test_document_shapes_cost_and_card(tmp_path):
    graph = Graph()
    steps = graph.add_node(new_node(graph, "Input", config={"shape": [10, 8]})).id
    dense = graph.add_node(new_node(graph, "TimeDistributed")).id
    graph.add_wire(Wire(steps, dense))
    conv = graph.add_node(new_node(graph, "TimeDistributed", config={"layer": {
        "module": "keras.layers", "class_name": "Dense", "config": {"units": 3}, "registered_name": None}})).id
    graph.add_wire(Wire(dense, conv))
    reports = ShapeInference().infer(graph).reports
    assert reports[dense].output_shape == (None, 10, 32) and reports[dense].multiply_adds == 10 * 8 * 32
    assert reports[conv].output_shape == (None, 10, 3) and reports[conv].params == 32 * 3 + 3
    assert key_settings(graph.nodes[dense]) == "Dense 32"
    assert layer_type("TimeDistributed").summary == ("Applies the wrapped layer to every step of a sequence, with the "
                                                     "same weights at every step.")
    model = build_model(graph)
    model.save(tmp_path / "steps.keras")  # two wrapped Dense layers whose own names may repeat
    import engine
    again = engine.saving.load_model(tmp_path / "steps.keras")
    x = np.random.default_rng(0).normal(size=(2, 10, 8)).astype("float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert "Dense" in wrappable_layers("TimeDistributed") and "TimeDistributed" not in wrappable_layers(
        "TimeDistributed") and wrappable_layers("Bidirectional") == ("GRU", "LSTM", "SimpleRNN")


def test_wrapped_layer_chosen_and_edited_in_the_window(canvas, qtbot, tmp_path):
    inp = canvas.node_id("input")
    canvas.select(inp)
    field = canvas.window.properties.editors["shape"].widget
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "6, 5, 5, 1")
    qtbot.keyClick(field, Qt.Key_Return)
    node = canvas.drop("TimeDistributed", 0, 250)
    canvas.wire(inp, node)
    canvas.select(node)
    editor = canvas.window.properties.editors["layer"]
    assert editor.combo.currentText() == "Dense" and list(editor.inner_editors) == ["units", "activation"]
    editor.combo.setCurrentIndex(editor.combo.findText("Conv2D"))
    assert canvas.graph.nodes[node].config["layer"]["class_name"] == "Conv2D"
    editor = canvas.window.properties.editors["layer"]  # the form is rebuilt after the change
    assert list(editor.inner_editors) == ["filters", "kernel_size", "activation"]
    editor.inner_editors["filters"].widget.setValue(4)
    assert canvas.report(node).output_shape == (None, 6, 3, 3, 4)
    assert canvas.report(node).multiply_adds == 6 * 9 * 1 * 4 * 9
    editor = canvas.window.properties.editors["layer"]
    activation = editor.inner_editors["activation"].widget
    activation.setCurrentIndex(activation.findText("relu"))
    assert canvas.graph.nodes[node].config["layer"]["config"]["activation"] == "relu"
    canvas.window.undo_stack.undo()
    assert canvas.graph.nodes[node].config["layer"]["config"]["activation"] == "linear"
    flatten = canvas.drop("TimeDistributed", 0, 400)
    canvas.wire(node, flatten)
    canvas.select(flatten)
    combo = canvas.window.properties.editors["layer"].combo
    combo.setCurrentIndex(combo.findText("Flatten"))
    assert canvas.report(flatten).output_shape == (None, 6, 36) and canvas.report(flatten).multiply_adds == 0
    assert not canvas.window.properties.editors["layer"].inner_editors


def test_exports_to_onnx(tmp_path):
    pytest.importorskip("onnxruntime")
    import onnxruntime

    from engine.export import export_onnx
    graph = Graph()
    steps = graph.add_node(new_node(graph, "Input", config={"shape": [4, 6, 6, 2]})).id
    conv = graph.add_node(new_node(graph, "TimeDistributed", config={"layer": {
        "module": "keras.layers", "class_name": "Conv2D", "config": {"filters": 3, "kernel_size": [3, 3]},
        "registered_name": None}})).id
    graph.add_wire(Wire(steps, conv))
    model = build_model(graph)
    path = tmp_path / "steps.onnx"
    export_onnx(model, path)
    x = np.random.default_rng(1).normal(size=(2, 4, 6, 6, 2)).astype("float32")
    session = onnxruntime.InferenceSession(str(path))
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
