"""`layerstudio train|evaluate|predict|export` on the Iris example: output, files, exit codes, bad input."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from studio.__main__ import main
from studio.data.spec import resolve_path
from studio.document.examples import example_path
from studio.document.project import load_project, save_project

IRIS_CSV = str(example_path("mlp").parent.parent / "data" / "iris.csv")


@pytest.fixture
def project_file(tmp_path):
    """A copy of the Iris example project (data, compile and training settings), its CSV path made absolute."""
    project = load_project(example_path("mlp"))
    assert project.data and project.compile, "the MLP example is wired to the Iris data"
    project.data = {**project.data, "path": resolve_path(project.data["path"], str(example_path("mlp").parent))}
    project.training = {**(project.training or {}), "epochs": 2, "batch_size": 16}
    path = tmp_path / "iris.lsproj"
    save_project(project, path)
    return str(path)


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_train_evaluate_predict_export(project_file, tmp_path, capsys):
    code, out, err = run(["train", project_file, "--epochs", "3"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split(" - ")[0] for line in lines[:3]] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert "val_loss" in lines[0] and "Run 1 finished after 3 epochs" in lines[-1]
    saved = json.loads(open(project_file).read())
    assert len(saved["runs"]) == 1 and saved["runs"][0]["weights"] is not None
    assert saved["data"]["preprocessor"]["features"][0]["name"] == "sepal_length"

    code, out, _ = run(["train", project_file, "--epochs", "1", "--continue"], capsys)
    assert code == 0 and out.startswith("epoch 4/4")
    assert len(json.loads(open(project_file).read())["runs"]) == 1

    code, out, _ = run(["evaluate", project_file], capsys)
    assert code == 0
    assert out.startswith("train: loss ") and "accuracy" in out and "\nvalidation: loss " in out

    out_csv = tmp_path / "predictions.csv"
    code, out, _ = run(["predict", project_file, IRIS_CSV, "-o", str(out_csv)], capsys)
    assert code == 0 and "Predicted 150 rows" in out
    with open(out_csv, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][-4:] == ["predicted", "p(setosa)", "p(versicolor)", "p(virginica)"] and len(rows) == 151
    assert rows[1][5] in ("setosa", "versicolor", "virginica")

    for fmt, name in (("keras", "m.keras"), ("onnx", "m.onnx"), ("onnx-raw", "raw.onnx"), ("py", "m.py")):
        if fmt.startswith("onnx"):
            pytest.importorskip("onnx")
        code, out, err = run(["export", project_file, "--format", fmt, "-o", str(tmp_path / name)], capsys)
        assert code == 0, err
        assert (tmp_path / name).exists() and f"Wrote {tmp_path / name}" in out
    assert (tmp_path / "m.keras").exists()


def test_bad_input_exits_1_with_one_line(project_file, tmp_path, capsys):
    code, _, err = run(["train", str(tmp_path / "missing.lsproj")], capsys)
    assert code == 1 and err.count("\n") == 1 and "missing.lsproj does not exist" in err
    corrupt = tmp_path / "corrupt.lsproj"
    corrupt.write_text('{"format_version": 1, "graph": {"nodes": [')
    code, _, err = run(["evaluate", str(corrupt)], capsys)
    assert code == 1 and "not a valid LayerStudio project" in err and err.startswith("layerstudio evaluate: error:")

    code, _, err = run(["evaluate", project_file], capsys)
    assert code == 1 and "no trained model yet" in err
    assert run(["train", project_file, "--epochs", "1"], capsys)[0] == 0
    no_column = tmp_path / "no_petals.csv"
    no_column.write_text("sepal_length,sepal_width,petal_length\n5.1,3.5,1.4\n")
    code, _, err = run(["predict", project_file, str(no_column), "-o", str(tmp_path / "p.csv")], capsys)
    assert code == 1 and "'petal_width'" in err and err.count("\n") == 1
    assert not (tmp_path / "p.csv").exists()
    code, _, err = run(["export", project_file, "--format", "keras", "-o", str(tmp_path / "nowhere" / "m.keras")],
                       capsys)
    assert code == 1 and "does not exist" in err


def test_usage_errors_exit_2(project_file, capsys):
    for argv in (["train"], ["export", project_file, "--format", "zip", "-o", "x"], ["train", project_file,
                                                                                       "--epochs", "0"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    assert "usage: layerstudio" in capsys.readouterr().err


def test_the_command_line_imports_no_qt(project_file):
    code = ("import sys; from studio.__main__ import main; rc = main(['evaluate', sys.argv[1]]); "
            "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'; sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, project_file], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "no trained model yet" in result.stderr  # and no AssertionError about Qt


def huge_learning_rate(settings: dict) -> dict:
    """Compile settings that make Iris diverge at once, even from trained weights (plain SGD at 3e38: the first
    update overflows the weights or the next logits)."""
    return {**settings, "optimizer": {"name": "sgd", "config": {"learning_rate": 3e38}}}


def saved_run(path: str, index: int = -1):
    from studio.training.run import TrainingRun
    return TrainingRun.from_dict(json.loads(open(path).read())["runs"][index])


def test_train_that_diverges_saves_a_diverged_run_with_finite_weights(project_file, capsys):
    project = load_project(project_file)
    project.compile = huge_learning_rate(project.compile)
    save_project(project, project_file)
    code, out, err = run(["train", project_file], capsys)
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("layerstudio train: error: run 1 diverged")
    assert "training stopped and the last weights that gave a finite loss were kept" in err
    saved = saved_run(project_file)
    assert saved.status == "nan" and saved.weights and all(np.isfinite(w).all() for w in saved.weights)


def test_continue_that_diverges_keeps_the_earlier_weights(project_file, capsys):
    assert run(["train", project_file], capsys)[0] == 0
    earlier = saved_run(project_file)
    assert earlier.status == "finished" and earlier.epochs_done == 2
    project = load_project(project_file)  # the run goes on with settings that make it diverge at once
    project.runs[-1]["compile_settings"] = huge_learning_rate(project.runs[-1]["compile_settings"])
    save_project(project, project_file)
    code, _, err = run(["train", project_file, "--continue"], capsys)
    assert code == 1 and "diverged" in err
    continued = saved_run(project_file)
    assert continued.status == "nan" and continued.run_id == 1 and continued.epochs_done == 3
    assert continued.segments == [{"initial_epoch": 0, "epochs": 2}, {"initial_epoch": 2, "epochs": 4}]
    assert "the weights it had after epoch 2, before this continuation, were kept" in err
    for kept, before in zip(continued.weights, earlier.weights):
        np.testing.assert_array_equal(kept, before)


def test_predict_and_export_refuse_non_finite_weights(project_file, tmp_path, capsys):
    from studio.training.run import encode_array

    assert run(["train", project_file], capsys)[0] == 0
    project = load_project(project_file)  # as a version that saved NaN weights would have left it
    weights = saved_run(project_file).weights
    weights[2][0, 0] = np.nan
    project.runs[-1]["weights"] = [encode_array(w) for w in weights]
    save_project(project, project_file)
    before = open(project_file).read()
    code, _, err = run(["predict", project_file, IRIS_CSV, "-o", str(tmp_path / "p.csv")], capsys)
    assert code == 1 and err.count("\n") == 1 and "not finite" in err and "kernel" in err
    assert not (tmp_path / "p.csv").exists()
    for fmt in ("keras", "onnx", "py"):
        code, _, err = run(["export", project_file, "--format", fmt, "-o", str(tmp_path / f"m.{fmt}")], capsys)
        assert code == 1 and err.count("\n") == 1 and "The weights of run 1 are not finite" in err
        assert not (tmp_path / f"m.{fmt}").exists()
    assert open(project_file).read() == before
