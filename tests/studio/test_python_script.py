"""The exported Keras training script: the project's preprocessing as Keras layers, the CSV from the command line
or beside the script, streamed in batches by a `keras.utils.PyDataset`, `--backend`, `--distribute`, and models
with several inputs and outputs. The scripts run in real Keras (torch backend) in subprocesses."""

import os
import shutil
import subprocess
import sys
import textwrap
import tracemalloc
import types
from importlib.util import find_spec

import numpy as np
import pytest
from test_exchange import iris_project

import engine
from studio import exchange, headless
from studio.data import DataSpec, prepare, read_csv
from studio.data.bindings import Bindings
from studio.data.columns import ColumnRole
from studio.data.examples import example_path, example_spec
from studio.data.feed import InputSlot, OutputHead, resolve_feed
from studio.document import Graph, Wire, new_node
from studio.document.examples import cnn
from studio.document.project import Project
from studio.script.data import data_code
from studio.script.run import devices_code, layout_hints
from studio.training.compile_settings import default_settings

ENV = {**os.environ, "KERAS_BACKEND": "torch"}


def run_script(args, cwd, timeout=300):
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def houses_csv(path, bad_line: int | None = None):
    """Sizes, a city category with a missing value, an age with missing values, a price target."""
    rows = ["size,city,age,price"]
    rng = np.random.default_rng(3)
    for i in range(40):
        city = ["north", "south", "east"][i % 3] if i != 7 else "NA"
        age = "" if i in (4, 9) else f"{rng.uniform(1, 50):.1f}"
        size = "big" if i + 2 == bad_line else f"{rng.uniform(50, 200):.2f}"
        rows.append(f"{size},{city},{age},{rng.uniform(1e5, 5e5):.0f}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_data_section_prepares_the_csv_through_keras_layers_as_the_studio_does(tmp_path):
    """Categorical features, filled missing values, a scaled regression target: the script's Normalization and
    CategoryEncoding layers (written from the studio's layer configs) give the studio's arrays and split,
    streamed batch by batch or read whole."""
    keras = pytest.importorskip("keras")
    spec = DataSpec.from_table(read_csv(houses_csv(tmp_path / "houses.csv")))
    spec.missing = "fill"
    spec.target_scaling = "standard"
    spec.column("city").type = "categorical"
    prepared = prepare(spec)
    feed = resolve_feed(spec, prepared.preprocessor, [InputSlot("x")], [OutputHead("y")])
    code = data_code(spec, prepared.preprocessor, feed, ["mean_squared_error"],
                     sorted(int(r) for r in prepared.validation.rows))
    assert "layers.Normalization(" in code and "layers.CategoryEncoding(" in code and "studio" not in \
        code.replace("LayerStudio", "")
    namespace = {"__file__": str(tmp_path / "model.py"), "args": types.SimpleNamespace(csv=tmp_path / "houses.csv"),
                 "keras": keras, "layers": keras.layers}
    exec(compile(code, "data_code", "exec"), namespace)
    csv_file = namespace["CsvFile"](tmp_path / "houses.csv", 8)
    training = namespace["CsvBatches"](csv_file, "training")
    x, y = training.whole()
    order = np.argsort(prepared.train.rows)
    np.testing.assert_allclose(x, prepared.train.x[order], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(y, prepared.train.y[order], rtol=1e-6, atol=1e-6)
    assert len(training) == -(-len(order) // 8)
    batches = [training[i] for i in range(len(training))]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    x_val, _ = namespace["CsvBatches"](csv_file, "validation").whole()
    np.testing.assert_allclose(x_val, prepared.validation.x[np.argsort(prepared.validation.rows)], atol=1e-6)

    odd = namespace["CsvBatches"](csv_file, "training", multiple_of=3)  # 3 devices share each batch
    assert odd.left_out() == len(order) % 8 % 3 and len(odd[len(odd) - 1][0]) % 3 == 0
    (tmp_path / "new.csv").write_text("size,city,age,price\n100,west,,1\n120,north,3,2\n")
    new_x, _ = namespace["encode"](namespace["CsvFile"](tmp_path / "new.csv", 8), [2, 3], [
        ["100", "west", "", "1"], ["120", "north", "3", "2"]])
    studio_x = prepared.preprocessor.transform(read_csv(tmp_path / "new.csv")).x
    np.testing.assert_allclose(new_x, studio_x, rtol=1e-6, atol=1e-6)  # "west": not seen, all zeros
    assert new_x[0, 1:4].tolist() == [0, 0, 0]
    bad = namespace["CsvFile"](houses_csv(tmp_path / "bad.csv", bad_line=12), 8)
    with pytest.raises(namespace["CsvError"], match=r"bad.csv, line 12, column 'size': 'big' is not a number"):
        namespace["CsvBatches"](bad, "training").whole()


def test_the_csv_index_keeps_where_batches_start_not_the_rows(tmp_path):
    """One pass over a 2 MB CSV keeps a position per batch: its memory peak is a small part of the file."""
    keras = pytest.importorskip("keras")
    spec = DataSpec.from_table(read_csv(houses_csv(tmp_path / "houses.csv")))
    spec.column("city").type = "categorical"
    prepared = prepare(spec)
    feed = resolve_feed(spec, prepared.preprocessor, [InputSlot("x")], [OutputHead("y")])
    namespace = {"__file__": str(tmp_path / "model.py"), "keras": keras, "layers": keras.layers,
                 "args": types.SimpleNamespace(csv=tmp_path / "big.csv")}
    exec(compile(data_code(spec, prepared.preprocessor, feed, ["mean_squared_error"], []), "data", "exec"), namespace)
    rng = np.random.default_rng(0)
    with open(tmp_path / "big.csv", "w") as file:
        file.write("size,city,age,price\n")
        for i in range(60_000):
            file.write(f"{rng.uniform(50, 200):.4f},{'north' if i % 2 else 'south'},{i % 50},{100000 + i}\n")
    size = os.path.getsize(tmp_path / "big.csv")
    tracemalloc.start()
    csv_file = namespace["CsvFile"](tmp_path / "big.csv", 256)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert csv_file.sizes["training"] == 60_000 and len(csv_file.starts["training"]) == 235
    assert peak < size / 10, (peak, size)
    x, y = namespace["CsvBatches"](csv_file, "training")[234]  # the last batch, read from its position
    assert x.shape == (60_000 - 234 * 256, 5) and y[-1, 0] == pytest.approx(159_999)


def test_pixel_columns_become_images_through_rescaling_as_in_the_studio(tmp_path):
    """The 8x8 digits: pixel columns divided by the training rows' largest value (Rescaling), clipped to [0, 1]
    (ReLU capped at 1), reshaped to (8, 8, 1): the studio's images."""
    keras = pytest.importorskip("keras")
    spec = example_spec("digits")
    prepared = prepare(spec)
    feed = resolve_feed(spec, prepared.preprocessor, [InputSlot("image")], [OutputHead("digits")])
    code = data_code(spec, prepared.preprocessor, feed, ["sparse_categorical_crossentropy"],
                     sorted(int(r) for r in prepared.validation.rows))
    assert "layers.Rescaling(0.0625" in code and "layers.Reshape((8, 8, 1)" in code
    namespace = {"__file__": str(tmp_path / "model.py"), "keras": keras, "layers": keras.layers,
                 "args": types.SimpleNamespace(csv=example_path("digits"))}
    exec(compile(code, "data_code", "exec"), namespace)
    x, y = namespace["CsvBatches"](namespace["CsvFile"](example_path("digits"), 64), "validation").whole()
    order = np.argsort(prepared.validation.rows)
    assert x.shape == (len(order), 8, 8, 1)
    np.testing.assert_allclose(x, prepared.validation.x[order], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(y, prepared.validation.y[order])


def test_script_copied_alone_with_its_csv_trains_with_distribute_and_saves(tmp_path):
    """`python model.py data.csv --distribute` in another folder: Keras on torch cannot distribute, so the script
    says so and trains on one device; --save writes the trained model; without an argument the CSV is read
    relative to the script, and a missing one is named before Keras starts."""
    pytest.importorskip("keras")
    project = iris_project(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "iris.csv").write_bytes(open(project.data["path"], "rb").read())
    project.data["path"] = "data/iris.csv"  # relative to the project file, as a saved project keeps it
    headless.train(project, epochs=1)
    script, weights = exchange.export_python(project, tmp_path / "model.py")
    text = open(script).read()
    assert str(tmp_path) not in text and 'DEFAULT_CSV = Path(__file__).parent / "data/iris.csv"' in text
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name in (script, weights):
        (elsewhere / os.path.basename(name)).write_bytes(open(name, "rb").read())
    (elsewhere / "data.csv").write_bytes((tmp_path / "data" / "iris.csv").read_bytes())

    run = run_script(["model.py", "data.csv", "--distribute", "--epochs", "1", "--save", "trained.keras"], elsewhere)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "--distribute: keras.distribution does not train on the torch backend" in run.stderr
    assert "120 training rows, 30 validation rows" in run.stdout and "val_loss" in run.stdout
    trained = engine.saving.load_model(elsewhere / "trained.keras", compile=False).get_weights()
    exported = exchange.trained_model(project).get_weights()
    assert [w.shape for w in trained] == [w.shape for w in exported]
    assert not all(np.allclose(a, b) for a, b in zip(trained, exported))  # one more epoch changed them

    missing = run_script([elsewhere / "model.py"], tmp_path, timeout=60)  # elsewhere/data/iris.csv is absent
    assert missing.returncode == 1 and f"{elsewhere / 'data' / 'iris.csv'}: no such CSV file" in missing.stderr


def test_distribute_on_jax_shares_each_batch_among_two_cpu_devices(tmp_path):
    """Where keras.distribution trains (jax; XLA shows two CPU devices): DataParallel over both, the odd row of
    the last batch left out and said; a batch size that does not split is refused naming one that does."""
    if find_spec("jax") is None or find_spec("keras") is None:
        pytest.skip("the jax backend is not installed")
    project = iris_project(tmp_path)
    headless.train(project, epochs=1)
    script, _ = exchange.export_python(project, tmp_path / "model.py")
    rows = open(exchange.data_spec(project).path).read().splitlines()
    (tmp_path / "odd.csv").write_text("\n".join(rows[:-1]) + "\n")  # 149 rows: 119 training rows
    env = {**ENV, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    run = subprocess.run([sys.executable, script, "odd.csv", "--backend", "jax", "--distribute", "--epochs", "1"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Training with DataParallel on 2 device(s): cpu:0, cpu:1" in run.stdout
    assert "The last 1 training row(s) are left out of each epoch" in run.stdout and "val_loss" in run.stdout
    odd = subprocess.run([sys.executable, script, "odd.csv", "--backend", "jax", "--distribute", "--batch-size", "15"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert odd.returncode == 1 and "must be a multiple of 2 (it is 15): add --batch-size 16" in odd.stderr


def test_a_backend_that_is_not_installed_is_named_with_what_to_install(tmp_path):
    absent = [b for b in ("jax", "tensorflow", "torch") if find_spec(b) is None]
    if not absent or find_spec("keras") is None:
        pytest.skip("every Keras backend is installed, or Keras is not")
    project = iris_project(tmp_path)
    headless.train(project, epochs=1)
    script, _ = exchange.export_python(project, tmp_path / "model.py")
    run = run_script([script, exchange.data_spec(project).path, "--backend", absent[0]], tmp_path, timeout=60)
    assert run.returncode == 1
    assert f"Keras's {absent[0]} backend is not installed: pip install {absent[0]}" in run.stderr


def add(graph: Graph, type_name: str, name: str, inputs=(), **config) -> str:
    node = new_node(graph, type_name, config=config, name=name)
    graph.add_node(node)
    for port, source in enumerate(inputs):
        graph.add_wire(Wire(source, node.id, port))
    return node.id


def two_in_two_out_project(tmp_path) -> Project:
    """Iris with two Inputs (sepals, petals) and two outputs (species: softmax, petal width: linear)."""
    g = Graph()
    a = add(g, "Input", "sepals", shape=[2])
    b = add(g, "Input", "petals", shape=[1])
    joined = add(g, "Concatenate", "joined", [add(g, "Dense", "sepal_branch", [a], units=8, activation="relu"),
                                              add(g, "Dense", "petal_branch", [b], units=4, activation="relu")])
    add(g, "Dense", "species", [joined], units=3, activation="softmax")
    add(g, "Dense", "width", [joined], units=1)
    spec = example_spec("iris")
    spec.column("petal_width").role = ColumnRole.TARGET
    spec.bindings = Bindings({"sepals": ["sepal_length", "sepal_width"], "petals": ["petal_length"]},
                             {"species": "species", "width": "petal_width"})
    project = Project(g, data=spec.to_dict(), compile=default_settings({"species": "multiclass",
                                                                         "width": "regression"}),
                      training={"epochs": 2, "batch_size": 16, "shuffle": False})
    project.path = str(tmp_path / "two.lsproj")
    return project


DRIVER = textwrap.dedent("""
    import runpy, sys
    for argv in [a.split("|") for a in sys.argv[1:]]:
        sys.argv = argv
        runpy.run_path(argv[0], run_name="__main__")
""")


def test_streamed_batches_train_the_same_weights_as_arrays_for_one_and_two_inputs(tmp_path):
    """Shuffle off: the PyDataset reading the CSV batch by batch and `fit` on the whole arrays (--in-memory) give
    the same trained weights, for a one-input model and for two inputs and two outputs."""
    pytest.importorskip("keras")
    iris = iris_project(tmp_path)
    iris.training = {"epochs": 2, "batch_size": 16, "shuffle": False}
    runs = []
    for name, project in (("iris", iris), ("two", two_in_two_out_project(tmp_path))):
        headless.train(project, epochs=1)
        script, _ = exchange.export_python(project, tmp_path / f"{name}.py")
        csv_path = exchange.data_spec(project).path
        runs += [f"{script}|{csv_path}|--epochs|1|--save|{tmp_path / name}_streamed.keras",
                 f"{script}|{csv_path}|--epochs|1|--in-memory|--save|{tmp_path / name}_in_memory.keras"]
    text = open(tmp_path / "two.py").read()
    assert 'INPUTS = [(["sepal_length", "sepal_width"], False), (["petal_length"], False)]' in text
    (tmp_path / "driver.py").write_text(DRIVER)
    run = run_script([tmp_path / "driver.py", *runs], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "species_loss" in run.stdout and "val_width" in run.stdout
    for name in ("iris", "two"):
        streamed = engine.saving.load_model(tmp_path / f"{name}_streamed.keras", compile=False).get_weights()
        in_memory = engine.saving.load_model(tmp_path / f"{name}_in_memory.keras", compile=False).get_weights()
        for a, b in zip(streamed, in_memory, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_large_dense_and_embedding_weights_get_model_parallel_layout_hints():
    tokens = engine.Input((10,), dtype="int32")
    z = engine.layers.Embedding(2000, 64, name="words")(tokens)
    z = engine.layers.Flatten()(z)
    z = engine.layers.Dense(200, name="wide")(z)
    model = engine.Model(tokens, engine.layers.Dense(2, name="out")(z))
    assert layout_hints(model, threshold=100_000) == {"words/embeddings": (None, "model"),
                                                      "wide/kernel": (None, "model")}
    assert layout_hints(model) == {}  # nothing near a million values
    code = devices_code(model, threshold=100_000)
    assert 'LAYOUT_HINTS = {"words/embeddings": (None, "model"), "wide/kernel": (None, "model")}' in code
    assert "keras.distribution.ModelParallel(" in code and "keras.distribution.DataParallel(" in code


@pytest.mark.parametrize("name, kind", [("elnino", "time-series windows"), ("definitions", "text (Keras's")])
def test_data_the_script_cannot_read_is_refused_with_the_reason(name, kind):
    spec = example_spec(name)
    refusal = exchange.script_refusal(prepare(spec).preprocessor, spec)
    assert f"this project's data are {kind}" in refusal and "export the model as .keras or ONNX" in refusal
    iris = example_spec("iris")
    assert exchange.script_refusal(prepare(iris).preprocessor, iris) is None
    assert example_path(name).exists()


def test_training_scripts_are_ruff_clean(tmp_path):
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    digits = cnn()
    digits.data = {**digits.data, "path": str(example_path("digits"))}
    digits.path = str(tmp_path / "cnn.lsproj")
    for name, project in (("iris", iris_project(tmp_path)), ("two", two_in_two_out_project(tmp_path)),
                          ("cnn", digits)):
        headless.train(project, epochs=1)
        exchange.export_python(project, tmp_path / f"{name}.py")
    result = subprocess.run([ruff, "check", "--isolated", "--select", "E,F,W,I,B,UP", "--line-length", "88",
                             "--target-version", "py311", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
