"""Bindings of column groups to Inputs and targets to outputs: saved, proposed, checked, and trained from the CLI."""

import csv
import json

import numpy as np
import pytest

from studio.__main__ import main
from studio.data import DataSpec, prepare, read_csv
from studio.data.bindings import Bindings
from studio.data.columns import ColumnRole, ColumnType
from studio.data.examples import example_path
from studio.data.feed import BindingError, InputSlot, OutputHead, propose_bindings, resolve_feed
from studio.document import Graph, Wire, new_node
from studio.document.project import Project, load_project, save_project
from studio.training.compile_settings import default_settings

IRIS = str(example_path("iris"))
SEPALS, PETALS = ["sepal_length", "sepal_width"], ["petal_length"]


def iris_two_targets() -> DataSpec:
    """Iris with two targets: the species (3 classes) and the petal width (a number)."""
    spec = DataSpec.from_table(read_csv(IRIS))
    spec.column("petal_width").role = ColumnRole.TARGET
    return spec


def add(graph: Graph, type_name: str, name: str, inputs=(), **config) -> str:
    node = new_node(graph, type_name, config=config, name=name)
    graph.add_node(node)
    for port, source in enumerate(inputs):
        graph.add_wire(Wire(source, node.id, port))
    return node.id


def two_in_two_out_graph() -> Graph:
    """Inputs 'sepals' (2 columns) and 'petals' (1), heads 'species' (softmax) and 'width' (linear)."""
    g = Graph()
    a = add(g, "Input", "sepals", shape=[2])
    b = add(g, "Input", "petals", shape=[1])
    da = add(g, "Dense", "sepal_branch", [a], units=16, activation="relu")
    db = add(g, "Dense", "petal_branch", [b], units=8, activation="relu")
    j = add(g, "Concatenate", "joined", [da, db])
    h = add(g, "Dense", "hidden", [j], units=16, activation="relu")
    add(g, "Dense", "species", [h], units=3, activation="softmax")
    add(g, "Dense", "width", [h], units=1, activation="linear")
    return g


def test_bindings_round_trip_and_old_specs_still_open():
    spec = iris_two_targets()
    spec.bindings = Bindings({"sepals": SEPALS, "petals": PETALS}, {"species": "species", "width": "petal_width"})
    again = DataSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again.bindings == spec.bindings and [c.name for c in again.targets] == ["petal_width", "species"]
    old = {k: v for k, v in spec.to_dict().items() if k != "bindings"} | {"version": 1}
    assert DataSpec.from_dict(old).bindings.is_empty()
    with pytest.raises(Exception, match="input bindings must map Input node names to lists"):
        DataSpec.from_dict({**spec.to_dict(), "bindings": {"inputs": {"sepals": "sepal_length"}}})


def test_proposals_split_the_features_and_pair_heads_with_targets():
    spec = iris_two_targets()
    inputs = [InputSlot("sepals", 2), InputSlot("petals", 1)]
    heads = [OutputHead("kind", 3, "softmax"), OutputHead("width", 1, "linear")]
    proposed = propose_bindings(spec, inputs, heads)
    assert proposed.inputs == {"sepals": SEPALS, "petals": PETALS}  # the Inputs' widths split the columns
    assert proposed.outputs == {"kind": "species", "width": "petal_width"}  # by kind: classes to the softmax head
    uneven = propose_bindings(spec, [InputSlot("a", 7), InputSlot("b", 7)], heads)
    assert uneven.inputs == {"a": SEPALS, "b": PETALS}  # widths that do not add up: an even split
    kept = propose_bindings(spec.__class__(**{**spec.__dict__, "bindings": Bindings({"petals": ["sepal_width"]})}),
                            inputs, heads)
    assert kept.inputs == {"petals": ["sepal_width"], "sepals": ["sepal_length", "petal_length"]}
    single = DataSpec.from_table(read_csv(IRIS))
    assert propose_bindings(single, [InputSlot("x", 4)], [OutputHead("y", 3, "softmax")]).is_empty()


def test_an_embedding_input_takes_a_categorical_column_as_codes(tmp_path):
    path = tmp_path / "shop.csv"
    rng = np.random.default_rng(0)
    colors = rng.choice(["red", "green", "blue"], size=40)
    with open(path, "w") as f:
        f.write("size,color,price\n" + "".join(f"{i % 7},{c},{i * 1.5}\n" for i, c in enumerate(colors)))
    spec = DataSpec.from_table(read_csv(str(path)))
    assert spec.column("color").type == ColumnType.CATEGORICAL
    slots = [InputSlot("numbers", 1), InputSlot("color_code", 1, codes=True)]
    spec.bindings = propose_bindings(spec, slots, [OutputHead("price", 1, "linear")])
    assert spec.bindings.inputs == {"color_code": ["color"], "numbers": ["size"]}
    data = prepare(spec)
    feed = resolve_feed(spec, data.preprocessor, slots, [OutputHead("price", 1, "linear")])
    x = feed.x(data.train.x)
    assert x[0].shape == (len(data.train), 1) and x[1].shape == (len(data.train), 1)
    categories = data.preprocessor.features[1].categories
    # Code 0 is kept for a category not seen in training: the categories count from 1.
    assert [categories[int(c) - 1] for c in x[1][:5, 0]] == [colors[r] for r in data.train.rows[:5]]
    small = [slots[0], InputSlot("color_code", 1, codes=True, code_limit=("color_embedding", 3))]
    with pytest.raises(BindingError, match="Column 'color' has 3 categories \\(codes 1 to 3 and code 0 for a category "
                                           "not seen in training\\), but Embedding 'color_embedding' after Input "
                                           "'color_code' takes codes below 3: set its input_dim to 4 or more"):
        resolve_feed(spec, data.preprocessor, small, [OutputHead("price", 1, "linear")])
    spec.category_codes_from = 0  # a project trained before: codes from 0, and input_dim 3 is enough
    feed = resolve_feed(spec, data.preprocessor, small, [OutputHead("price", 1, "linear")])
    assert [categories[int(c)] for c in feed.x(data.train.x)[1][:5, 0]] == [colors[r] for r in data.train.rows[:5]]
    assert DataSpec.from_dict(spec.to_dict()).category_codes_from == 0
    with pytest.raises(Exception, match="category_codes_from is 2; expected 0 or 1"):
        DataSpec.from_dict({**spec.to_dict(), "category_codes_from": 2})
    spec.category_codes_from = 1
    spec.bindings = Bindings({"color_code": ["size"], "numbers": ["color"]})
    with pytest.raises(BindingError, match="Input 'color_code' feeds an Embedding, which takes category codes, but "
                                           "column 'size' is numeric"):
        resolve_feed(spec, data.preprocessor, slots, [OutputHead("price", 1, "linear")])


@pytest.mark.parametrize("bindings, heads, message", [
    (Bindings({"sepals": SEPALS}, {"species": "species", "width": "petal_width"}), None,
     "Input 'petals' has no columns: select it and tick its columns"),
    (Bindings({"sepals": SEPALS, "petals": ["sepal_width"]}, {"species": "species", "width": "petal_width"}), None,
     "Column 'sepal_width' is bound to two Inputs, 'sepals' and 'petals'"),
    (Bindings({"sepals": SEPALS, "petals": ["species"]}, {"species": "species", "width": "petal_width"}), None,
     "Input 'petals' takes column 'species', which is a target column, not a feature"),
    (Bindings({"sepals": SEPALS, "petals": PETALS}, {"species": "species"}), None,
     "Output 'width' has no target"),
    (Bindings({"sepals": SEPALS, "petals": PETALS}, {"species": "species", "width": "species"}), None,
     "Target 'species' is bound to two outputs"),
    (Bindings({"sepals": SEPALS, "petals": PETALS}, {"species": "petal_width", "width": "species"}), None,
     "Output 'species' gives 3 values per row, but its target 'petal_width' is one number"),
    (Bindings({"sepals": SEPALS, "petals": PETALS}, {"species": "species", "width": "petal_width"}),
     [OutputHead("species", 1, "sigmoid"), OutputHead("width", 1, "linear")],
     "Output 'species' has 1 unit, but its target 'species' has 3 classes: give it 3 units with a softmax"),
    (Bindings({"sepals": SEPALS, "petals": PETALS}, {"species": "species", "width": "petal_width"}),
     [OutputHead("species", 3, "softmax"), OutputHead("width", 1, "softmax")],
     "Output 'width' has a softmax activation"),
])
def test_bindings_that_do_not_fit_name_the_node_and_column(bindings, heads, message):
    spec = iris_two_targets()
    spec.bindings = bindings
    data = prepare(spec)
    heads = heads or [OutputHead("species", 3, "softmax"), OutputHead("width", 1, "linear")]
    with pytest.raises(BindingError, match=message):
        resolve_feed(spec, data.preprocessor, [InputSlot("sepals", 2), InputSlot("petals", 1)], heads)


def test_classes_on_a_regression_head_are_refused():
    spec = DataSpec.from_table(read_csv(str(example_path("breast_cancer"))))
    data = prepare(spec)
    with pytest.raises(BindingError, match="Output 'p' is a regression head \\(1 linear unit\\), but its target "
                                           "'diagnosis' holds classes \\('benign', 'malignant'\\)"):
        resolve_feed(spec, data.preprocessor, [InputSlot("x", 30)], [OutputHead("p", 1, "linear")])


@pytest.fixture
def two_io_project(tmp_path) -> str:
    spec = iris_two_targets()
    spec.bindings = Bindings({"sepals": SEPALS, "petals": PETALS}, {"species": "species", "width": "petal_width"})
    spec.split.seed = 1
    project = Project(two_in_two_out_graph(), data=spec.to_dict(),
                      compile=default_settings({"species": "multiclass", "width": "regression"}),
                      training={"epochs": 60, "batch_size": 16})
    project.compile["optimizer"]["config"]["learning_rate"] = 0.01
    path = tmp_path / "two.lsproj"
    save_project(project, path)
    return str(path)


def test_cli_trains_evaluates_and_predicts_two_inputs_and_two_outputs(two_io_project, tmp_path, capsys):
    assert main(["train", two_io_project]) == 0
    out = capsys.readouterr().out
    assert "species_accuracy" in out and "val_width_mae" in out
    assert main(["evaluate", two_io_project]) == 0
    out = capsys.readouterr().out
    validation = dict(item.rsplit(" ", 1) for item in out.split("validation: ")[1].splitlines()[0].split(", "))
    assert float(validation["species_accuracy"]) >= 0.85  # chance is 0.33
    assert float(validation["width_mae"]) < 0.35  # the petal width spans 0.1 to 2.5 cm (std 0.76)
    predictions = tmp_path / "p.csv"
    assert main(["predict", two_io_project, IRIS, "-o", str(predictions)]) == 0
    rows = list(csv.reader(open(predictions, newline="")))
    assert rows[0][5:] == ["species predicted", "species p(setosa)", "species p(versicolor)", "species p(virginica)",
                           "petal_width predicted"]
    assert len(rows) == 151 and rows[1][5] in ("setosa", "versicolor", "virginica") and float(rows[1][9]) < 1.0
    reopened = load_project(two_io_project)
    assert reopened.data["bindings"]["inputs"]["petals"] == PETALS
    for fmt in ("keras", "onnx"):
        assert main(["export", two_io_project, "--format", fmt, "-o", str(tmp_path / f"m.{fmt}")]) == 0
    assert main(["export", two_io_project, "--format", "py", "-o", str(tmp_path / "m.py")]) == 0
    script = (tmp_path / "m.py").read_text()  # each Input its columns, each output its target
    assert 'INPUTS = [(["sepal_length", "sepal_width"], False), (["petal_length"], False)]' in script
    assert '"column": "species"' in script and '"column": "petal_width"' in script


def test_cli_names_the_input_without_columns(two_io_project, capsys):
    project = load_project(two_io_project)
    project.data["bindings"]["inputs"].pop("petals")
    save_project(project, two_io_project)
    assert main(["train", two_io_project, "--epochs", "1"]) == 1
    assert "Input 'petals' has no columns" in capsys.readouterr().err
    assert load_project(two_io_project).runs == []
