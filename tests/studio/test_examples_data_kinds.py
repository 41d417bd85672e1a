"""The image, time-series and text examples train in one click to a stated validation score on their real data,
and go through the command line: train, predict, export to .keras and ONNX."""

import csv
import json

import numpy as np
import pytest

from studio import headless
from studio.__main__ import main
from studio.data.spec import resolve_path
from studio.document.examples import example_path, load_example
from studio.document.project import load_project, save_project


def score(run, name):
    return run.history[name][-1]


def test_cnn_example_reads_digits_at_over_90_percent():
    project = load_example("cnn")
    assert project.graph.input_nodes()[0].config["shape"] == [8, 8, 1]
    run = headless.train(project, epochs=3)
    assert score(run, "val_accuracy") >= 0.90  # 10 digits: chance is 0.10; 8 epochs reach about 0.99


def test_lstm_example_forecasts_el_nino_better_than_last_year_and_last_month():
    project = load_example("lstm")
    assert project.graph.input_nodes()[0].config["shape"] == [12, 1]
    run = headless.train(project, epochs=15)
    data, preprocessor = headless.evaluation_data(project)
    months = data.validation
    assert months.lines.min() > data.train.lines.max()  # validation comes after training in time
    mae = score(run, "val_mae") * preprocessor.target.std  # the target is learned standardized: back to degrees C
    sst = np.array(data.table.column("sst"), dtype=float)
    rows = months.rows  # each window's last month; its target is the month after
    persistence = np.abs(sst[rows + 1] - sst[rows]).mean()
    seasonal = np.abs(sst[rows + 1] - sst[rows - 11]).mean()
    assert mae < 0.8 * min(persistence, seasonal), (mae, persistence, seasonal)  # about 0.42 vs 0.88 / 0.99


def test_text_example_sorts_definitions_at_over_75_percent():
    project = load_example("text")
    encoder = headless.evaluation_data(project)[1].encoder
    embedding = next(n for n in project.graph.nodes.values() if n.type == "Embedding")
    assert embedding.config["input_dim"] == encoder.vocabulary_size
    run = headless.train(project, epochs=15)
    assert score(run, "val_accuracy") >= 0.75  # 4 categories: chance is 0.25


@pytest.mark.parametrize("key", ["cnn", "lstm", "text"])
def test_examples_train_predict_and_export_from_the_command_line(key, tmp_path, capsys):
    pytest.importorskip("onnx")
    project = load_project(example_path(key))
    csv_path = resolve_path(project.data["path"], str(example_path(key).parent))
    project.data = {**project.data, "path": csv_path}
    path = tmp_path / f"{key}.lsproj"
    save_project(project, path)
    assert main(["train", str(path), "--epochs", "2"]) == 0
    assert "Run 1 finished after 2 epochs" in capsys.readouterr().out
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(path), csv_path, "-o", str(out)]) == 0
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert "predicted" in rows[0] and len(rows) > 100
    for fmt, suffix in (("keras", ".keras"), ("onnx", ".onnx")):
        target = tmp_path / f"model{suffix}"
        assert main(["export", str(path), "--format", fmt, "-o", str(target)]) == 0, capsys.readouterr().err
        assert target.stat().st_size > 1000
    saved = json.loads(path.read_text())
    assert saved["data"]["preprocessor"].get("encoder" if key != "lstm" else "windows")
    script = tmp_path / "model.py"
    if key == "cnn":  # pixel columns: the script makes the images with Rescaling and Reshape
        assert main(["export", str(path), "--format", "py", "-o", str(script)]) == 0, capsys.readouterr().err
        assert "layers.Reshape((8, 8, 1)" in script.read_text()
        return
    # windows and text: refused, saying what to do instead
    assert main(["export", str(path), "--format", "py", "-o", str(script)]) == 1
    assert "export the model as .keras or ONNX instead" in capsys.readouterr().err and not script.exists()
