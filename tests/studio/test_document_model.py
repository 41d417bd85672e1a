"""The document without Qt: catalog, graph edits, shape inference, multiply-adds, building, project files."""

import inspect
import json
import os

import pytest

import engine
from studio.document import (
    Graph,
    GraphError,
    ProjectFileError,
    ShapeInference,
    Wire,
    build_model,
    layer_type,
    layer_types,
    load_project,
    new_node,
    normalize_config,
    save_project,
)
from studio.document.catalog import NOT_IN_PALETTE, NOT_ON_CANVAS, CatalogError, LayerType
from studio.document.clipboard import copy_selection, paste_plan
from studio.document.cost import format_count, multiply_adds
from studio.document.describe import key_settings
from studio.document.examples import EXAMPLES
from studio.document.layout import layered_positions
from studio.document.project import Project


def chain(*specs):
    """A graph Input(4) -> each (type, config) in turn; returns (graph, [ids])."""
    graph = Graph()
    ids = [graph.add_node(new_node(graph, "Input", config={"shape": [4]})).id]
    for type_name, config in specs:
        node = graph.add_node(new_node(graph, type_name, config=config))
        graph.add_wire(Wire(ids[-1], node.id))
        ids.append(node.id)
    return graph, ids


# -- catalog -------------------------------------------------------------------------------------
def test_catalog_offers_every_exported_layer_by_family():
    types = layer_types()
    skipped = {"InputSpec", "Wrapper", "Merge", *NOT_IN_PALETTE, *NOT_ON_CANVAS}
    for name in engine.layers.__all__:
        cls = getattr(engine.layers, name)
        if (inspect.isclass(cls) and issubclass(cls, engine.layers.Layer) and name == cls.__name__
                and name not in skipped and not name.endswith("Cell") and not name.startswith("Base")):
            assert name in types, f"{name} is exported by engine.layers but missing from the palette"
    assert types["Dense"].family == "core" and types["Dropout"].family == "regularization"
    assert types["Input"].is_input and types["Input"].arity == (0, 0)
    assert types["Dense"].summary
    if "Concatenate" in types:
        assert types["Concatenate"].is_merge and types["Concatenate"].arity == (2, None)
    if "Conv2D" in types:
        assert types["Conv2D"].family == "convolutional"


def test_every_default_config_round_trips_through_the_engine():
    for name, ltype in layer_types().items():
        config = ltype.default_config()
        assert normalize_config(name, json.loads(json.dumps(config))) == config, name


def test_argument_kinds_pick_the_right_editors():
    kinds = {a.name: a.kind for a in layer_type("Dense").arguments(layer_type("Dense").default_config())}
    assert kinds == {"units": "int", "activation": "activation", "use_bias": "bool",
                     "kernel_initializer": "initializer", "bias_initializer": "initializer",
                     "kernel_regularizer": "regularizer", "bias_regularizer": "regularizer",
                     "kernel_constraint": "constraint", "bias_constraint": "constraint"}
    if "Conv2D" in layer_types():
        conv = {a.name: a for a in layer_type("Conv2D").arguments(layer_type("Conv2D").default_config())}
        assert conv["kernel_size"].kind == "ints" and conv["padding"].choices == ("valid", "same")


def test_invalid_values_are_refused_with_the_engines_reason():
    with pytest.raises(CatalogError, match="units"):
        normalize_config("Dense", {**layer_type("Dense").default_config(), "units": 0})
    with pytest.raises(CatalogError, match="positive"):
        normalize_config("Input", {"shape": [0]})
    with pytest.raises(CatalogError, match="not a layer"):
        layer_type("Teleporter")


# -- graph ----------------------------------------------------------------------------------------
def test_graph_refuses_cycles_taken_ports_and_feeding_an_input():
    graph, (inp, a, b) = chain(("Dense", {}), ("Dense", {}))
    add = graph.add_node(new_node(graph, "Add")).id
    graph.add_wire(Wire(b, add, 0))
    with pytest.raises(GraphError, match="cannot feed itself"):
        graph.add_wire(Wire(add, add, 1))
    extra = graph.add_node(new_node(graph, "Dense")).id
    graph.add_wire(Wire(add, extra))
    with pytest.raises(GraphError, match="cycle"):
        graph.add_wire(Wire(extra, add, 1))
    with pytest.raises(GraphError, match="taken"):
        graph.add_wire(Wire(inp, a))
    with pytest.raises(GraphError, match="model input"):
        graph.add_wire(Wire(a, inp))
    with pytest.raises(GraphError, match="wires"):
        graph.remove_node(a)
    graph.add_node(new_node(graph, "Dense", name="x"))
    with pytest.raises(GraphError, match="already named"):
        graph.rename(a, "x")


def test_names_stay_unique_and_batch_emits_changed_once():
    graph = Graph()
    names = [graph.add_node(new_node(graph, "Dense")).name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]
    calls = []
    graph.changed.connect(lambda: calls.append(1))
    with graph.batch():
        for node_id in list(graph.nodes):
            graph.remove_node(node_id)
    assert calls == [1]


# -- inference --------------------------------------------------------------------------------------
def test_inference_reports_shapes_params_and_multiply_adds():
    graph, (inp, a, b) = chain(("Dense", {"units": 16, "activation": "relu"}), ("Dense", {"units": 3}))
    analysis = ShapeInference().infer(graph)
    assert analysis.reports[a].output_shape == (None, 16) and analysis.reports[a].params == 80
    assert analysis.reports[b].multiply_adds == 48 and analysis.total_params == 131
    assert analysis.ok


def test_inference_reuses_cached_layers_and_rebuilds_only_what_changed(monkeypatch):
    graph, ids = chain(*[("Dense", {"units": 8})] * 6)
    created = []
    original = LayerType.create
    monkeypatch.setattr(LayerType, "create", lambda self, config, name: (name != "probe" and created.append(name))
                        or original(self, config, name))
    inference = ShapeInference()
    inference.infer(graph)
    assert len(created) == 7
    created.clear()
    inference.infer(graph)
    assert created == []
    config = normalize_config("Dense", {**graph.nodes[ids[4]].config, "units": 5})
    created.clear()
    graph.set_config(ids[4], config)
    inference.infer(graph)
    assert created == [graph.nodes[ids[4]].name, graph.nodes[ids[5]].name]


def test_upstream_problem_blocks_downstream_without_turning_it_red():
    graph, (inp, a, b) = chain(("Reshape", {"target_shape": [3]}), ("Dense", {}))
    analysis = ShapeInference().infer(graph)
    assert analysis.reports[a].error and analysis.reports[b].error is None
    assert analysis.reports[b].blocked_by == graph.nodes[a].name


def test_graph_wide_problems_are_listed():
    analysis = ShapeInference().infer(Graph())
    assert any("no Input" in p for p in analysis.problems)


# -- multiply-adds --------------------------------------------------------------------------------
def test_multiply_adds_formulas():
    assert multiply_adds("Dense", "core", {"units": 10}, [(None, 20)], (None, 10)) == 200
    assert multiply_adds("Dense", "core", {"units": 10}, [(None, 5, 20)], (None, 5, 10)) == 1000
    conv = {"kernel_size": [3, 3], "filters": 8, "groups": 1, "data_format": "channels_last"}
    assert multiply_adds("Conv2D", "convolutional", conv, [(None, 28, 28, 3)], (None, 26, 26, 8)) == \
        3 * 3 * 3 * 8 * 26 * 26
    assert multiply_adds("LSTM", "rnn", {"units": 32}, [(None, 20, 8)], (None, 32)) == 4 * (8 + 32) * 32 * 20
    assert multiply_adds("GRU", "rnn", {"units": 4}, [(None, 5, 2)], (None, 4)) == 3 * 6 * 4 * 5
    assert multiply_adds("Flatten", "reshaping", {}, [(None, 2, 3)], (None, 6)) == 0
    assert multiply_adds("Mystery", "other", {}, [(None, 3)], (None, 3)) is None
    assert format_count(None) == "—" and format_count(12345) == "12.3K" and format_count(999) == "999"


def test_key_settings_text():
    graph, (_, a) = chain(("Dense", {"units": 16, "activation": "relu"}))
    assert key_settings(graph.nodes[a]) == "16 units · relu"


# -- building ---------------------------------------------------------------------------------------
def test_examples_build_with_the_parameter_counts_keras_gives():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    for key, (_, make) in EXAMPLES.items():
        try:
            project = make()
        except CatalogError:
            continue  # the engine does not have this example's layers yet
        graph = project.graph
        ours = build_model(graph)
        tensors = {}
        for nid in graph.topological_order():
            node = graph.nodes[nid]
            if node.type == "Input":
                tensors[nid] = keras.Input(shape=tuple(node.config["shape"]), name=node.name)
                continue
            layer = getattr(keras.layers, node.type).from_config({**node.config, "name": node.name})
            args = [tensors[w.source] for w in graph.inputs_of(nid)]
            tensors[nid] = layer(args if layer_type(node.type).is_merge else args[0])
        inputs = [tensors[n.id] for n in graph.input_nodes()]
        outputs = [tensors[n] for n in graph.model_outputs()]
        theirs = keras.Model(inputs, outputs)
        assert ours.count_params() == theirs.count_params(), key
        assert tuple(ours.output_shape) == tuple(theirs.output_shape), key


# -- files --------------------------------------------------------------------------------------------
def test_project_round_trip_keeps_everything(tmp_path):
    graph, ids = chain(("Dense", {"units": 7}))
    graph.set_outputs([ids[1]])
    project = Project(graph, data={"path": "x.csv"}, compile={"loss": "mse"}, training={"epochs": 5},
                      runs=[{"id": 1}], extra={"later_key": [1, 2]})
    path = tmp_path / "p.lsproj"
    save_project(project, path)
    again = load_project(path)
    assert again.to_dict() == project.to_dict()
    assert json.loads(path.read_text())["format_version"] == 1


@pytest.mark.parametrize("text, message", [
    ("{", "broken at line 1"),
    ('{"graph": {}}', "format_version"),
    ('{"format_version": 2}', "newer LayerStudio"),
    ('{"format_version": 1, "graph": {"nodes": [{"id": "a"}]}}', "graph node 1: 'type'"),
    ('{"format_version": 1, "graph": {"nodes": []}, "runs": {}}', "'runs' must be a list"),
    ('{"format_version": 1, "graph": {"nodes": [], "outputs": ["zz"]}}', "outputs"),
])
def test_bad_files_raise_clear_errors(tmp_path, text, message):
    path = tmp_path / "bad.lsproj"
    path.write_text(text)
    with pytest.raises(ProjectFileError, match=message):
        load_project(path)


def test_files_with_a_cycle_are_refused(tmp_path):
    graph, (inp, a, b) = chain(("Dense", {}), ("Dense", {}))
    data = Project(graph).to_dict()
    data["graph"]["wires"] = [{"source": inp, "target": a, "port": 0}, {"source": a, "target": b, "port": 0},
                              {"source": b, "target": a, "port": 0}]
    path = tmp_path / "cycle.lsproj"
    path.write_text(json.dumps(data))
    with pytest.raises(ProjectFileError, match="wire 3"):
        load_project(path)


def test_examples_on_disk_are_current_and_valid():
    for key in EXAMPLES:
        path = os.path.join(os.path.dirname(__file__), "..", "..", "studio", "assets", "examples", f"{key}.lsproj")
        project = load_project(path)
        assert ShapeInference().infer(project.graph).ok, key


# -- layout and clipboard ---------------------------------------------------------------------------
def test_layout_puts_every_layer_below_its_inputs():
    project = EXAMPLES["two_branch"][1]()
    positions = layered_positions(project.graph)
    for wire in project.graph.wires:
        assert positions[wire.target][1] > positions[wire.source][1]


def test_paste_plan_renames_and_rewires():
    graph, (inp, a, b) = chain(("Dense", {}), ("Dense", {}))
    nodes, wires = paste_plan(graph, copy_selection(graph, [a, b]))
    assert [n.name for n in nodes] == ["dense_2", "dense_3"]
    assert wires == [Wire(nodes[0].id, nodes[1].id, 0)]
    with pytest.raises(GraphError, match="clipboard"):
        paste_plan(graph, {"nodes": [{"id": 1}]})


def test_a_file_with_bad_configs_loads_with_the_problems_on_the_nodes(tmp_path):
    graph, (inp, a) = chain(("Dense", {}))
    data = Project(graph).to_dict()
    data["graph"]["nodes"][0]["config"]["shape"] = [0]
    data["graph"]["nodes"][1]["config"]["units"] = -3
    data["graph"]["nodes"].append({"id": "x", "type": "FutureLayer", "name": "future", "config": {},
                                   "position": [0, 0]})
    path = tmp_path / "odd.lsproj"
    path.write_text(json.dumps(data))
    project = load_project(path)
    analysis = ShapeInference().infer(project.graph)
    assert "positive" in analysis.reports[inp].error
    assert analysis.reports[a].blocked_by == "input"
    assert "not a layer of this engine" in analysis.reports["x"].error
    assert project.to_dict() == data  # nothing is rewritten behind the user's back


def test_numeric_preprocessing_layers_are_on_the_palette_and_string_ones_say_why_not():
    types = layer_types()
    for name in ("Rescaling", "CategoryEncoding", "Discretization"):
        assert types[name].family == "preprocessing", name
    assert types["Discretization"].default_config()["bin_boundaries"] == [0.0]
    for name in ("StringLookup", "TextVectorization", "Hashing", "IntegerLookup"):
        assert name not in types and "raw text" in NOT_ON_CANVAS[name]


def test_preprocessing_cards_show_their_key_settings():
    for name, expected in (("Rescaling", "× 1.0"), ("CategoryEncoding", "10 tokens · multi-hot"),
                           ("Discretization", "2 bins")):
        node = new_node(Graph(), name)
        assert key_settings(node) == expected
