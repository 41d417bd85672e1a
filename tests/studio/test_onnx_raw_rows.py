"""`--format onnx-raw`: the exported ONNX model, run in onnxruntime on raw CSV rows (strings and floats read with
Python's csv module), gives the studio's own Predict's classes and probabilities, for a table of numbers (Iris), a
penguins-like table of numbers and categories with missing values, and a text column; class names and column
order come from `metadata_props`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studio import exchange, headless
from studio.data import DataSpec, read_csv
from studio.data.column_data import MISSING_TOKENS
from studio.data.columns import ColumnRole
from studio.data.spec import MissingStrategy, Scaling
from studio.document.examples import _Builder
from studio.onnx_raw import LAYOUT
from tests.studio.csv_rows import read_rows, write_rows
from tests.studio.penguins_like import write_penguins

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def number(cell: str) -> float:
    """A CSV cell as the ONNX model takes a number: NaN where the studio reads it as missing."""
    return float("nan") if cell.strip().lower() in MISSING_TOKENS else float(cell)


def onnx_predict(path, rows: list[dict[str, str]]) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """(probabilities, class names, metadata) of the ONNX file on raw rows, fed as its metadata documents."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    assert meta["preprocessing"] == LAYOUT
    columns = json.loads(meta["input_columns"])
    inputs = {i.name: i.type for i in session.get_inputs()}
    assert sorted(inputs) == sorted(columns)  # one input per column, named as the column
    feeds = {}
    for name in columns:
        if inputs[name] == "tensor(float)":
            feeds[name] = np.array([[number(r[name])] for r in rows], dtype=np.float32)
        else:
            feeds[name] = np.array([[r[name].strip()] for r in rows], dtype=object)
    (probabilities,) = session.run(["probabilities"], feeds)
    return probabilities, json.loads(meta["class_names"]), meta


def studio_predict(project, csv_path, folder) -> tuple[list[dict[str, str]], np.ndarray]:
    """The rows the studio's Predict answers, and its probabilities for them (class names order)."""
    out = folder / "studio_predicted.csv"
    headless.predict_csv(project, str(csv_path), str(out))
    rows = read_rows(out)
    classes = exchange.fitted_preprocessor(project).class_names
    return rows, np.array([[float(r[f"p({c})"]) for c in classes] for r in rows])


def trained(project, spec, folder, epochs: int = 2, loss: str = "sparse_categorical_crossentropy"):
    project.data = spec.to_dict()
    project.compile = {"optimizer": {"name": "adam", "config": {"learning_rate": 0.01}}, "loss": loss,
                       "metrics": [] if loss == "mean_squared_error" else ["accuracy"]}
    project.training = {"epochs": epochs, "batch_size": 32}
    project.path = str(folder / "project.lsproj")
    headless.train(project, epochs=epochs)
    return project


def test_iris_raw_rows_match_the_studios_predict(trained_iris, tmp_path):
    project, _ = trained_iris
    path = exchange.export_raw_onnx(project, tmp_path / "iris.onnx")
    csv_path = exchange.data_spec(project).path
    got, classes, meta = onnx_predict(path, read_rows(csv_path))
    _, expected = studio_predict(project, csv_path, tmp_path)
    assert classes == ["setosa", "versicolor", "virginica"] and meta["target"] == "species"
    assert json.loads(meta["input_columns"]) == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert got.argmax(axis=1).tolist() == expected.argmax(axis=1).tolist()
    plain = ort.InferenceSession(exchange.export_onnx(project, tmp_path / "plain.onnx"),
                                 providers=["CPUExecutionProvider"])
    raw = np.array([[float(r[c]) for c in json.loads(meta["input_columns"])] for r in read_rows(csv_path)],
                   dtype=np.float32)
    (prepared,) = plain.run(None, {plain.get_inputs()[0].name: raw})
    assert np.abs(prepared - got).max() > 1e-3  # the plain export expects standardized features, not raw rows


@pytest.fixture(scope="module")
def penguins(tmp_path_factory):
    """A model trained on a penguins-like table: numbers and categories, missing values filled in `sex` (most
    frequent) and `body_mass_g` (mean), rows missing `bill_length_mm` dropped."""
    folder = tmp_path_factory.mktemp("penguins")
    csv_path = folder / "penguins.csv"
    write_penguins(csv_path)
    spec = DataSpec.from_table(read_csv(csv_path))
    for name, strategy in (("sex", "fill"), ("body_mass_g", "fill"), ("bill_length_mm", "drop_rows")):
        spec.column(name).missing = MissingStrategy(strategy)
    spec.column("year").role = ColumnRole.IGNORE
    assert [c.name for c in spec.features] == ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                                               "body_mass_g", "sex"]
    b = _Builder()
    b.add("Input", "features", shape=[9])  # 3 islands, 4 numbers, 2 sexes (a missing sex is filled, not a category)
    b.add("Dense", "hidden", ["features"], units=8, activation="relu")
    b.add("Dense", "species", ["hidden"], units=3, activation="softmax")
    project = b.project()
    spec_types = {c.name: c.type.value for c in spec.features}
    assert spec_types["island"] == spec_types["sex"] == "categorical"
    return trained(project, spec, folder), csv_path, folder


def test_penguins_raw_rows_with_categories_and_missing_values_match_the_studios_predict(penguins, tmp_path):
    project, csv_path, _ = penguins
    rows = read_rows(csv_path)
    rows[5]["body_mass_g"] = "NA"  # filled with the training mean inside the graph
    rows[6]["sex"] = "Missing"  # any spelling of a missing token: filled with the most frequent sex
    edited = tmp_path / "new_penguins.csv"
    write_rows(edited, rows)
    path = exchange.export_raw_onnx(project, tmp_path / "penguins.onnx")
    got, classes, meta = onnx_predict(path, rows)
    predicted, expected = studio_predict(project, edited, tmp_path)
    assert classes == ["Adelie", "Chinstrap", "Gentoo"] and meta["target"] == "species"
    answered = [i for i, r in enumerate(rows) if r["Sample ID"] in {p["Sample ID"] for p in predicted}]
    assert len(answered) == len(rows) - 2  # rows 3 and 50 miss bill_length_mm, whose rows are dropped
    assert [rows[i]["Sample ID"] for i in answered] == [p["Sample ID"] for p in predicted]
    np.testing.assert_allclose(got[answered], expected, atol=1e-5)
    assert got[answered].argmax(axis=1).tolist() == expected.argmax(axis=1).tolist()
    assert np.isnan(got[[3, 50]]).all()  # what the studio refuses comes out as NaN, never as a guess


def test_penguins_unseen_category_is_unknown_as_in_the_studio_and_an_infinite_number_gives_nan(penguins, tmp_path):
    project, csv_path, _ = penguins
    rows = read_rows(csv_path)[:3]  # row 3 misses bill_length_mm
    rows[0]["island"] = "Atlantis"
    rows[1]["sex"] = "nA"  # read as missing in any casing, as the studio's CSV reader does
    path = exchange.export_raw_onnx(project, tmp_path / "penguins.onnx")
    write_rows(tmp_path / "unseen.csv", rows)
    _, expected = studio_predict(project, tmp_path / "unseen.csv", tmp_path)
    got, _, _ = onnx_predict(path, rows)
    np.testing.assert_allclose(got, expected, atol=1e-5)  # "Atlantis": no island, in both
    rows[1]["flipper_length_mm"] = "inf"
    got, _, _ = onnx_predict(path, rows)
    assert np.isnan(got[1]).all() and np.isfinite(got[[0, 2]]).all()
    write_rows(tmp_path / "infinite.csv", rows)
    with pytest.raises(exchange.ExchangeError, match="not a finite number"):  # the studio refuses it too
        headless.predict_csv(project, str(tmp_path / "infinite.csv"), str(tmp_path / "out.csv"))
    notes = []  # the studio's Predict names the unseen category it took as unknown
    headless.predict_csv(project, str(tmp_path / "unseen.csv"), str(tmp_path / "out.csv"), notes)
    assert notes == ["column 'island': 1 row holds a category not seen in training (first 'Atlantis', line 2), "
                     "taken as unknown (no category)"]


def test_text_raw_rows_match_the_studios_predict(tmp_path):
    from studio.data.examples import example_spec
    from studio.document.examples import text

    spec = example_spec("definitions")
    project = trained(text(), spec, tmp_path, epochs=1)
    rows = read_rows(spec.path)[:200]
    rows[0]["definition"] = "  A Person, who -- LACKS good judgment!!  (Unseen-Words: xyzzy) \t é "
    edited = tmp_path / "definitions.csv"
    write_rows(edited, rows)
    path = exchange.export_raw_onnx(project, tmp_path / "text.onnx")
    got, classes, meta = onnx_predict(path, rows)
    _, expected = studio_predict(project, edited, tmp_path)
    assert classes == exchange.fitted_preprocessor(project).class_names and len(classes) == 4
    assert json.loads(meta["input_columns"]) == ["definition"]
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert got.argmax(axis=1).tolist() == expected.argmax(axis=1).tolist()


def test_binary_sigmoid_model_gives_both_class_probabilities(tmp_path):
    """The Breast Cancer example's one sigmoid unit becomes p(first class), p(second class), as the studio shows."""
    from studio.data.examples import example_spec
    from studio.document.examples import residual

    spec = example_spec("breast_cancer")
    project = trained(residual(), spec, tmp_path, epochs=1, loss="binary_crossentropy")
    rows = read_rows(spec.path)
    got, classes, _ = onnx_predict(exchange.export_raw_onnx(project, tmp_path / "cancer.onnx"), rows)
    _, expected = studio_predict(project, spec.path, tmp_path)
    assert len(classes) == 2 and got.shape == (len(rows), 2)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_regression_gives_the_target_in_the_files_units(penguins, tmp_path):
    """Body mass learned from standardized targets comes back in grams (the missing values filled in the graph)."""
    _, csv_path, _ = penguins
    spec = DataSpec.from_table(read_csv(csv_path))
    spec.column("year").role = ColumnRole.IGNORE
    spec.column("species").role = ColumnRole.FEATURE
    spec.column("body_mass_g").role = ColumnRole.TARGET
    spec.missing, spec.target_scaling = MissingStrategy.FILL, Scaling.STANDARD
    b = _Builder()
    b.add("Input", "features", shape=[11])  # 3 species, 3 islands, 3 numbers, 2 sexes
    b.add("Dense", "grams", ["features"], units=1)
    project = trained(b.project(), spec, tmp_path, loss="mean_squared_error")
    rows = read_rows(csv_path)
    path = exchange.export_raw_onnx(project, tmp_path / "mass.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: (np.array([[number(r[i.name])] for r in rows], dtype=np.float32) if i.type == "tensor(float)"
                      else np.array([[r[i.name]] for r in rows], dtype=object)) for i in session.get_inputs()}
    assert [o.name for o in session.get_outputs()] == ["body_mass_g"]
    (got,) = session.run(None, feeds)
    out = tmp_path / "mass.csv"
    headless.predict_csv(project, str(csv_path), str(out))
    expected = np.array([float(r["predicted"]) for r in read_rows(out)])
    np.testing.assert_allclose(got[:, 0], expected, rtol=1e-5)
    assert expected.mean() > 1000  # grams, not standardized units


def test_file_export_writes_the_raw_rows_onnx_of_the_open_project(window, penguins, tmp_path, monkeypatch, qtbot):
    """File > Export > ONNX on raw CSV rows in the window: the file it writes takes the CSV's columns as they are."""
    from PySide6.QtWidgets import QFileDialog

    from tests.studio.test_import_export_window import file_action

    project, csv_path, _ = penguins
    window.set_project(project)
    target = tmp_path / "from_window.onnx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    action = file_action(window, "ONNX on raw CSV rows")
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File")
    file_menu.aboutToShow.emit()  # as when the user opens File
    assert action.isEnabled()
    with qtbot.waitSignal(window.exporter.finished, timeout=20000) as done:
        action.trigger()
    assert done.args == [[str(target)]]
    rows = read_rows(csv_path)[:3]
    got, classes, _ = onnx_predict(target, rows)
    assert classes == ["Adelie", "Chinstrap", "Gentoo"] and got.shape == (3, 3)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)


def test_a_model_fed_column_groups_is_refused_with_the_reason_and_nothing_written(tmp_path):
    from studio.data.examples import example_spec
    from studio.document.examples import two_branch

    project = two_branch()
    spec = exchange.data_spec(project)
    spec.path = example_spec("wine").path
    project = trained(project, spec, tmp_path, epochs=1)
    with pytest.raises(exchange.ExchangeError, match="take parts of the data.*export the plain ONNX model"):
        exchange.export_raw_onnx(project, tmp_path / "wine.onnx")
    assert not (tmp_path / "wine.onnx").exists()
