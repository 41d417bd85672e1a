"""A category not seen in training, in a column an Input takes as codes for an Embedding: code 0 (Keras's
StringLookup out-of-vocabulary index), named by Predict and `layerstudio predict` as the one-hot case is, and the
same code in the exported `.keras` inference model and ONNX on raw rows. Projects whose runs were trained before
code 0 was kept still open and predict with their own codes (the first category's code 0), and say so."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import engine
from studio import exchange
from studio.__main__ import main
from studio.data import DataSpec, read_csv
from studio.data.bindings import Bindings
from studio.data.columns import ColumnRole
from studio.data.feed import category_codes
from studio.data.spec import MissingStrategy
from studio.document.project import load_project, save_project
from tests.studio.penguins_like import trained, write_penguins

HEADER = "island,sex"
ROWS = ("Biscoe,male", "Atlantis,female", "Dream,NA")  # an unseen island; a missing sex (filled)
UNSEEN_NOTE = ("column 'island': 1 row holds a category not seen in training (first 'Atlantis', line 3), taken as "
               "unknown (code 0, the Embedding's row for unseen categories)")


def embedding_project(folder, codes_from: int = 1):
    """The penguins-like table's island and sex, taken as codes by an Embedding, trained 2 epochs headless."""
    from studio.document.examples import _Builder

    csv_path = folder / "penguins.csv"
    write_penguins(csv_path)
    spec = DataSpec.from_table(read_csv(csv_path))
    for c in spec.columns:
        if c.role == ColumnRole.FEATURE and c.name not in ("island", "sex"):
            c.role = ColumnRole.IGNORE
    spec.column("sex").missing = MissingStrategy.FILL
    spec.bindings = Bindings({"codes": ["island", "sex"]}, {"species": "species"})
    spec.category_codes_from = codes_from
    b = _Builder()
    b.add("Input", "codes", shape=[2])
    b.add("Embedding", "embedding", ["codes"], input_dim=3 + codes_from, output_dim=4)
    b.add("Flatten", "flat", ["embedding"])
    b.add("Dense", "species", ["flat"], units=3, activation="softmax")
    project = trained(b.project(), spec, folder)
    save_project(project, project.path)
    return project


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    return embedding_project(tmp_path_factory.mktemp("codes"))


def new_file(tmp_path, *rows, header=HEADER):
    path = tmp_path / "new.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return str(path)


def predicted(path) -> np.ndarray:
    rows = list(csv.reader(open(path)))
    columns = [i for i, name in enumerate(rows[0]) if name.startswith("p(")]
    return np.array([[float(r[i]) for i in columns] for r in rows[1:]])


def test_codes_keep_zero_for_an_unseen_category():
    one_hot = np.array([[0, 1, 0], [0, 0, 0], [1, 0, 0]], dtype="float32")
    np.testing.assert_array_equal(category_codes(one_hot, 1)[:, 0], [2, 0, 1])
    np.testing.assert_array_equal(category_codes(one_hot, 0)[:, 0], [1, 0, 0])  # before: unseen = the first


def test_predict_names_the_unseen_category_and_the_exports_give_the_same_answer(coded, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["predict", coded.path, new_file(tmp_path, *ROWS), "-o", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("Predicted 3 rows") and f"Note: {UNSEEN_NOTE}" in printed[1:]
    studio = predicted(out)

    model = engine.saving.load_model(exchange.export_inference_keras(coded, tmp_path / "raw.keras"))
    raw = {"island": np.array([["Biscoe"], ["Atlantis"], ["Dream"]], dtype=object),
           "sex": np.array([["male"], ["female"], ["NA"]], dtype=object)}
    got = model.predict(raw, verbose=0)
    np.testing.assert_allclose(np.hstack([got[c] for c in ("Adelie", "Chinstrap", "Gentoo")]), studio, atol=1e-5)

    # The unseen island is code 0: the Embedding's row 0, which no training row used.
    trained_model = exchange.trained_model(coded, compiled=False)
    table = trained_model.get_layer("embedding").get_weights()[0]
    codes = np.array([[0.0, 1.0]], dtype="float32")  # 'Atlantis' and the first sex
    features = engine.Model(trained_model.inputs, trained_model.get_layer("flat").output).predict(codes, verbose=0)
    np.testing.assert_allclose(features[0], np.concatenate([table[0], table[1]]), atol=1e-6)

    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(exchange.export_raw_onnx(coded, tmp_path / "raw.onnx"))
    onnx = session.run(None, raw)[0]
    np.testing.assert_allclose(onnx, studio, atol=1e-5)


def test_the_script_codes_categories_as_the_project_does(coded, tmp_path):
    files = exchange.export_python(coded, tmp_path / "model.py")
    text = open(files[0]).read()
    assert "CATEGORY_CODES_FROM = 1" in text and "one_hot.argmax(axis=1) + CATEGORY_CODES_FROM" in text


def test_a_project_trained_before_code_zero_still_opens_and_predicts_and_says_how(tmp_path, capsys):
    project = embedding_project(tmp_path, codes_from=0)
    saved = json.loads(open(project.path).read())
    del saved["data"]["category_codes_from"]  # as saved before this version
    with open(project.path, "w") as f:
        json.dump(saved, f)
    reopened = load_project(project.path)
    assert reopened.data["category_codes_from"] == 0  # it has runs: their codes
    out = tmp_path / "out.csv"
    assert main(["predict", project.path, new_file(tmp_path, *ROWS), "-o", str(out)]) == 0
    notes = capsys.readouterr().out
    assert "first 'Atlantis', line 3), taken as the first category 'Biscoe' (code 0" in notes
    assert "import it again and train to give it one" in notes
    old = predicted(out)
    assert main(["predict", project.path, new_file(tmp_path, "Biscoe,female"), "-o", str(out)]) == 0
    np.testing.assert_allclose(predicted(out)[0], old[1], atol=1e-6)  # 'Atlantis' was taken as 'Biscoe'
    del saved["runs"][:]
    with open(project.path, "w") as f:
        json.dump(saved, f)
    assert load_project(project.path).data["category_codes_from"] == 1  # nothing trained yet: code 0 kept


def test_in_the_window_the_embedding_makes_room_and_predict_names_the_unseen_category(window, canvas, qtbot,
                                                                                      monkeypatch, tmp_path):
    from tests.studio.test_data_kinds_in_window import Flow

    flow = Flow(window, canvas, qtbot, monkeypatch, tmp_path)
    data = tmp_path / "shop.csv"
    rng = np.random.default_rng(0)
    colors = rng.choice(["red", "green", "blue"], size=90)
    data.write_text("color,bought\n" + "".join(f"{c},{'yes' if c == 'red' else 'no'}\n" for c in colors))
    ids = flow.layers(("Embedding", {"output_dim": 4, "input_dim": 2}), ("Flatten", {}), ("Dense", {}))

    def choose(dialog):
        assert dialog.role_combo("color").currentText() == "feature"
        assert dialog.role_combo("bought").currentText() == "target"

    flow.import_csv(data, choose)
    assert window.project.data["category_codes_from"] == 1
    assert window.graph.nodes[ids["Embedding"]].config["input_dim"] == 4  # 3 colours and code 0 for an unseen one
    flow.compile()
    flow.train(3)
    header, shown = flow.predict(new_file(tmp_path, "red", "purple", header="color"))
    caption = window.workflow.evaluation.table_caption.text()
    assert len(shown) == 2 and "column 'color': 1 row holds a category not seen in training (first 'purple', " \
                                "line 3), taken as unknown (code 0" in caption
