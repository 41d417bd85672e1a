"""The whole flow through the real widgets: import a CSV, choose roles, compile, train on the worker thread,
stop, continue, evaluate, predict a new CSV and save the predictions."""

import csv

import numpy as np
import pytest
from PySide6.QtCore import Qt

import engine
from studio.training.compile_settings import output_layer_for
from studio.training.session import TrainingSession
from studio.ui.compile_dialog import CompileDialog
from studio.ui.data_import import ImportDialog
from studio.ui.evaluation import EvaluationView
from studio.ui.training import TrainingPanel

IRIS = "studio/assets/data/iris.csv"


def import_through_dialog(qtbot, path, choose=None):
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        dialog.path_edit.setText(str(path))
        qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    if choose:
        choose(dialog)
    with qtbot.waitSignal(dialog.finished, timeout=10000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.message.text()
    return dialog


def set_combo(combo, text):
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not among {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setCurrentIndex(index)


def compile_through_dialog(qtbot, prepared, learning_rate="0.01"):
    p = prepared.preprocessor
    dialog = CompileDialog(p.task, len(p.class_names))
    qtbot.addWidget(dialog)
    dialog.hyperparameter_edit("learning_rate").setText(learning_rate)
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    return dialog


def model_factory(prepared, settings):
    units, activation = output_layer_for(prepared.preprocessor.task, len(prepared.preprocessor.class_names),
                                         settings["loss"])

    def build():
        return engine.Sequential([engine.layers.Input(prepared.input_shape), engine.layers.Dense(16, activation="relu"),
                                  engine.layers.Dense(units, activation=activation)])
    return build


def click(qtbot, button):
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_iris_from_csv_to_predictions(qtbot, tmp_path):
    # Import: the proposed roles are right for Iris; make one column ignored and back to check the combos work.
    def choose(dialog):
        assert dialog.role_combo("species").currentText() == "target"
        assert dialog.type_combo("species").currentText() == "categorical"
        set_combo(dialog.role_combo("sepal_width"), "ignore")
        set_combo(dialog.role_combo("sepal_width"), "feature")
        dialog.validation_spin.setValue(20)
        dialog.test_spin.setValue(10)

    dialog = import_through_dialog(qtbot, IRIS, choose)
    prepared = dialog.prepared
    assert dialog.spec.to_dict()["split"]["test_fraction"] == 0.1
    assert prepared.input_shape == (4,) and (len(prepared.validation), len(prepared.test)) == (30, 15)

    # Compile: proposed sparse categorical cross-entropy + accuracy for three classes.
    compiled = compile_through_dialog(qtbot, prepared, learning_rate="0.02")
    settings = compiled.settings()
    assert settings["loss"] == "sparse_categorical_crossentropy" and settings["metrics"] == ["accuracy"]
    assert compiled.output_layer() == (3, "softmax")

    # Train on the worker thread through the panel.
    session = TrainingSession()
    session.configure(model_factory(prepared, settings), prepared, settings)
    panel = TrainingPanel(session)
    qtbot.addWidget(panel)
    panel.resize(1100, 650)
    panel.show()
    panel.epochs_spin.setValue(5)
    panel.batch_spin.setValue(16)
    with qtbot.waitSignal(session.run_finished, timeout=20000):
        click(qtbot, panel.train_button)
    assert panel.curves.point_count("loss") == 5 and panel.curves.point_count("val_loss") == 5
    assert panel.curves.point_count("accuracy") == 5 and panel.curves.point_count("val_accuracy") == 5
    assert set(panel.curves.plots) == {"loss", "accuracy"}
    assert "5 epochs" in panel.progress.format()

    # Continue for 75 more epochs: the curves extend, and Iris is learned.
    panel.more_spin.setValue(75)
    with qtbot.waitSignal(session.run_finished, timeout=20000):
        click(qtbot, panel.continue_button)
    run = session.current_run
    assert run.epochs_done == 80 and panel.curves.point_count("val_loss") == 80
    assert run.history["val_accuracy"][-1] > 0.9
    assert panel.diagnosis_label.text()

    # A second run, stopped mid-run; the first run's curves are overlaid.
    panel.epochs_spin.setValue(500)
    panel.batch_spin.setValue(4)
    session.batch_end.connect(lambda info: panel.stop_button.isEnabled() and click(qtbot, panel.stop_button))
    with qtbot.waitSignal(session.run_finished, timeout=20000):
        click(qtbot, panel.train_button)
    assert session.current_run.status == "stopped" and session.current_run.epochs_done < 500
    assert len(session.runs) == 2 and panel.curves._previous
    assert "stopped" in panel.status_label.text().lower()

    # Evaluate the first run's model (the session's model now is run 2's; restore run 1's weights on it).
    session.model.set_weights(session.runs[0].weights)
    view = EvaluationView()
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    view.set_model(session.model, prepared)
    with qtbot.waitSignal(view.evaluated) as blocker:
        click(qtbot, view.evaluate_button)
    assert blocker.args[0]["accuracy"] > 0.9
    assert view.confusion.sum() == 30 and view.confusion.trace() >= 27
    # Click the cell (actual setosa, predicted setosa) in the confusion matrix.
    rect = view.matrix.visualRect(view.matrix.model().index(0, 0))
    qtbot.mouseClick(view.matrix.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.table.rowCount() == view.confusion[0, 0]
    assert {view.table.item(r, 1).text() for r in range(view.table.rowCount())} == {"setosa"}

    # Predict a new CSV without the target column, and save.
    new = tmp_path / "new_flowers.csv"
    new.write_text("petal_length,petal_width,sepal_length,sepal_width\n1.4,0.2,5.1,3.5\n5.8,2.2,6.5,3.0\n")
    with qtbot.waitSignal(view.predicted, timeout=10000):
        view.predict_file(str(new))
    assert [view.table.item(r, 1).text() for r in range(2)] == ["setosa", "virginica"]
    out = tmp_path / "predictions.csv"
    assert view.save(str(out))
    with open(out) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["petal_length", "petal_width", "sepal_length", "sepal_width", "predicted", "p(setosa)",
                       "p(versicolor)", "p(virginica)"]
    assert rows[1][:5] == ["1.4", "0.2", "5.1", "3.5", "setosa"] and rows[2][4] == "virginica"
    assert abs(sum(float(v) for v in rows[1][5:]) - 1) < 1e-4

    # A file with the target column, empty in one row: every row is predicted, the file's value shown as actual.
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,setosa\n"
                        "6.5,3.0,5.8,2.2,\n")
    with qtbot.waitSignal(view.predicted, timeout=10000):
        view.predict_file(str(labelled))
    assert view.header[:3] == ["line", "actual", "predicted"]
    assert [[view.table.item(r, c).text() for c in range(3)] for r in range(2)] == [
        ["2", "setosa", "setosa"], ["3", "", "virginica"]]

    # A new file without a needed column, or with an unseen value: a clear message, the view keeps working.
    bad = tmp_path / "bad.csv"
    bad.write_text("petal_length,petal_width,sepal_length\n1.4,0.2,5.1\n")
    with qtbot.waitSignal(view.failed, timeout=10000) as blocker:
        view.predict_file(str(bad))
    assert "the model needs column 'sepal_width', which the file does not have" in blocker.args[0]
    assert "sepal_width" in view.message.text() and view.predict_button.isEnabled()


def test_regression_flow_shows_predicted_vs_actual(qtbot):
    def choose(dialog):
        assert dialog.role_combo("month").currentText() == "ignore"
        assert dialog.role_combo("value").currentText() == "target"
        dialog.shuffle_check.setChecked(False)

    prepared = import_through_dialog(qtbot, "studio/assets/data/synthetic_monthly_series.csv", choose).prepared
    assert prepared.preprocessor.task == "regression"
    settings = compile_through_dialog(qtbot, prepared, learning_rate="0.05").settings()
    assert settings["loss"] == "mean_squared_error" and settings["metrics"] == ["mae"]
    model = model_factory(prepared, settings)()
    from studio.training.compile_settings import build_compile_args

    model.compile(**build_compile_args(settings))
    model.fit(prepared.train.x, prepared.train.y, epochs=3, batch_size=32, verbose=0)
    view = EvaluationView()
    qtbot.addWidget(view)
    view.set_model(model, prepared)
    with qtbot.waitSignal(view.evaluated, timeout=10000) as blocker:
        view.evaluate()
    assert set(blocker.args[0]) >= {"loss", "mae"}
    assert view.plot_stack.currentWidget() is view.scatter
    assert view.table.rowCount() == len(prepared.validation)
    # Unshuffled split: validation rows come after every training row in the file.
    assert prepared.validation.lines.min() > prepared.train.lines.max()


@pytest.mark.parametrize("text,expected", [
    ("", "the file is empty"),
    ("a,b,y\n1,2,x\n3,4\n", "line 3 has 2 fields but the header has 3"),
])
def test_bad_files_are_reported_in_the_dialog(qtbot, tmp_path, text, expected):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.failed, timeout=10000) as blocker:
        dialog.load_file(str(path))
    assert expected in blocker.args[0] and expected in dialog.message.text()
    assert not dialog.ok_button.isEnabled()


def test_bad_choices_keep_the_dialog_open(qtbot, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,y\n" + "".join(f"{i % 13},{'x' if i % 7 == 0 else i * 2},{'cd'[i % 2]}\n"
                                        for i in range(1, 60)))  # 'a' not 1..59: that would be an ID, ignored
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        dialog.load_file(str(path))
    # 'b' has words among its numbers: free text, ignored. Made a numeric feature, it gets a clear error.
    assert dialog.role_combo("b").currentText() == "ignore"
    set_combo(dialog.type_combo("b"), "numeric")
    set_combo(dialog.role_combo("b"), "feature")
    with qtbot.waitSignal(dialog.failed, timeout=10000) as blocker:
        click(qtbot, dialog.ok_button)
    assert "column 'b' is numeric but line 8 holds 'x' (8 such values in all)" in blocker.args[0]
    assert dialog.isVisible() and dialog.ok_button.isEnabled()
    # No target: said before any work.
    set_combo(dialog.role_combo("y"), "feature")
    with qtbot.waitSignal(dialog.failed, timeout=10000) as blocker:
        click(qtbot, dialog.ok_button)
    assert "Choose a target column; none is chosen yet." in blocker.args[0]
    # Fixed: imported.
    set_combo(dialog.role_combo("b"), "ignore")
    set_combo(dialog.role_combo("y"), "target")
    with qtbot.waitSignal(dialog.finished, timeout=10000):
        click(qtbot, dialog.ok_button)
    assert dialog.prepared.input_shape == (1,)


def test_choosing_a_new_target_demotes_the_old_one(qtbot):
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        dialog.load_file(IRIS)
    set_combo(dialog.role_combo("petal_width"), "target")
    assert dialog.role_combo("species").currentText() == "feature"
    spec = dialog.current_spec()
    assert spec.target.name == "petal_width"


def test_huge_file_shows_progress(qtbot, tmp_path):
    rng = np.random.default_rng(0)
    n = 60_000
    a = rng.normal(size=n).round(3)
    path = tmp_path / "big.csv"
    path.write_text("a,b,y\n" + "\n".join(f"{v},{i % 5},{'pq'[int(v > 0)]}" for i, v in enumerate(a)) + "\n")
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    seen = []
    dialog._task.progress.connect(seen.append)
    with qtbot.waitSignal(dialog.loaded, timeout=20000):
        dialog.load_file(str(path))
    assert seen and seen[-1] == 1.0
    with qtbot.waitSignal(dialog.finished, timeout=20000):
        click(qtbot, dialog.ok_button)
    assert len(dialog.prepared.train) + len(dialog.prepared.validation) == n


def test_compile_dialog_filters_and_validates(qtbot):
    dialog = CompileDialog("regression")
    qtbot.addWidget(dialog)
    losses = [dialog.loss_combo.itemData(i) for i in range(dialog.loss_combo.count())]
    assert "binary_crossentropy" not in losses and "mean_squared_error" in losses
    set_combo(dialog.optimizer_combo, "SGD")
    dialog.hyperparameter_edit("momentum").setText("0.9")
    dialog.hyperparameter_edit("nesterov").setChecked(True)
    dialog.metric_check("root_mean_squared_error").setChecked(True)
    s = dialog.settings()
    assert s["optimizer"] == {"name": "sgd", "config": {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True}}
    assert s["metrics"] == ["mae", "root_mean_squared_error"]
    args = dialog.compile_args()
    assert isinstance(args["optimizer"], engine.optimizers.SGD) and args["optimizer"].momentum == 0.9
    dialog.hyperparameter_edit("learning_rate").setText("fast")
    dialog.accept()
    assert "Learning rate must be a number, not 'fast'" in dialog.error_label.text()
    assert dialog.result() != dialog.DialogCode.Accepted

    binary = CompileDialog("binary", 2)
    qtbot.addWidget(binary)
    assert binary.settings()["loss"] == "binary_crossentropy" and binary.output_layer() == (1, "sigmoid")
    set_combo(binary.loss_combo, "Sparse categorical cross-entropy (integer labels)")
    assert binary.output_layer() == (2, "softmax") and "Dense(2" in binary.output_hint.text()


def test_breast_cancer_binary_flow(qtbot):
    prepared = import_through_dialog(qtbot, "studio/assets/data/breast_cancer_wisconsin.csv").prepared
    p = prepared.preprocessor
    assert p.task == "binary" and p.class_names == ["benign", "malignant"] and prepared.input_shape == (30,)
    compiled = compile_through_dialog(qtbot, prepared, learning_rate="0.01")
    settings = compiled.settings()
    assert settings["loss"] == "binary_crossentropy" and compiled.output_layer() == (1, "sigmoid")
    session = TrainingSession()
    session.configure(model_factory(prepared, settings), prepared, settings)
    panel = TrainingPanel(session)
    qtbot.addWidget(panel)
    panel.epochs_spin.setValue(15)
    view = EvaluationView()
    qtbot.addWidget(view)
    view.follow(session)
    enabled_while_training = []
    session.batch_end.connect(lambda info: enabled_while_training.append(view.evaluate_button.isEnabled()))
    with qtbot.waitSignal(session.run_finished, timeout=20000):
        panel.train_button.click()
    assert enabled_while_training and not any(enabled_while_training)
    assert view.evaluate_button.isEnabled() and view.model is session.model  # the run's model, once it ended
    with qtbot.waitSignal(view.evaluated, timeout=10000) as blocker:
        view.evaluate()
    assert blocker.args[0]["accuracy"] > 0.9
    assert view.confusion.shape == (2, 2) and view.confusion.sum() == len(prepared.validation)
    assert view.header == ["line", "actual", "predicted", "p(benign)", "p(malignant)"]


def test_cancel_while_reading_a_large_file(qtbot, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" + "1.5,x\n" * 400_000)
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog._task.progress, timeout=10000):
        dialog.load_file(str(path))
    dialog.reject()  # Cancel: the reading thread ends at its next progress report (or is done already)
    assert not dialog._task.running and dialog.result() == dialog.DialogCode.Rejected


def test_reopening_a_saved_spec_shows_its_choices(qtbot):
    first = import_through_dialog(qtbot, IRIS, lambda d: (set_combo(d.role_combo("sepal_width"), "ignore"),
                                                          d.validation_spin.setValue(30)))
    saved = first.spec.to_dict()
    from studio.data import DataSpec

    dialog = ImportDialog(spec=DataSpec.from_dict(saved))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table is not None, timeout=10000)  # read on the worker thread
    assert dialog.role_combo("sepal_width").currentText() == "ignore"
    assert dialog.validation_spin.value() == 30
    assert dialog.current_spec().to_dict() == saved


def test_file_choosers_through_the_buttons(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (IRIS, "CSV files (*.csv)"))
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        click(qtbot, dialog.browse_button)
    assert dialog.path_edit.text() == IRIS and dialog.table.n_rows == 150
    with qtbot.waitSignal(dialog.finished, timeout=10000):
        click(qtbot, dialog.ok_button)
    prepared = dialog.prepared
    settings = compile_through_dialog(qtbot, prepared).settings()
    model = model_factory(prepared, settings)()
    from studio.training.compile_settings import build_compile_args

    model.compile(**build_compile_args(settings))
    view = EvaluationView()
    qtbot.addWidget(view)
    view.show()
    view.set_model(model, prepared)
    with qtbot.waitSignal(view.evaluated, timeout=10000):
        click(qtbot, view.evaluate_button)
    out = tmp_path / "validation_predictions.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "CSV files (*.csv)"))
    click(qtbot, view.save_button)
    with open(out) as f:
        rows = list(csv.reader(f))
    assert len(rows) == 1 + len(prepared.validation)
    assert rows[0][:5] == ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    assert rows[0][5:] == ["predicted", "p(setosa)", "p(versicolor)", "p(virginica)"]
