"""Every example project shipped in studio/assets/examples trains from the command line and exports to .keras and
ONNX; the two-branch example trains on its two column groups of the Wine data to a stated score."""

import json
from pathlib import Path

import pytest

from studio import headless
from studio.__main__ import main
from studio.assets import ASSETS_DIR
from studio.data.spec import resolve_path
from studio.document.examples import example_path, load_example
from studio.document.project import load_project, save_project

EXAMPLES = sorted(p.stem for p in (ASSETS_DIR / "examples").glob("*.lsproj"))


def test_the_examples_are_found():
    assert {"mlp", "cnn", "lstm", "two_branch", "residual"} <= set(EXAMPLES)


@pytest.mark.parametrize("key", EXAMPLES)
def test_example_trains_from_the_command_line_and_exports(key, tmp_path, capsys):
    pytest.importorskip("onnx")
    project = load_project(example_path(key))
    assert project.data, f"{key} has no data: it cannot train in one click"
    project.data = {**project.data, "path": resolve_path(project.data["path"], str(example_path(key).parent))}
    path = tmp_path / f"{key}.lsproj"
    save_project(project, path)
    assert main(["train", str(path), "--epochs", "2"]) == 0, capsys.readouterr().err
    assert "Run 1 finished after 2 epochs" in capsys.readouterr().out
    for fmt, suffix in (("keras", ".keras"), ("onnx", ".onnx")):
        target = tmp_path / f"{key}{suffix}"
        assert main(["export", str(path), "--format", fmt, "-o", str(target)]) == 0, capsys.readouterr().err
        assert target.stat().st_size > 1000


def test_two_branch_example_learns_wine_from_two_column_groups():
    project = load_example("two_branch")
    bindings = project.data["bindings"]
    assert bindings["inputs"]["chemistry"][0] == "alcohol" and bindings["inputs"]["colour"][-1] == "proline"
    shapes = {n.name: n.config["shape"] for n in project.graph.input_nodes()}
    assert shapes == {"chemistry": [9], "colour": [4]}
    run = headless.train(project)
    assert run.history["val_accuracy"][-1] >= 0.9  # 3 cultivars: chance is 0.40 (the largest class)
    assert json.loads(json.dumps(project.to_dict()))["data"]["bindings"] == bindings


def test_the_example_files_are_what_the_code_makes(tmp_path):
    from studio.document.examples import write_examples

    written = {p.stem: p for p in write_examples(Path(tmp_path))}
    for key in ("two_branch",):
        made = json.loads(written[key].read_text())
        shipped = json.loads(example_path(key).read_text())
        assert made["data"]["bindings"] == shipped["data"]["bindings"]
        assert made["graph"] == shipped["graph"]
