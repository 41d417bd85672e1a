"""Bad input at prediction time, one behaviour in `layerstudio predict`, the window's Predict and the exported
inference model:

- a category not seen in training is out of vocabulary (no category): predicted, and named (column, value, line);
- a missing value takes the project's rule: filled, or in a drop-rows column the row is skipped and named (the
  model, which cannot skip a row, answers NaN for it);
- a column the model needs is absent, or a text stands where a number belongs: a clear error naming the column
  (and the line), nothing written.
"""

from __future__ import annotations

import numpy as np
import pytest

import engine
from studio import exchange
from studio.__main__ import main
from studio.document.project import save_project
from tests.studio.penguins_like import penguins_project

HEADER = "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex"


@pytest.fixture(scope="module")
def trained_penguins(tmp_path_factory):
    """(project file, inference model path) of a penguins-like model, trained and saved."""
    folder = tmp_path_factory.mktemp("bad_input")
    project, _ = penguins_project(folder)
    save_project(project, project.path)
    return project.path, exchange.export_inference_keras(project, folder / "penguins.keras")


def new_file(tmp_path, *lines: str, header: str = HEADER):
    path = tmp_path / "new.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    return str(path)


ODD_ROWS = ("Biscoe,40.1,17.0,190,4000,male",
            "Atlantis,44.0,18.2,200,,NA",  # unseen island; missing mass and sex: filled
            "Dream,NA,18.0,195,4100,female")  # missing bill length: a drop-rows column
NOTES = ["column 'bill_length_mm': 1 row skipped for a missing value (line 4)",
         "column 'island': 1 row holds a category not seen in training (first 'Atlantis', line 3), taken as unknown "
         "(no category)"]


def test_cli_predicts_unseen_and_missing_values_and_says_so(trained_penguins, tmp_path, capsys):
    project_file, model_path = trained_penguins
    out = tmp_path / "out.csv"
    assert main(["predict", project_file, new_file(tmp_path, *ODD_ROWS), "-o", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("Predicted 2 rows") and printed[1:] == [f"Note: {n}" for n in NOTES]
    written = [line.split(",") for line in out.read_text().splitlines()]
    assert [r[0] for r in written[1:]] == ["Biscoe", "Atlantis"]
    model = engine.saving.load_model(model_path)  # the exported model: the same rule, the same numbers
    raw = {"island": np.array([["Biscoe"], ["Atlantis"], ["Dream"]], dtype=object),
           "bill_length_mm": np.array([[40.1], [44.0], [np.nan]], dtype="float32"),
           "bill_depth_mm": np.array([[17.0], [18.2], [18.0]], dtype="float32"),
           "flipper_length_mm": np.array([[190], [200], [195]], dtype="float32"),
           "body_mass_g": np.array([[4000], [np.nan], [4100]], dtype="float32"),
           "sex": np.array([["male"], ["NA"], ["female"]], dtype=object)}
    got = model.predict(raw, verbose=0)
    classes = written[0][-3:]
    probabilities = np.hstack([got[c.removeprefix("p(").removesuffix(")")] for c in classes])
    np.testing.assert_allclose(probabilities[:2], np.array([r[-3:] for r in written[1:]], dtype=float), atol=1e-5)
    assert np.isnan(probabilities[2]).all()


@pytest.mark.parametrize("lines, header, message", [
    (("Biscoe,40.1,17.0,190,4000",), HEADER.removesuffix(",sex"),
     "the model needs column 'sex', which the file does not have"),
    (("Biscoe,40.1,17.0,190,4000,male", "Dream,forty,18.0,195,4100,female"), HEADER,
     "column 'bill_length_mm' is numeric but line 3 holds 'forty'"),
])
def test_cli_refuses_absent_columns_and_text_in_numbers(trained_penguins, tmp_path, capsys, lines, header, message):
    project_file, model_path = trained_penguins
    out = tmp_path / "out.csv"
    assert main(["predict", project_file, new_file(tmp_path, *lines, header=header), "-o", str(out)]) == 1
    assert message in capsys.readouterr().err and not out.exists()


def test_the_inference_model_names_absent_columns_and_text_in_numbers(trained_penguins):
    model = engine.saving.load_model(trained_penguins[1])
    raw = {"island": np.array([["Biscoe"]], dtype=object), "bill_length_mm": np.array([[40.1]], dtype="float32"),
           "bill_depth_mm": np.array([[17.0]], dtype="float32"), "flipper_length_mm": np.array([[190]], "float32"),
           "body_mass_g": np.array([[4000]], dtype="float32")}
    with pytest.raises(ValueError, match=r"missing \['sex'\]"):
        model.predict(raw, verbose=0)
    raw["sex"] = np.array([["male"]], dtype=object)
    raw["bill_length_mm"] = np.array([["forty"]], dtype=object)
    with pytest.raises(ValueError, match="Input 'bill_length_mm' of the model takes numbers .* received 'forty'"):
        model.predict(raw, verbose=0)


def test_window_predict_names_unseen_and_skipped_rows_and_refuses_bad_files(window, trained_penguins, tmp_path,
                                                                            qtbot, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    assert window.open_project(trained_penguins[0])
    qtbot.waitUntil(lambda: not window.workflow.loading and window.workflow.session.model is not None, timeout=20000)
    view = window.workflow.evaluation
    qtbot.waitUntil(view.predict_button.isEnabled, timeout=20000)

    def predict(path, signal):
        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (path, "")))
        with qtbot.waitSignal(signal, timeout=20000) as blocker:
            view.predict_button.click()
        return blocker.args

    predict(new_file(tmp_path, *ODD_ROWS), view.predicted)
    assert [r[view.header.index("line")] for r in view.rows] == [2, 3]
    caption = view.table_caption.text()
    assert all(note in caption for note in NOTES), caption

    (message,) = predict(new_file(tmp_path, "Biscoe,40.1,17.0,190,4000", header=HEADER.removesuffix(",sex")),
                         view.failed)
    assert "the model needs column 'sex', which the file does not have" in message
    (message,) = predict(new_file(tmp_path, "Dream,forty,18.0,195,4100,female"), view.failed)
    assert "column 'bill_length_mm' is numeric but line 2 holds 'forty'" in message
    assert "forty" in view.message.text() and view.predict_button.isEnabled()
