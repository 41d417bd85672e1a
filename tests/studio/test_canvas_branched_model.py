"""A branched graph built through the GUI becomes the same engine model as the same code written by hand."""

import numpy as np
import pytest

import engine
from studio.document import build_model


def _configure(canvas, node_id, **values):
    canvas.select(node_id)
    for name, value in values.items():
        editor = canvas.window.properties.editors[name]
        if hasattr(editor.widget, "findText"):
            editor.widget.setCurrentIndex(editor.widget.findText(value))
        else:
            editor.widget.setValue(value)


def test_concatenate_and_residual_add_match_the_engine(canvas):
    """input(4) -> [a: Dense 16 relu, b: Dense 8 tanh] -> Concatenate -> Dense 24 -> Add(with concat) -> Dense 3."""
    inp = canvas.node_id("input")
    a = canvas.drop("Dense", -200, 250)
    b = canvas.drop("Dense", 200, 250)
    concat = canvas.drop("Concatenate", 0, 430)
    mix = canvas.drop("Dense", 0, 610)
    add = canvas.drop("Add", 0, 790)
    head = canvas.drop("Dense", 0, 970)
    _configure(canvas, a, units=16, activation="relu")
    _configure(canvas, b, units=8, activation="tanh")
    _configure(canvas, mix, units=24)
    _configure(canvas, head, units=3, activation="softmax")
    canvas.wire(inp, a)
    canvas.wire(inp, b)
    canvas.wire(a, concat, 0)
    canvas.wire(b, concat, 1)
    canvas.wire(concat, mix)
    canvas.wire(mix, add, 0)
    canvas.wire(concat, add, 1)
    canvas.wire(add, head)
    analysis = canvas.window.analysis.current
    assert analysis.ok, analysis.errors

    model = build_model(canvas.graph)
    assert not isinstance(model, engine.Sequential)

    x = engine.Input(shape=(4,), name="ref_input")
    ha = engine.layers.Dense(16, activation="relu", name="ref_a")(x)
    hb = engine.layers.Dense(8, activation="tanh", name="ref_b")(x)
    joined = engine.layers.Concatenate(name="ref_concat")([ha, hb])
    mixed = engine.layers.Dense(24, name="ref_mix")(joined)
    summed = engine.layers.Add(name="ref_add")([mixed, joined])
    out = engine.layers.Dense(3, activation="softmax", name="ref_head")(summed)
    reference = engine.Model(x, out)

    assert model.count_params() == reference.count_params() == analysis.total_params
    assert model.output_shape == reference.output_shape == (None, 3)
    names = {canvas.graph.nodes[n].name: n for n in canvas.graph.nodes}
    ours = model.layer_output_shapes()
    theirs = {k.removeprefix("ref_"): v for k, v in reference.layer_output_shapes().items()}
    mapping = {"dense": "a", "dense_1": "b", "concatenate": "concat", "dense_2": "mix", "add": "add",
               "dense_3": "head"}
    for gui_name, ref_name in mapping.items():
        assert ours[gui_name] == theirs[ref_name] == analysis.reports[names[gui_name]].output_shape
        gui_layer = model.get_layer(gui_name) if hasattr(model, "get_layer") else None
        if gui_layer is not None:
            assert gui_layer.count_params() == analysis.reports[names[gui_name]].params
    # the model runs, with the reference's weights it computes the same numbers
    reference.set_weights(model.get_weights())
    data = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(model.predict(data, verbose=0), reference.predict(data, verbose=0), rtol=1e-6)


def test_chain_builds_a_sequential_model(canvas):
    inp = canvas.node_id("input")
    a = canvas.drop("Dense", 0, 250)
    canvas.wire(inp, a)
    model = build_model(canvas.graph)
    assert isinstance(model, engine.Sequential)
    assert model.count_params() == canvas.window.analysis.current.total_params == 160


def test_model_with_a_problem_is_not_built(canvas):
    canvas.drop("Dense", 0, 250)  # dangling
    from studio.document import ModelBuildError
    with pytest.raises(ModelBuildError, match="dense: its input is not connected"):
        build_model(canvas.graph)
