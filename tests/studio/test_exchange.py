"""Models in and out of a project: Keras-written files imported onto the canvas, trained further and exported
back (.keras opened by Keras, ONNX run by onnxruntime, the Python script run by Keras on the project's CSV)."""

import os
import zipfile

import numpy as np
import pytest

import engine
from studio import exchange, headless
from studio.data import prepare
from studio.data.examples import example_spec
from studio.document import ShapeInference
from studio.document.from_model import ModelImportError, graph_from_model

os.environ.setdefault("KERAS_BACKEND", "torch")

COMPILE = {"optimizer": {"name": "adam", "config": {"learning_rate": 0.01}}, "loss": "sparse_categorical_crossentropy",
           "metrics": ["accuracy"]}


def _keras():
    try:
        import keras
    except ImportError:
        return None
    return keras


def write_two_branch(module, path):
    """A multi-input, multi-output functional model written by `module` (keras or engine)."""
    a, b = module.Input((4,), name="a"), module.Input((3,), name="b")
    h = module.layers.Dense(8, activation="relu", name="ha")(a)
    g = module.layers.Dense(8, activation="tanh", name="hb")(b)
    c = module.layers.Concatenate(name="cat")([h, g])
    out1 = module.layers.Dense(2, activation="softmax", name="cls")(c)
    out2 = module.layers.Dense(1, name="reg")(c)
    model = module.Model([a, b], [out1, out2], name="two_branch")
    model.save(path)
    return model


def write_iris_mlp(module, path):
    model = module.Sequential([module.Input((4,), name="features"), module.layers.Dense(8, activation="relu"),
                               module.layers.Dense(3, activation="softmax")], name="iris_mlp")
    model.save(path)
    return model


@pytest.fixture(params=["keras", "engine"])
def writer(request):
    """The module writing the .keras files: real Keras (skipped without it) and the engine."""
    if request.param == "engine":
        return engine
    keras = _keras()
    if keras is None:
        pytest.skip("keras is not installed")
    return keras


def test_keras_functional_model_shows_its_graph_shapes_and_params(writer, tmp_path):
    path = tmp_path / "two.keras"
    original = write_two_branch(writer, path)
    imported = exchange.import_keras(path)
    graph = imported.graph
    by_name = {n.name: n for n in graph.nodes.values()}
    assert [(n.type, n.name) for n in graph.nodes.values()] == [
        ("Input", "a"), ("Input", "b"), ("Dense", "ha"), ("Dense", "hb"), ("Concatenate", "cat"), ("Dense", "cls"),
        ("Dense", "reg")]
    wires = {(graph.nodes[w.source].name, graph.nodes[w.target].name, w.port) for w in graph.wires}
    assert wires == {("a", "ha", 0), ("b", "hb", 0), ("ha", "cat", 0), ("hb", "cat", 1), ("cat", "cls", 0),
                     ("cat", "reg", 0)}
    assert [graph.nodes[o].name for o in graph.model_outputs()] == ["cls", "reg"]
    assert by_name["hb"].config["activation"] == "tanh" and by_name["cls"].config["units"] == 2
    analysis = ShapeInference().infer(graph)
    assert not analysis.errors and not analysis.problems
    assert analysis.reports[by_name["cat"].id].output_shape == (None, 16)
    assert sum(r.params for r in analysis.reports.values()) == original.count_params() == 123
    positions = {n.position for n in graph.nodes.values()}
    assert len(positions) == 7 and by_name["a"].position[1] < by_name["ha"].position[1] < by_name["cat"].position[1]

    model = exchange.trained_model(exchange.imported_project(imported, path), compiled=False)
    x = [np.random.default_rng(0).normal(size=(5, 4)).astype("float32"),
         np.random.default_rng(1).normal(size=(5, 3)).astype("float32")]
    for ours, theirs in zip(model.predict(x, verbose=0), original.predict(x, verbose=0)):
        np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-5, atol=1e-6)


def test_keras_mask_operations_are_skipped(tmp_path):
    keras = pytest.importorskip("keras")
    tokens = keras.Input((5,), dtype="int32", name="tokens")
    z = keras.layers.Embedding(20, 4, mask_zero=True, name="embed")(tokens)
    z = keras.layers.LSTM(3, name="lstm")(z)
    out = keras.layers.Dense(1, name="out")(z)
    original = keras.Model(tokens, out)
    original.save(tmp_path / "masked.keras")
    imported = exchange.import_keras(tmp_path / "masked.keras")
    assert [n.name for n in imported.graph.nodes.values()] == ["tokens", "embed", "lstm", "out"]
    model = exchange.trained_model(exchange.imported_project(imported, "masked.keras"), compiled=False)
    x = np.array([[3, 4, 0, 0, 0], [1, 2, 3, 4, 5]], dtype="int32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(original.predict(x, verbose=0)), atol=1e-6)


def test_models_the_canvas_cannot_show_are_refused_by_name(tmp_path):
    inner = engine.Sequential([engine.Input((3,)), engine.layers.Dense(2)], name="inner")
    x = engine.Input((3,))
    nested = engine.Model(x, engine.layers.Dense(1)(inner(x)))
    with pytest.raises(ModelImportError, match="'inner' is itself a model"):
        graph_from_model(nested)
    shared = engine.layers.Dense(3, name="shared")
    a, b = engine.Input((3,)), engine.Input((3,))
    twice = engine.Model([a, b], engine.layers.Add()([shared(a), shared(b)]))
    with pytest.raises(ModelImportError, match="'shared' is called more than once"):
        graph_from_model(twice)
    bad = tmp_path / "cut.keras"
    write_iris_mlp(engine, tmp_path / "whole.keras")
    bad.write_bytes((tmp_path / "whole.keras").read_bytes()[:200])
    with pytest.raises(exchange.ExchangeError, match="cut.keras"):
        exchange.import_keras(bad)
    with pytest.raises(exchange.ExchangeError, match="does not exist"):
        exchange.import_keras(tmp_path / "none.keras")


def iris_project(tmp_path, imported_from=None):
    """The Iris data with an MLP: imported from `imported_from` (a .keras file) or the example graph."""
    from studio.document.examples import mlp
    project = exchange.imported_project(exchange.import_keras(imported_from), imported_from) if imported_from \
        else mlp()
    project.data = example_spec("iris").to_dict()
    project.compile = dict(COMPILE)
    project.training = {"epochs": 3, "batch_size": 16}
    project.path = str(tmp_path / "iris.lsproj")
    return project


def test_imported_keras_model_trains_further_and_exports_back(tmp_path):
    keras = _keras() or engine
    original = write_iris_mlp(keras, tmp_path / "mlp.keras")
    project = iris_project(tmp_path, tmp_path / "mlp.keras")
    data = prepare(exchange.data_spec(project))
    before = exchange.trained_model(project).evaluate(data.validation.x, data.validation.y, verbose=0,
                                                      return_dict=True)["loss"]
    np.testing.assert_allclose(exchange.trained_model(project).predict(data.validation.x, verbose=0),
                               np.asarray(original.predict(data.validation.x, verbose=0)), atol=1e-6)
    epochs = []
    run = headless.train(project, epochs=3, continue_last=True, report=lambda e, n, logs: epochs.append((e, n)))
    assert epochs == [(1, 3), (2, 3), (3, 3)] and run.run_id == 1 and len(project.runs) == 1
    assert run.history["val_loss"][-1] < before  # trained further from the imported weights, not anew
    assert project.data["preprocessor"]["target"]["classes"] == ["setosa", "versicolor", "virginica"]

    model = exchange.trained_model(project)
    exchange.export_keras(project, tmp_path / "back")
    assert (tmp_path / "back.keras").exists()
    reopened = keras.saving.load_model(tmp_path / "back.keras")
    np.testing.assert_allclose(np.asarray(reopened.predict(data.validation.x, verbose=0)),
                               model.predict(data.validation.x, verbose=0), rtol=1e-5, atol=1e-6)


def test_export_needs_a_trained_model_whose_weights_fit(tmp_path):
    project = iris_project(tmp_path)
    assert not exchange.has_trained_model(project)
    with pytest.raises(exchange.ExchangeError, match="no trained model yet"):
        exchange.export_keras(project, tmp_path / "m.keras")
    headless.train(project, epochs=1)
    hidden = next(n for n in project.graph.nodes.values() if n.name == "hidden")
    project.graph.set_config(hidden.id, {**hidden.config, "units": 5})
    with pytest.raises(exchange.ExchangeError, match="no longer fit the model"):
        exchange.export_onnx(project, tmp_path / "m.onnx")
    assert not (tmp_path / "m.keras").exists() and not (tmp_path / "m.onnx").exists()
    with pytest.raises(exchange.ExchangeError, match="does not exist"):
        exchange.export_keras(project, tmp_path / "no_folder" / "m.keras")


def test_onnx_export_matches_onnxruntime(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    project = iris_project(tmp_path)
    headless.train(project, epochs=1)
    path = exchange.export_onnx(project, tmp_path / "iris")
    assert path.endswith("iris.onnx")
    x = prepare(exchange.data_spec(project)).validation.x
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (ours,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(ours, exchange.trained_model(project).predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_exported_files_are_whole_and_readable(tmp_path):
    project = iris_project(tmp_path)
    headless.train(project, epochs=1)
    path = exchange.export_keras(project, tmp_path / "model.keras")
    assert zipfile.is_zipfile(path)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


def test_compile_settings_come_with_the_keras_file(writer, tmp_path):
    model = writer.Sequential([writer.Input((4,)), writer.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=writer.optimizers.RMSprop(learning_rate=0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.save(tmp_path / "compiled.keras")
    project = exchange.imported_project(exchange.import_keras(tmp_path / "compiled.keras"), tmp_path / "compiled.keras")
    assert project.compile["optimizer"]["name"] == "rmsprop"
    assert project.compile["optimizer"]["config"]["learning_rate"] == 0.01
    assert (project.compile["loss"], project.compile["metrics"]) == ("categorical_crossentropy", ["accuracy"])
    model.compile(optimizer="adam", loss=writer.losses.MeanSquaredError(), loss_weights=[2.0])
    model.save(tmp_path / "custom.keras")
    assert exchange.keras_compile_settings(tmp_path / "custom.keras") is None


def test_imported_two_branch_model_exports_to_onnx(writer, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    original = write_two_branch(writer, tmp_path / "two.keras")
    project = exchange.imported_project(exchange.import_keras(tmp_path / "two.keras"), tmp_path / "two.keras")
    path = exchange.export_onnx(project, tmp_path / "two.onnx")
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(5)
    feeds = {"a": rng.normal(size=(6, 4)).astype("float32"), "b": rng.normal(size=(6, 3)).astype("float32")}
    assert [i.name for i in session.get_inputs()] == ["a", "b"]
    for ours, theirs in zip(session.run(None, feeds), original.predict([feeds["a"], feeds["b"]], verbose=0)):
        np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-5, atol=1e-5)


