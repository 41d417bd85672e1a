"""The import dialog on the files people have, driven through its widgets: a penguins-like table (target by
name, IDs/constants/dates/mostly-missing columns ignored with a reason, per-column summaries), a second file
in a project, scikit-learn's first line, decimal commas, UTF-16 and binary files."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.data import DataSpec
from studio.ui.data_import import ImportDialog
from tests.studio.penguins_like import write_penguins

IRIS = "studio/assets/data/iris.csv"


def open_dialog(qtbot, path, spec=None):
    dialog = ImportDialog(spec=spec)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        if spec is None:
            dialog.path_edit.setText(str(path))
            qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    return dialog


def contents(dialog, name):
    return dialog.columns_table.item(dialog._row(name), 1).text()


def import_now(qtbot, dialog):
    with qtbot.waitSignal(dialog.finished, timeout=20000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.message.text()
    return dialog.prepared


def click_row(qtbot, dialog, name):
    table = dialog.columns_table
    rect = table.visualRect(table.model().index(dialog._row(name), 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@pytest.fixture
def penguins(tmp_path):
    path = tmp_path / "penguins.csv"
    write_penguins(path)
    return path


def test_penguins_target_is_species_above_the_columns_and_bad_columns_are_ignored_with_reasons(qtbot, penguins):
    dialog = open_dialog(qtbot, penguins)
    assert dialog.target_combo.currentText() == "species"
    assert dialog.target_combo.isVisible()
    top_of_target = dialog.target_combo.mapTo(dialog, dialog.target_combo.rect().topLeft()).y()
    assert top_of_target < dialog.columns_table.mapTo(dialog, dialog.columns_table.rect().topLeft()).y()
    assert dialog.role_combo("year").currentText() == "feature"
    reasons = {"Sample ID": "an ID", "studyName": "constant", "Date Egg": "date/time",
               "Delta 15 N": "mostly missing (90 of 120 values)", "Comments": "mostly missing"}
    for name, reason in reasons.items():
        assert dialog.role_combo(name).currentText() == "ignore", name
        assert f"ignored: {reason}" in contents(dialog, name), contents(dialog, name)
    assert dialog.type_combo("Date Egg").currentText() == "datetime"
    dialog.role_combo("Date Egg").setCurrentIndex(dialog.role_combo("Date Egg").findText("feature"))
    with qtbot.waitSignal(dialog.failed, timeout=10000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "Column 'Date Egg' holds dates" in blocker.args[0] and dialog.isVisible()
    dialog.role_combo("Date Egg").setCurrentIndex(dialog.role_combo("Date Egg").findText("ignore"))
    assert not dialog.samples.windows_box.isChecked()  # egg dates repeat: no time series proposed
    assert dialog.shuffle_check.isChecked() and dialog.stratify_check.isChecked()
    prepared = import_now(qtbot, dialog)
    assert prepared.preprocessor.class_names == ["Adelie", "Chinstrap", "Gentoo"]
    assert "Sample ID" not in prepared.preprocessor.feature_names


def test_the_side_panel_shows_class_counts_and_a_histogram_of_the_selected_column(qtbot, penguins):
    dialog = open_dialog(qtbot, penguins)
    panel = dialog.column_panel
    click_row(qtbot, dialog, "island")
    assert "island" in panel.title.text() and "most frequent" in panel.title.text()
    assert sorted(panel.bars.opts["width"]) == [40, 40, 40]  # three islands, 40 penguins each
    click_row(qtbot, dialog, "bill_length_mm")
    assert "histogram" in panel.title.text() and "118 values, 2 missing" in panel.facts.text()
    assert sum(panel.bars.opts["height"]) == 118
    click_row(qtbot, dialog, "Delta 15 N")
    assert "Proposed to ignore: mostly missing" in panel.facts.text()


def test_the_target_combo_sets_the_roles(qtbot, penguins):
    dialog = open_dialog(qtbot, penguins)
    combo = dialog.target_combo
    combo.setFocus()
    while combo.currentText() != "island":
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert dialog.role_combo("island").currentText() == "target"
    assert dialog.role_combo("species").currentText() == "feature"  # one target: the old one becomes a feature
    dialog.role_combo("sex").setCurrentIndex(dialog.role_combo("sex").findText("target"))
    assert combo.currentText() == "sex"


def test_a_second_import_into_a_project_proposes_roles_for_the_new_file(qtbot, penguins):
    first = open_dialog(qtbot, IRIS)
    spec = import_now(qtbot, first).spec
    dialog = open_dialog(qtbot, None, spec=DataSpec.from_dict(spec.to_dict()))  # the project's data, reopened
    assert dialog.role_combo("species").currentText() == "target"
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        dialog.path_edit.setText(str(penguins))
        qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    assert dialog.target_combo.currentText() == "species"
    assert dialog.role_combo("bill_length_mm").currentText() == "feature"  # not every column "ignore"
    prepared = import_now(qtbot, dialog)
    assert prepared.spec.path == str(penguins) and len(prepared.preprocessor.class_names) == 3


def test_scikit_learn_first_line_skipped_and_the_skip_spin_rereads(qtbot, tmp_path):
    path = tmp_path / "iris_sklearn.csv"
    rng = np.random.default_rng(0)
    rows = [f"{a:.1f},{b:.1f},{c:.1f},{d:.1f},{k % 3}" for k, (a, b, c, d) in enumerate(rng.uniform(1, 7, (60, 4)))]
    path.write_text("60,4,setosa,versicolor,virginica\n" + "\n".join(rows) + "\n")
    dialog = open_dialog(qtbot, path)
    assert dialog.skip_spin.value() == 1 and dialog.table.n_rows == 60
    assert dialog.type_combo("column_3").currentText() == "numeric"
    dialog.skip_spin.setFocus()
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        qtbot.keyClick(dialog.skip_spin, Qt.Key.Key_Up)
        qtbot.keyClick(dialog.skip_spin, Qt.Key.Key_Return)
    assert dialog.table.n_rows == 59 and dialog.table.line_numbers[0] == 3


def test_decimal_comma_with_semicolons_reads_numbers(qtbot, tmp_path):
    path = tmp_path / "mesures.csv"
    path.write_text("poids;taille;classe\n" + "".join(f"{60 + k},{k % 10};{150 + k},5;{'ab'[k % 2]}\n"
                                                      for k in range(30)), encoding="cp1252")
    dialog = open_dialog(qtbot, path)
    assert dialog.delimiter_combo.currentData() == ";"
    assert dialog.type_combo("poids").currentText() == "numeric" and dialog.type_combo("taille").currentText() == \
        "numeric"
    prepared = import_now(qtbot, dialog)
    assert prepared.preprocessor.feature_names == ["poids", "taille"]
    assert prepared.preprocessor.features[0].mean == pytest.approx(np.mean([60 + k + (k % 10) / 10
                                                                            for k in prepared.train.rows]))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_utf16_and_utf32_files(qtbot, tmp_path, encoding):
    path = tmp_path / "wide.csv"
    path.write_text("ville,prix,cat\n" + "".join(f"Créteil {k % 4},{k}.5,{'xy'[k % 2]}\n" for k in range(20)),
                    encoding=encoding)
    dialog = open_dialog(qtbot, path)
    assert dialog.encoding_combo.currentText().startswith(encoding[:6])
    assert dialog.table.column("ville")[0] == "Créteil 0"
    assert dialog.type_combo("prix").currentText() == "numeric"


def test_a_binary_file_is_refused_and_the_loaded_table_stays(qtbot, tmp_path):
    dialog = open_dialog(qtbot, IRIS)
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    with qtbot.waitSignal(dialog.failed, timeout=10000) as blocker:
        dialog.path_edit.setText(str(image))
        qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    assert "photo.png: not a text file" in blocker.args[0] and "photo.png" in dialog.message.text()
    assert dialog.table.path == IRIS and dialog.role_combo("species").currentText() == "target"  # nothing lost
