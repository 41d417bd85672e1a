"""Attention layers on the canvas document: one wire is self-attention, two are query and value, three add the key;
a gap in the ports is named; shapes, multiply-adds, card text and the built model follow the engine."""

from __future__ import annotations

import numpy as np

from studio.document import Graph, ShapeInference, Wire, build_model, layer_type, new_node
from studio.document.cost import multiply_adds
from studio.document.describe import key_settings


def sequence_graph(*extra_inputs):
    """Input(5, 8) [+ more inputs] -> MultiHeadAttention -> GlobalAveragePooling1D -> Dense(2)."""
    graph = Graph()
    first = graph.add_node(new_node(graph, "Input", config={"shape": [5, 8]})).id
    others = [graph.add_node(new_node(graph, "Input", config={"shape": shape})).id for shape in extra_inputs]
    mha = graph.add_node(new_node(graph, "MultiHeadAttention", config={"num_heads": 2, "key_dim": 4,
                                                                                    "value_dim": 4})).id
    pool = graph.add_node(new_node(graph, "GlobalAveragePooling1D")).id
    dense = graph.add_node(new_node(graph, "Dense", config={"units": 2})).id
    graph.add_wire(Wire(first, mha, 0))
    for port, source in enumerate(others, start=1):
        graph.add_wire(Wire(source, mha, port))
    graph.add_wire(Wire(mha, pool))
    graph.add_wire(Wire(pool, dense))
    return graph, mha


def test_one_wire_is_self_attention():
    graph, mha = sequence_graph()
    assert layer_type("MultiHeadAttention").arity == (1, 3) and graph.port_count(mha) == 3
    report = ShapeInference().infer(graph).reports[mha]
    assert report.ok and report.output_shape == (None, 5, 8)
    assert report.params == 3 * (8 * 2 * 4 + 2 * 4) + (2 * 4 * 8 + 8)  # q, k, v kernels and biases, then output
    assert report.multiply_adds == multiply_adds("MultiHeadAttention", "attention", {"num_heads": 2, "key_dim": 4},
                                        [(None, 5, 8)], (None, 5, 8)) == 2 * (3 * 5 * 8 * 4 + 5 * 5 * 8) + 5 * 8 * 8
    model = build_model(graph)
    out = model.predict(np.random.default_rng(0).normal(size=(3, 5, 8)).astype("float32"), verbose=0)
    assert out.shape == (3, 2)
    assert key_settings(graph.nodes[mha]) == "2 heads · key 4"


def test_query_value_and_key_ports():
    graph, mha = sequence_graph([7, 6], [7, 3])
    report = ShapeInference().infer(graph).reports[mha]
    assert report.ok and report.output_shape == (None, 5, 8)
    model = build_model(graph)
    rng = np.random.default_rng(1)
    x = [rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 7, 6)), rng.normal(size=(2, 7, 3))]
    assert model.predict([a.astype("float32") for a in x], verbose=0).shape == (2, 2)


def test_a_missing_value_port_is_named():
    graph, mha = sequence_graph()
    key = graph.add_node(new_node(graph, "Input", config={"shape": [5, 3]})).id
    graph.add_wire(Wire(key, mha, 2))
    report = ShapeInference().infer(graph).reports[mha]
    assert "value input (port 2) is not connected" in report.error


def test_attention_layer_takes_a_list():
    graph = Graph()
    a = graph.add_node(new_node(graph, "Input", config={"shape": [5, 4]})).id
    b = graph.add_node(new_node(graph, "Input", config={"shape": [6, 4]})).id
    att = graph.add_node(new_node(graph, "AdditiveAttention")).id
    graph.add_wire(Wire(a, att, 0))
    graph.add_wire(Wire(b, att, 1))
    report = ShapeInference().infer(graph).reports[att]
    assert report.ok and report.output_shape == (None, 5, 4)
    assert report.multiply_adds == 5 * 6 * (4 + 4)


def test_a_normalization_card_does_not_show_its_switches():
    graph = Graph()
    node = graph.add_node(new_node(graph, "LayerNormalization"))
    assert "True" not in key_settings(node)
