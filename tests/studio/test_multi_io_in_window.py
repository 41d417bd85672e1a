"""Several inputs and outputs through the main window as a user goes: layers dropped and wired on the canvas, the
CSV imported with the dialog, each Input's columns ticked and each output's target chosen in the property editor
(a bad binding shown red on its node), compile per output, train above chance, evaluate each output, predict a new
CSV with every output's columns, save and reopen."""

import csv

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from studio.document.examples import example_path
from studio.ui.compile_dialog import CompileDialog
from studio.ui.data_import import ImportDialog

DATA = example_path("mlp").parents[1] / "data"


class Steps:
    def __init__(self, window, canvas, qtbot, monkeypatch, tmp_path):
        self.window, self.canvas, self.qtbot, self.monkeypatch, self.tmp_path = \
            window, canvas, qtbot, monkeypatch, tmp_path
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)

    @property
    def editor(self):
        return self.window.properties.binding_editor

    def node(self, name):
        return self.canvas.node_id(name)

    def add(self, type_name, x, y, sources=(), name=None, **config):
        """Drop a layer from the palette, wire `sources` into its ports, rename and set it in the properties."""
        node_id = self.canvas.drop(type_name, x, y)
        for port, source in enumerate(sources):
            self.canvas.wire(self.node(source), node_id, port)
        self.canvas.select(node_id)
        props = self.window.properties
        if name:
            props.name_edit.setText(name)
            props.name_edit.editingFinished.emit()
        for key, value in config.items():
            editor = props.editors[key]
            editor.set_value(value)
            editor.committed.emit()
        return node_id

    def import_csv(self, path, choose=None):
        def exec_(dialog):
            with self.qtbot.waitSignal(dialog.loaded, timeout=10000):
                dialog.load_file(str(path))
            if choose:
                choose(dialog)
            with self.qtbot.waitSignal(dialog.finished, timeout=20000):
                dialog.accept()
            return dialog.result()

        self.monkeypatch.setattr(ImportDialog, "exec", exec_)
        self.window.actions_by_name["import_data"].trigger()
        assert self.window.workflow.prepared is not None

    def tick(self, column):
        """Click a column's checkbox in the selected Input's Data section."""
        self.qtbot.waitUntil(lambda: self.editor.column_check(column).isVisible() and
                             self.editor.column_check(column).width() > 0)  # laid out after the last change
        check = self.editor.column_check(column)
        was = check.isChecked()
        check.click()  # as a mouse click does (clicks in quick succession would make QTest send a double click)
        assert check.isChecked() != was

    def compile(self, choose=None):
        def exec_(dialog):
            dialog.hyperparameter_edit("learning_rate").setText("0.01")
            if choose:
                choose(dialog)
            dialog.accept()
            return dialog.result()

        self.monkeypatch.setattr(CompileDialog, "exec", exec_)
        self.window.actions_by_name["compile"].trigger()
        assert self.window.actions_by_name["train"].isEnabled(), self.window.workflow.train_blocker()

    def train(self, epochs):
        self.window.workflow.panel.epochs_spin.setValue(epochs)
        with self.qtbot.waitSignal(self.window.workflow.session.run_finished, timeout=60000) as finished:
            self.window.actions_by_name["train"].trigger()
        run = finished.args[0]
        assert run.status == "finished", run.message
        return run

    def evaluate(self):
        view = self.window.workflow.evaluation
        with self.qtbot.waitSignal(view.evaluated, timeout=20000) as done:
            self.qtbot.mouseClick(view.evaluate_button, Qt.LeftButton)
        return done.args[0]

    def predict(self, path):
        view = self.window.workflow.evaluation
        with self.qtbot.waitSignal(view.predicted, timeout=20000):
            view.predict_file(str(path))
        return list(view.header), [list(r) for r in view.rows]

    def save_and_reopen(self, name):
        path = self.tmp_path / f"{name}.lsproj"
        self.monkeypatch.setattr("studio.ui.main_window.QFileDialog.getSaveFileName", lambda *a, **k: (str(path), ""))
        self.window.actions_by_name["save_as"].trigger()
        assert not self.window.is_modified()
        self.window.actions_by_name["new"].trigger()
        assert self.window.open_project(str(path))
        self.qtbot.waitUntil(lambda: not self.window.workflow.loading, timeout=20000)
        assert self.window.workflow.session.model is not None


def caption_and_problem(window, name):
    return window.scene.binding_view(name)


def test_two_inputs_bound_to_two_column_groups(window, canvas, qtbot, monkeypatch, tmp_path):
    steps = Steps(window, canvas, qtbot, monkeypatch, tmp_path)
    graph = window.graph
    first = graph.input_nodes()[0]
    x, y = first.position
    steps.canvas.select(first.id)
    window.properties.name_edit.setText("chemistry")
    window.properties.name_edit.editingFinished.emit()
    steps.add("Input", x + 260, y, name="colour")
    steps.add("Dense", x, y + 120, ["chemistry"], name="deep", units=16, activation="relu")
    steps.add("Dense", x + 260, y + 120, ["colour"], name="wide", units=8, activation="relu")
    steps.add("Concatenate", x + 130, y + 240, ["deep", "wide"], name="joined")
    steps.add("Dense", x + 130, y + 360, ["joined"], name="cultivar", units=3, activation="softmax")

    steps.import_csv(DATA / "wine.csv")
    columns = [c for c, _ in window.workflow.bindings.feature_columns()]
    assert len(columns) == 13
    bindings = window.project.data["bindings"]["inputs"]
    assert bindings == {"chemistry": columns[:7], "colour": columns[7:]}  # proposed: an even split, in file order
    assert caption_and_problem(window, "colour")[0].startswith("← nonflavanoid_phenols, proanthocyanins")
    assert caption_and_problem(window, "cultivar") == ("→ cultivar (3 classes)", None)
    shapes = {n.name: n.config["shape"] for n in graph.input_nodes()}
    assert shapes == {"chemistry": [7], "colour": [6]}

    # In the property editor: 'colour' also takes 'alcohol', which 'chemistry' has: red on the node, no training.
    steps.canvas.select(steps.node("colour"))
    assert steps.editor.isVisible() and steps.editor.column_check("alcohol").text() == "alcohol  — in chemistry"
    steps.tick("alcohol")
    problem = "Column 'alcohol' is bound to two Inputs, 'chemistry' and 'colour'"
    assert problem in caption_and_problem(window, "colour")[1]
    assert problem in steps.editor.problem.text()
    assert not window.actions_by_name["train"].isEnabled()
    # Then 'chemistry' lets it go: the groups are the chemistry columns without alcohol, and the rest.
    steps.canvas.select(steps.node("chemistry"))
    steps.tick("alcohol")
    assert caption_and_problem(window, "colour")[1] is None
    assert window.project.data["bindings"]["inputs"] == {"chemistry": columns[1:7], "colour": ["alcohol"] + columns[7:]}
    assert {n.name: n.config["shape"] for n in graph.input_nodes()} == {"chemistry": [6], "colour": [7]}
    # An Input left without columns says so, on the node; undo puts the column back.
    steps.canvas.select(steps.node("chemistry"))
    for column in columns[1:7]:
        steps.tick(column)
    assert "Input 'chemistry' has no columns" in caption_and_problem(window, "chemistry")[1]
    for _ in range(6):
        window.undo_stack.undo()
    assert caption_and_problem(window, "chemistry")[1] is None
    assert window.project.data["bindings"]["inputs"]["chemistry"] == columns[1:7]

    steps.compile()
    run = steps.train(15)
    assert run.history["val_accuracy"][-1] >= 0.85  # 3 cultivars: chance is 0.40 (the largest class)

    new = tmp_path / "new_wines.csv"
    rows = (DATA / "wine.csv").read_text().splitlines()
    new.write_text("\n".join([",".join(rows[0].split(",")[:-1])] + [",".join(r.split(",")[:-1]) for r in rows[1:6]]))
    header, shown = steps.predict(new)
    assert header[:2] == ["line", "predicted"] and len(shown) == 5
    steps.save_and_reopen("two_inputs")
    assert window.project.data["bindings"]["inputs"]["colour"][0] == "alcohol"
    assert steps.predict(new) == (header, shown)


def test_two_outputs_a_class_and_a_value(window, canvas, qtbot, monkeypatch, tmp_path):
    steps = Steps(window, canvas, qtbot, monkeypatch, tmp_path)
    graph = window.graph
    x, y = graph.input_nodes()[0].position
    steps.add("Dense", x, y + 120, [graph.input_nodes()[0].name], name="hidden", units=16, activation="relu")
    steps.add("Dense", x - 130, y + 240, ["hidden"], name="species", units=3, activation="softmax")
    steps.add("Dense", x + 130, y + 240, ["hidden"], name="width", units=1, activation="linear")

    def two_targets(dialog):
        dialog.role_combo("petal_width").setCurrentText("target")
        dialog.role_combo("species").setCurrentText("target")  # both: one target per output

    steps.import_csv(DATA / "iris.csv", two_targets)
    assert window.project.data["bindings"]["outputs"] == {"species": "species", "width": "petal_width"}
    assert caption_and_problem(window, "width") == ("→ petal_width (value)", None)
    assert graph.input_nodes()[0].config["shape"] == [3]

    # The value head chosen to learn the species: red, naming the node and the column.
    steps.canvas.select(steps.node("width"))
    combo = steps.editor.target_combo
    combo.setCurrentIndex(combo.findData("species"))
    assert "Target 'species' is bound to two outputs" in caption_and_problem(window, "width")[1]
    steps.canvas.select(steps.node("species"))
    combo = steps.editor.target_combo
    combo.setCurrentIndex(combo.findData("petal_width"))
    assert "Output 'species' gives 3 values per row, but its target 'petal_width' is one number" in \
        caption_and_problem(window, "species")[1]
    assert "has 1 unit, but its target 'species' has 3 classes" in caption_and_problem(window, "width")[1]
    combo = steps.editor.target_combo  # the section is rebuilt after each change
    combo.setCurrentIndex(combo.findData("species"))
    steps.canvas.select(steps.node("width"))
    steps.editor.target_combo.setCurrentIndex(steps.editor.target_combo.findData("petal_width"))
    assert not window.workflow.bindings.problems()

    def per_output(dialog):
        assert [o.name for o in dialog.outputs] == ["species", "width"]
        assert dialog.output_panel("width").loss_combo.currentData() == "mean_squared_error"
        dialog.output_panel("width").weight_edit.setText("2")

    steps.compile(per_output)
    assert window.project.compile["outputs"]["width"] == {"loss": "mean_squared_error", "metrics": ["mae"],
                                                          "loss_weight": 2.0}
    run = steps.train(40)
    assert run.history["val_species_accuracy"][-1] >= 0.85  # 3 species: chance is 0.33
    assert run.history["val_width_mae"][-1] < 0.35  # petal widths span 0.1 to 2.5 cm (std 0.76)

    view = window.workflow.evaluation
    assert not view.output_combo.isHidden() and view.output_combo.count() == 2
    metrics = steps.evaluate()
    assert {"species_accuracy", "width_mae"} <= set(metrics)
    assert view.plot_stack.currentWidget() is view.matrix and view.confusion.sum() == 30
    view.output_combo.setCurrentIndex(1)
    assert view.plot_stack.currentWidget() is view.scatter and "of 'width'" in view.plot_caption.text()
    assert view.header == ["line", "actual", "predicted"]

    new = tmp_path / "new_flowers.csv"
    new.write_text("sepal_length,sepal_width,petal_length\n5.1,3.5,1.4\n6.7,3.0,5.2\n")
    header, shown = steps.predict(new)
    assert header == ["line", "predicted"] and shown[0][1] < 1.0 < shown[1][1]  # widths, in cm
    saved = tmp_path / "predicted.csv"
    assert view.save(str(saved))
    with open(saved, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["sepal_length", "sepal_width", "petal_length", "species predicted", "species p(setosa)",
                       "species p(versicolor)", "species p(virginica)", "petal_width predicted"]
    assert [r[3] for r in rows[1:]] == ["setosa", "virginica"]
    steps.save_and_reopen("two_outputs")
    assert window.project.compile["outputs"]["width"]["loss_weight"] == 2.0
    window.workflow.evaluation.output_combo.setCurrentIndex(1)  # the width, as before
    assert steps.predict(new) == (header, shown)
