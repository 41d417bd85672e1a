"""Shape inference builds no weight arrays: a huge layer is inferred at once, flagged with its size, and every
palette layer gets the same output shape and parameter count as a real build."""

from __future__ import annotations

import numpy as np
import pytest

from engine.symbolic import KerasTensor
from engine.utils import shapes_only
from studio.document import new_node
from studio.document.catalog import layer_types
from studio.document.graph import Graph, LayerNode, Wire
from studio.document.inference import ShapeInference

CANDIDATE_SHAPES = [(8,), (6, 8), (6, 6, 8), (4, 4, 4, 8)]


def real_build(ltype, config: dict, shape: tuple):
    """(output shape, parameter count, weight shapes) of a real build, or None when the layer refuses the shape."""
    layer = ltype.create(config, "probe")
    tensors = [KerasTensor((None, *shape)) for _ in range(2 if ltype.is_merge else 1)]
    try:
        out = ltype.call(layer, tensors)
    except Exception:
        return None
    if not isinstance(out, KerasTensor):
        return None
    return tuple(out.shape), layer.count_params(), [tuple(w.shape) for w in layer.weights]


def inferred(type_name: str, config: dict, shape: tuple):
    graph = Graph()
    graph.add_node(LayerNode("in1", "Input", "in1", {"shape": list(shape), "batch_size": None, "dtype": "float32"},
                             (0, 0)))
    graph.add_node(LayerNode("layer", type_name, "probe", config, (0, 100)))
    graph.add_wire(Wire("in1", "layer", 0))
    if layer_types()[type_name].is_merge:
        graph.add_node(LayerNode("in2", "Input", "in2", {"shape": list(shape), "batch_size": None,
                                                         "dtype": "float32"}, (100, 0)))
        graph.add_wire(Wire("in2", "layer", 1))
    return ShapeInference().infer(graph).reports["layer"]


@pytest.mark.parametrize("type_name", [n for n, t in layer_types().items() if not t.is_input])
def test_every_palette_layer_gets_the_shapes_and_counts_of_a_real_build(type_name):
    ltype = layer_types()[type_name]
    config = ltype.default_config()
    for shape in CANDIDATE_SHAPES:
        real = real_build(ltype, config, shape)
        if real is not None:
            break
    else:
        pytest.skip(f"{type_name} builds on none of the sample shapes with its starting values")
    out, params, weight_shapes = real
    report = inferred(type_name, config, shape)
    assert report.error is None, report.error
    assert report.output_shape == out and report.params == params
    real_bytes = sum(int(np.prod(s)) for s in weight_shapes) * 4
    assert report.weight_bytes == real_bytes  # the palette makes float32 weights


def test_most_palette_layers_are_compared():
    compared = 0
    for ltype in layer_types().values():
        if not ltype.is_input and any(real_build(ltype, ltype.default_config(), s) for s in CANDIDATE_SHAPES):
            compared += 1
    assert compared >= 0.9 * (len(layer_types()) - 1)


def test_shapes_only_weights_take_no_memory_and_refuse_writes():
    import engine

    with shapes_only():
        layer = engine.layers.Dense(10**9)
        layer.build((None, 1000))
    kernel = layer.kernel
    assert kernel.shape == (1000, 10**9) and layer.count_params() == 10**12 + 10**9
    assert kernel.value.strides == (0, 0) and kernel.value.base.nbytes == 4
    with pytest.raises(ValueError):
        kernel.value[0, 0] = 1.0
    real = engine.layers.Dense(3)
    real.build((None, 2))
    assert np.any(real.kernel.value != 0) and real.kernel.value.flags.writeable  # outside the block: real weights


def test_a_huge_layer_is_inferred_at_once_and_flagged_with_its_size():
    graph = Graph()
    graph.add_node(LayerNode("in", "Input", "input", {"shape": [4], "batch_size": None, "dtype": "float32"}, (0, 0)))
    node = new_node(graph, "Dense")
    graph.add_node(node)
    graph.add_wire(Wire("in", node.id, 0))
    graph.set_config(node.id, {**node.config, "units": 10**8})
    analysis = ShapeInference().infer(graph)
    report = analysis.reports[node.id]
    assert report.ok and report.output_shape == (None, 10**8) and report.params == 5 * 10**8
    assert report.warning == "this layer holds 2.0 GB of weights"
    assert analysis.warnings == {node.id: report.warning}
    graph.set_config(node.id, {**node.config, "units": 1000})
    assert ShapeInference().infer(graph).warnings == {}


def test_the_window_flags_a_huge_layer_on_its_card_and_in_the_summary(canvas, qtbot, monkeypatch):
    monkeypatch.setattr("studio.document.inference.physical_memory", lambda: 2**40)  # 1 TiB: trainable here
    inp = canvas.node_id("input")
    dense = canvas.drop("Dense", 0, 250)
    canvas.wire(inp, dense)
    canvas.select(dense)
    canvas.window.properties.editors["units"].widget.setValue(800_000_000)  # 4 x 8e8 + 8e8 float32 weights
    assert canvas.graph.nodes[dense].config["units"] == 800_000_000
    report = canvas.report(dense)
    assert report.params == 4 * 10**9 and report.warning == "this layer holds 16.0 GB of weights"
    assert "16.0 GB of weights" in canvas.scene.node_items[dense].toolTip()
    summary = canvas.window.summary
    assert "dense: this layer holds 16.0 GB of weights" in summary.status.text()
    row = summary.table.topLevelItem(1)
    assert "16.0 GB" in row.toolTip(0) and row.foreground(0).color().name() == "#a15c00"
    canvas.window.undo_stack.undo()
    assert canvas.report(dense).warning is None and "GB" not in summary.status.text()


def test_a_model_too_large_to_train_in_this_memory_is_a_problem_that_names_its_largest_layer(monkeypatch):
    from studio.document.build import ModelBuildError, check_buildable

    monkeypatch.setattr("studio.document.inference.physical_memory", lambda: 4 * 10**9)
    graph = Graph()
    graph.add_node(LayerNode("in", "Input", "input", {"shape": [4], "batch_size": None, "dtype": "float32"}, (0, 0)))
    previous = "in"
    for units in (10**8, 10):
        node = new_node(graph, "Dense")
        graph.add_node(node)
        graph.add_wire(Wire(previous, node.id, 0))
        graph.set_config(node.id, {**node.config, "units": units})
        previous = node.id
    analysis = ShapeInference().infer(graph)
    assert analysis.problems == ["The model's weights take 6.0 GB ('dense_1' holds 4.0 GB); training needs about "
                                 "24.0 GB, more than this computer's 4.0 GB of memory. Make the large layers "
                                 "smaller."]
    with pytest.raises(ModelBuildError, match="more than this computer's 4.0 GB"):
        check_buildable(graph)
    monkeypatch.setattr("studio.document.inference.physical_memory", lambda: 25 * 10**9)
    assert ShapeInference().infer(graph).problems == []
