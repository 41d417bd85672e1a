"""Images, time series and text from a CSV, through the main window as a user goes: layers dropped from the
palette and wired on the canvas, the CSV imported with the import dialog (whose proposals are checked), the
Input taking the data's sample shape, compile, train to a score above chance, predict a new CSV with the same
fitted transforms, save, reopen and predict again."""

import csv
import shutil

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from studio.document.examples import example_path
from studio.ui.commands import SetConfigCommand
from studio.ui.compile_dialog import CompileDialog
from studio.ui.data_import import ImportDialog

DATA = example_path("mlp").parents[1] / "data"


def make_bar_images(folder, n=80, seed=0, odd_size_every=4):
    """A CSV of image paths (the `x:image,y:label` layout) and its PNG files: a bright horizontal or vertical bar
    on noise, 16x16 pixels, every `odd_size_every`-th image 20x20 (resized on import)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    (folder / "img").mkdir(parents=True, exist_ok=True)
    lines = ["x:image,y:label"]
    for i in range(n):
        vertical = i % 2 == 1
        side = 20 if i % odd_size_every == 0 else 16
        pixels = rng.uniform(0, 80, size=(side, side))
        k = int(rng.integers(3, side - 3))
        if vertical:
            pixels[:, k - 1:k + 1] = 255
        else:
            pixels[k - 1:k + 1, :] = 255
        Image.fromarray(pixels.astype(np.uint8)).save(folder / "img" / f"{i}.png")
        lines.append(f"img/{i}.png,{'vertical' if vertical else 'horizontal'}")
    (folder / "images.csv").write_text("\n".join(lines) + "\n")
    return folder / "images.csv"


@pytest.fixture
def flow(window, canvas, qtbot, monkeypatch, tmp_path):
    return Flow(window, canvas, qtbot, monkeypatch, tmp_path)


class Flow:
    """The steps a user takes, each through the real widgets."""

    def __init__(self, window, canvas, qtbot, monkeypatch, tmp_path):
        self.window, self.canvas, self.qtbot, self.monkeypatch, self.tmp_path = \
            window, canvas, qtbot, monkeypatch, tmp_path
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)

    def layers(self, *layers) -> dict[str, str]:
        """Drop each (type, config) from the palette below the last one and wire it on; name -> node id."""
        graph = self.window.graph
        previous = graph.input_nodes()[0].id
        x, y = graph.nodes[previous].position
        ids = {}
        for k, (type_name, config) in enumerate(layers):
            node_id = self.canvas.drop(type_name, x, y + 110 * (k + 1))
            self.canvas.wire(previous, node_id)
            assert graph.inputs_of(node_id)[0].source == previous
            if config:  # as the property editor does: one undoable change
                self.window.undo_stack.push(SetConfigCommand(graph, node_id, {**graph.nodes[node_id].config,
                                                                              **config}))
            ids[type_name] = previous = node_id
        return ids

    def import_csv(self, path, choose=None):
        """Data > Import CSV…: the dialog reads `path`, `choose(dialog)` looks and changes, then Import."""
        seen = {}

        def exec_(dialog):
            with self.qtbot.waitSignal(dialog.loaded, timeout=10000):
                dialog.load_file(str(path))
            if choose:
                choose(dialog)
            seen["spec"] = dialog.current_spec()
            with self.qtbot.waitSignal(dialog.finished, timeout=20000):
                dialog.accept()
            seen["message"] = dialog.message.text()
            return dialog.result()

        self.monkeypatch.setattr(ImportDialog, "exec", exec_)
        assert self.window.actions_by_name["import_data"].isEnabled()
        self.window.actions_by_name["import_data"].trigger()
        assert self.window.workflow.prepared is not None, seen.get("message")
        return seen["spec"]

    def compile(self, learning_rate="0.01"):
        def exec_(dialog):
            dialog.hyperparameter_edit("learning_rate").setText(learning_rate)
            dialog.accept()
            return dialog.result()

        self.monkeypatch.setattr(CompileDialog, "exec", exec_)
        self.window.actions_by_name["compile"].trigger()
        assert self.window.actions_by_name["train"].isEnabled(), self.window.actions_by_name["train"].toolTip()

    def train(self, epochs):
        self.window.workflow.panel.epochs_spin.setValue(epochs)
        session = self.window.workflow.session
        with self.qtbot.waitSignal(session.run_finished, timeout=60000) as finished:
            self.window.actions_by_name["train"].trigger()
        run = finished.args[0]
        assert run.status == "finished", run.message
        return run

    def predict(self, path):
        """Predict a new CSV in the Evaluation tab; (header, rows) shown."""
        view = self.window.workflow.evaluation
        with self.qtbot.waitSignal(view.predicted, timeout=20000):
            view.predict_file(str(path))
        return list(view.header), [list(r) for r in view.rows]

    def save_and_reopen(self, name):
        path = self.tmp_path / "saved" / f"{name}.lsproj"
        path.parent.mkdir(exist_ok=True)
        self.monkeypatch.setattr("studio.ui.main_window.QFileDialog.getSaveFileName", lambda *a, **k: (str(path), ""))
        self.window.actions_by_name["save_as"].trigger()
        assert self.window.project.path == str(path) and not self.window.is_modified()
        self.window.actions_by_name["new"].trigger()
        assert self.window.open_project(str(path))
        self.qtbot.waitUntil(lambda: not self.window.workflow.loading, timeout=20000)
        assert self.window.workflow.prepared is not None, self.window.workflow.data_problem
        assert self.window.workflow.session.model is not None


def input_shape(window):
    return window.graph.input_nodes()[0].config["shape"]


def test_conv2d_on_pixel_columns(flow, window, tmp_path):
    rows = (DATA / "optical_digits_8x8.csv").read_text().splitlines()
    data = tmp_path / "digits.csv"
    data.write_text("\n".join(rows[:701]) + "\n")  # 700 of the 1797 images keep the test quick
    flow.layers(("Conv2D", {"filters": 16, "activation": "relu", "padding": "same"}), ("MaxPooling2D", {}),
                ("Flatten", {}), ("Dense", {}))

    def choose(dialog):
        assert dialog.role_combo("label").currentText() == "target"
        assert dialog.samples.image_box.isChecked()
        assert (dialog.samples.height_spin.value(), dialog.samples.width_spin.value()) == (8, 8)
        assert all(not label.pixmap().isNull() for label in dialog.samples.preview_labels)

    spec = flow.import_csv(data, choose)
    assert spec.image is not None and len(spec.features) == 64
    assert input_shape(window) == [8, 8, 1]
    flow.compile()
    run = flow.train(4)
    assert run.history["val_accuracy"][-1] >= 0.7  # 10 digits: chance is 0.1

    new = tmp_path / "new_digits.csv"
    new.write_text("\n".join([",".join(rows[0].split(",")[1:])] +
                             [",".join(r.split(",")[1:]) for r in rows[1500:1530]]) + "\n")  # no label column
    header, shown = flow.predict(new)
    truth = [r.split(",")[0] for r in rows[1500:1530]]
    accuracy = np.mean([row[header.index("predicted")] == t for row, t in zip(shown, truth)])
    assert len(shown) == 30 and accuracy >= 0.6
    flow.save_and_reopen("digits")
    assert flow.predict(new) == (header, shown)


def test_conv2d_on_an_image_path_csv(flow, window, tmp_path):
    images = make_bar_images(tmp_path / "train")
    flow.layers(("Conv2D", {"filters": 8, "activation": "relu"}), ("MaxPooling2D", {}), ("Flatten", {}),
                ("Dense", {}))

    def choose(dialog):
        assert dialog.type_combo("x:image").currentText() == "image"
        assert dialog.role_combo("x:image").currentText() == "feature"
        assert dialog.samples.image_box.isChecked() and dialog.samples.height_spin.value() == 16
        assert "20x20" in dialog.samples.image_note.text() and "resized to 16x16" in dialog.samples.image_note.text()
        assert sum(not label.pixmap().isNull() for label in dialog.samples.preview_labels) == 4

    flow.import_csv(images, choose)
    assert input_shape(window) == [16, 16, 1]
    flow.compile()
    run = flow.train(6)
    assert run.history["val_accuracy"][-1] >= 0.8  # two classes: chance is 0.5

    other = make_bar_images(tmp_path / "elsewhere", n=20, seed=5)  # paths relative to this CSV's own folder
    header, shown = flow.predict(other)
    truth = [line.split(",")[1] for line in other.read_text().splitlines()[1:]]
    assert np.mean([row[header.index("predicted")] == t for row, t in zip(shown, truth)]) >= 0.8
    flow.save_and_reopen("bars")
    assert flow.predict(other) == (header, shown)

    broken = tmp_path / "elsewhere" / "broken.csv"
    (tmp_path / "elsewhere" / "img" / "notes.png").write_text("not an image")
    good = [f"img/{i}.png,{'vertical' if i % 2 else 'horizontal'}" for i in range(10)]
    broken.write_text("\n".join(["x:image,y:label", *good[:1], "img/missing.png,vertical", "img/notes.png,horizontal",
                                 *good[1:]]) + "\n")
    view = window.workflow.evaluation
    with flow.qtbot.waitSignal(view.failed, timeout=10000) as failed:
        view.predict_file(str(broken))
    message = failed.args[0]
    assert "broken.csv" in message and "column 'x:image'" in message
    assert "line 3" in message and "missing.png does not exist" in message
    assert "line 4" in message and "notes.png is not an image" in message


def test_lstm_on_windows_of_a_time_series(flow, window, tmp_path):
    series = tmp_path / "elnino.csv"
    shutil.copy(DATA / "elnino_sst_monthly.csv", series)
    flow.layers(("LSTM", {"units": 16}), ("Dense", {"units": 1}))

    def choose(dialog):
        samples = dialog.samples
        assert samples.windows_box.isChecked() and samples.time_combo.currentText() == "month"
        assert dialog.type_combo("month").currentText() == "datetime"
        assert not dialog.shuffle_check.isChecked() and not dialog.stratify_check.isChecked()
        samples.lookback_spin.setValue(12)
        samples.calendar_check.setChecked(True)  # month of year as sine and cosine

    spec = flow.import_csv(series, choose)
    assert spec.sequence.lookback == 12 and spec.sequence.calendar
    assert input_shape(window) == [12, 3]  # sst and the month's sine and cosine
    prepared = window.workflow.prepared
    assert prepared.validation.lines.min() > prepared.train.lines.max()  # chronological split
    flow.compile()
    run = flow.train(8)
    std = prepared.preprocessor.target.std
    mae = run.history["val_mae"][-1] * std  # degrees C: the target is learned standardized
    sst = np.array(prepared.table.column("sst").tolist(), dtype=float)
    guess_the_mean = np.abs(sst[prepared.validation.rows + 1] - sst[prepared.train.rows].mean()).mean()
    assert mae < 0.6 * guess_the_mean, (mae, guess_the_mean)  # about 0.5 against 1.9

    recent = tmp_path / "recent.csv"
    lines = series.read_text().splitlines()
    recent.write_text("\n".join([lines[0]] + lines[-24:]) + "\n")  # the last two years: 13 windows
    header, shown = flow.predict(recent)
    assert len(shown) == 13 and [r[0] for r in shown] == list(range(13, 26))  # each window's last line
    next_month = [line.split(",")[1] for line in lines[-24:]][12:] + [""]  # the last window's month is to come
    assert header[:3] == ["line", "actual", "predicted"] and [r[1] for r in shown] == next_month
    assert all(17 < r[header.index("predicted")] < 30 for r in shown), [r[header.index("predicted")] for r in shown]
    flow.save_and_reopen("elnino")
    assert flow.predict(recent) == (header, shown)


def test_embedding_lstm_on_a_text_column(flow, window, tmp_path):
    texts = tmp_path / "definitions.csv"
    shutil.copy(DATA / "wordnet_definitions.csv", texts)
    ids = flow.layers(("Embedding", {"output_dim": 16, "input_dim": 10}), ("LSTM", {"units": 16}), ("Dense", {}))

    def choose(dialog):
        assert dialog.role_combo("definition").currentText() == "feature"
        assert dialog.type_combo("definition").currentText() == "text"
        assert dialog.role_combo("word").currentText() == "ignore"
        assert dialog.samples.text_box.isEnabled() and "definition" in dialog.samples.text_note.text()
        dialog.samples.length_spin.setValue(16)

    flow.import_csv(texts, choose)
    vocabulary = window.workflow.prepared.preprocessor.encoder.vocabulary_size
    assert input_shape(window) == [16]
    assert window.graph.nodes[ids["Embedding"]].config["input_dim"] == vocabulary  # every token index fits
    flow.compile()
    run = flow.train(6)
    assert run.history["val_accuracy"][-1] >= 0.6  # 4 categories: chance is 0.25

    new = tmp_path / "new.csv"
    with open(new, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["definition", "source"])
        writer.writerows([["a small freshwater fish of the genus with silvery scales", "a"],
                          ["a woman who works as a teacher in a school", "b"], ["", "c"],
                          ["a tropical shrub having large yellow flowers and leaves", "d"]])
    header, shown = flow.predict(new)
    assert [r[0] for r in shown] == [2, 3, 5]  # the empty text at line 4 is skipped, and said so
    assert "'definition': 1 row skipped for a missing value (line 4)" in window.workflow.evaluation.table_caption.text()
    flow.save_and_reopen("definitions")
    assert flow.predict(new) == (header, shown)
    saved = window.project.data["preprocessor"]["encoder"]
    assert saved["kind"] == "text" and len(saved["vocabulary"]) == vocabulary and saved["vocabulary"][:2] == ["",
                                                                                                            "[UNK]"]
