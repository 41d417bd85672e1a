"""The fault catalogue: corrupt, truncated, hostile and absurd project, `.keras` and CSV files.

Every case gives one clear message naming the file and the part at fault, through the command line (exit 1,
one line) and through the window (File > Open or File > Import with the file dialog patched), and changes
nothing: every file in the folder hashes the same before and after, and the window keeps its project, title,
runs and unsaved-changes mark. No command reads a `.keras` file, so those cases go through
`studio.exchange.import_keras` (what the window calls) and File > Import Keras Model….
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from studio.__main__ import main
from studio.document.examples import example_path
from studio.document.project import graph_to_dict
from studio.training.run import encode_array

IRIS_CSV = example_path("mlp").parent.parent / "data" / "iris.csv"


# -- the files ------------------------------------------------------------------------------------------------

def iris_project() -> dict:
    """The MLP example on Iris as saved JSON, its CSV beside it ("iris.csv")."""
    data = json.loads(example_path("mlp").read_text())
    data["data"]["path"] = "iris.csv"
    data["training"].update(epochs=2, batch_size=16)
    return data


def trained_run(project: dict, run_id: int = 1) -> dict:
    """A run as the window saves it, with the weights of a freshly built model of the project's graph."""
    from studio.document.build import build_model
    from studio.document.project import graph_from_dict

    weights = build_model(graph_from_dict(project["graph"])).get_weights()
    return {"run_id": run_id, "compile_settings": project["compile"], "settings": project["training"],
            "history": {"loss": [1.1, 0.9], "val_loss": [1.2, None]}, "status": "finished", "message": "",
            "segments": [{"initial_epoch": 0, "epochs": 2}], "weights": [encode_array(w) for w in weights]}


def folder_hashes(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def node(project: dict, name: str) -> dict:
    return next(n for n in project["graph"]["nodes"] if n["name"] == name)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def with_text(text: str):
    return lambda project: text


def edit(change):
    """A case that changes the Iris project's JSON in place; the file is the edited JSON."""
    def make(project):
        change(project)
        return json.dumps(project, indent=1)
    return make


def raw_replace(old: str, new: str):
    """A case written as text (to hold what json.dumps would not write, such as NaN)."""
    return lambda project: json.dumps(project, indent=1).replace(old, new, 1)


# id: (how to make the file's text from the Iris project, what the message must contain besides the file's name)
REFUSED_PROJECTS = {
    "truncated": (lambda p: json.dumps(p)[:700], ["JSON is broken at line 1"]),
    "empty": (with_text(""), ["is empty"]),
    "not_an_object": (with_text("[1, 2, 3]"), ["top level is not a JSON object"]),
    "newer_format": (edit(lambda p: p.update(format_version=99)), ["newer LayerStudio"]),
    "nested_200k_deep": (with_text('{"format_version": 1, "graph": ' + nested(200_000) + "}"), ["nests deeper"]),
    "nested_in_a_config": (edit(lambda p: node(p, "hidden")["config"].update(extra=json.loads(nested(80)))),
                           ["graph node 2 ('hidden')", "nests deeper"]),
    "epochs_text": (edit(lambda p: p["training"].update(epochs="abc")), ["training settings", "'epochs'", "'abc'"]),
    "batch_size_10e12": (edit(lambda p: p["training"].update(batch_size=10**12)),
                         ["training settings", "'batch_size'", "1000000000000"]),
    "patience_negative": (edit(lambda p: p["training"].update(patience=-3)), ["training settings", "'patience'"]),
    "shuffle_text": (edit(lambda p: p["training"].update(shuffle="yes")), ["training settings", "'shuffle'"]),
    "training_not_object": (edit(lambda p: p.update(training=[1])), ["'training' must be an object"]),
    "nan_mean": (raw_replace('"mean": 3.04', '"mean": NaN, "x": 3.04'),
                 ["column 2 ('sepal_width')", "mean", "not a finite number"]),
    "zero_std": (edit(lambda p: p["data"]["preprocessor"]["features"][2].update(std=0)),
                 ["data preprocessing", "column 'petal_length'", "standard deviation 0"]),
    "infinite_std": (raw_replace('"std": 0.75', '"std": 1e999, "x": 0.75'),
                     ["column 4 ('petal_width')", "std", "inf"]),
    "no_classes": (edit(lambda p: p["data"]["preprocessor"]["target"].update(classes=[])),
                   ["data preprocessing", "target 'species'", "0 classes"]),
    "unknown_feature_kind": (edit(lambda p: p["data"]["preprocessor"]["features"][0].update(type="audio")),
                             ["data preprocessing", "column 'sepal_length'", "'audio'"]),
    "preprocessor_not_object": (edit(lambda p: p["data"].update(preprocessor="x")),
                                ["data preprocessing", "'preprocessor' is not an object"]),
    "unknown_loss": (edit(lambda p: p["compile"].update(loss="rm -rf /")), ["compile settings", "Unknown loss"]),
    "learning_rate_text": (edit(lambda p: p["compile"]["optimizer"]["config"].update(learning_rate="fast")),
                           ["compile settings", "'learning_rate'"]),
    "infinite_position": (raw_replace('"position": [', '"position": [1e999, '),
                          ["graph node 1 ('features')", "position", "inf"]),
    "nan_in_a_layer_config": (raw_replace('"units": 16', '"units": NaN'), ["graph node 2 ('hidden')", "units"]),
    "wire_to_nowhere": (edit(lambda p: p["graph"]["wires"].append({"source": "nowhere", "target": "x", "port": 0})),
                        ["wire 3"]),
    "node_without_id": (edit(lambda p: p["graph"]["nodes"][0].pop("id")), ["graph node 1", "'id'"]),
}


@pytest.fixture
def folder(tmp_path):
    shutil.copy(IRIS_CSV, tmp_path / "iris.csv")
    return tmp_path


def write_case(folder, make) -> str:
    path = folder / "case.lsproj"
    path.write_text(make(iris_project()), encoding="utf-8")
    return str(path)


def test_the_unedited_iris_project_opens(folder):
    from studio.project_file import open_project

    project = open_project(write_case(folder, edit(lambda p: None)))
    assert project.problems == [] and project.data["preprocessor"]["target"]["classes"][0] == "setosa"


# -- refused project files --------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", list(REFUSED_PROJECTS))
@pytest.mark.parametrize("command", ["train", "predict"])
def test_the_command_line_refuses_the_file_in_one_line(case, command, folder, capsys):
    make, expected = REFUSED_PROJECTS[case]
    path = write_case(folder, make)
    before = folder_hashes(folder)
    argv = [command, path] + (["--epochs", "1"] if command == "train" else
                              [str(folder / "iris.csv"), "-o", str(folder / "out.csv")])
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and err.startswith(f"layerstudio {command}: error: ")
    assert "case.lsproj" in err and all(text in err for text in expected), err
    assert folder_hashes(folder) == before


@pytest.fixture
def edited_window(window, folder, monkeypatch):
    """The window on a saved project of its own ("mine.lsproj") with an unsaved edit on top."""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(folder / "mine"), "")))
    assert window.save_as()
    window.add_layer("Dense", window.view.mapToScene(window.view.viewport().rect().center()))
    assert window.is_modified() and window.windowTitle() == "mine.lsproj[*] — LayerStudio"
    return window


def window_state(window) -> tuple:
    return (window.windowTitle(), window.isWindowModified(), window.is_modified(), window.project.path,
            json.dumps(graph_to_dict(window.graph), sort_keys=True), json.dumps(window.project.runs),
            sorted(window.scene.node_items), window.recent.paths())


def patch_dialogs(monkeypatch, open_path: str) -> dict:
    """The open dialog answers `open_path`; "unsaved changes?" answers Discard; message boxes are recorded."""
    shown = {"critical": [], "warning": []}
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (open_path, "")))

    def warning(parent, title, text, *args, **kwargs):
        shown["warning"].append(text)
        return QMessageBox.Discard

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda parent, title, text, *a, **k:
                                                              shown["critical"].append(text)))
    return shown


def file_action(window, text: str):
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File")
    return next(a for a in file_menu.actions() if a.text().replace("&", "").startswith(text))


@pytest.mark.parametrize("case", list(REFUSED_PROJECTS))
def test_file_open_in_the_window_refuses_the_file_and_keeps_everything(case, edited_window, folder, monkeypatch):
    make, expected = REFUSED_PROJECTS[case]
    path = write_case(folder, make)
    before, state = folder_hashes(folder), window_state(edited_window)
    shown = patch_dialogs(monkeypatch, path)
    file_action(edited_window, "Open").trigger()
    assert len(shown["critical"]) == 1, shown
    message = shown["critical"][0]
    assert "case.lsproj" in message and all(text in message for text in expected), message
    assert window_state(edited_window) == state
    assert folder_hashes(folder) == before


def test_a_project_the_window_fails_to_show_brings_the_current_one_back_unsaved(edited_window, folder,
                                                                              monkeypatch):
    path = write_case(folder, edit(lambda p: None))
    state = window_state(edited_window)
    attach = edited_window.workflow.attach

    def failing_attach(project):
        if project.path == path:
            raise RuntimeError("a fault no check foresaw")
        attach(project)

    monkeypatch.setattr(edited_window.workflow, "attach", failing_attach)
    shown = patch_dialogs(monkeypatch, path)
    file_action(edited_window, "Open").trigger()
    assert len(shown["critical"]) == 1 and "case.lsproj" in shown["critical"][0]
    assert "a fault no check foresaw" in shown["critical"][0]
    assert window_state(edited_window) == state


def test_a_project_argument_at_start_up_that_is_refused_opens_the_window_with_a_message(folder, monkeypatch, qtbot):
    from PySide6.QtWidgets import QApplication

    import studio.app
    from studio.ui.main_window import MainWindow

    path = write_case(folder, REFUSED_PROJECTS["batch_size_10e12"][0])
    shown = patch_dialogs(monkeypatch, path)
    shown_windows = []
    monkeypatch.setattr(MainWindow, "show", lambda self: shown_windows.append(self))
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    assert studio.app.run(path) == 0
    assert len(shown["critical"]) == 1 and "'batch_size'" in shown["critical"][0]
    (window,) = shown_windows
    assert window.project.path is None and not window.is_modified()
    window.workflow.shutdown()


def test_an_absurd_layer_opens_instantly_but_is_refused_for_training(edited_window, folder, monkeypatch, capsys,
                                                                    qtbot):
    path = write_case(folder, edit(lambda p: node(p, "hidden")["config"].update(units=10**12)))
    before = folder_hashes(folder)
    code = main(["train", path, "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert "The model's weights take 32.0 TB ('hidden' holds 20.0 TB)" in err and "more than this computer's" in err

    shown = patch_dialogs(monkeypatch, path)
    file_action(edited_window, "Open").trigger()
    workflow = edited_window.workflow
    qtbot.waitUntil(lambda: not workflow.loading, timeout=10000)
    assert shown["critical"] == [] and edited_window.project.path == path
    hidden = next(n.id for n in edited_window.graph.nodes.values() if n.name == "hidden")
    assert edited_window.analysis.current.reports[hidden].warning == "this layer holds 20.0 TB of weights"
    assert "more than this computer's" in workflow.train_blocker()
    assert not edited_window.actions_by_name["train"].isEnabled()
    assert folder_hashes(folder) == before


# -- damaged runs: reported, the rest of the project opens -------------------------------------------------------

def runs_case(kind: str):
    def make(project):
        good, bad = trained_run(project, 1), trained_run(project, 2)
        if kind == "bad_base64":
            bad["weights"][0]["base64"] = "not base64!"
        elif kind == "wrong_byte_count":
            bad["weights"][1]["shape"] = [7, 7]
        elif kind == "object_dtype":
            bad["weights"][0]["dtype"] = "|O"
        elif kind == "negative_shape":
            bad["weights"][0]["shape"] = [-4, 16]
        elif kind == "run_id_text":
            bad["run_id"] = "two"
        elif kind == "history_not_lists":
            bad["history"] = {"loss": 3}
        project["runs"] = [good, bad]
        return json.dumps(project)
    return make


DAMAGED_RUNS = {"bad_base64": "weights of run 2 are damaged", "wrong_byte_count": "weights of run 2 are damaged",
                "object_dtype": "weights of run 2 are damaged", "negative_shape": "weights of run 2 are damaged",
                "run_id_text": "run two is damaged", "history_not_lists": "run 2 is damaged"}


@pytest.mark.parametrize("case", list(DAMAGED_RUNS))
def test_a_damaged_run_is_reported_and_the_rest_opens(case, edited_window, folder, monkeypatch, capsys):
    path = write_case(folder, runs_case(case))
    before = folder_hashes(folder)
    code = main(["export", path, "--format", "py", "-o", str(folder / "out" / "m.py")])  # a folder that is not there
    err = capsys.readouterr().err.splitlines()
    assert code == 1 and err[0].startswith("layerstudio: warning: case.lsproj: ") and DAMAGED_RUNS[case] in err[0]
    assert err[1].startswith("layerstudio export: error: Cannot write")  # it went on to the export with run 1

    shown = patch_dialogs(monkeypatch, path)
    file_action(edited_window, "Open").trigger()
    assert shown["critical"] == [] and len(shown["warning"]) == 2  # "unsaved changes?", then the damaged run
    assert DAMAGED_RUNS[case] in shown["warning"][1] and "case.lsproj" in shown["warning"][1]
    window = edited_window
    assert window.project.path == path and window.windowTitle() == "case.lsproj[*] — LayerStudio"
    assert [n["name"] for n in graph_to_dict(window.graph)["nodes"]] == ["features", "hidden", "species"]
    runs = window.project.runs
    assert runs[0]["run_id"] == 1 and runs[0]["weights"] is not None
    if "weights" in DAMAGED_RUNS[case]:
        assert len(runs) == 2 and runs[1]["weights"] is None and runs[1]["history"]["loss"] == [1.1, 0.9]
        assert [r.run_id for r in window.workflow.session.runs] == [1, 2]
    else:
        assert len(runs) == 1
    assert window.workflow.train_blocker() is None or "data" in window.workflow.train_blocker().lower()
    window.workflow.shutdown()
    assert folder_hashes(folder) == before


# -- .keras files: File > Import Keras Model… and the import the command line's code uses -------------------------

def small_keras(folder) -> dict[str, bytes]:
    import engine

    path = folder / "honest.keras"
    engine.Sequential([engine.Input((4,)), engine.layers.Dense(3, name="dense")]).save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    path.unlink()
    return members


def zipped(members: dict[str, bytes], bomb: bytes | None = None) -> bytes:
    """A zip of `members`; with `bomb`, model.weights.h5 is instead a deflate stream declaring 1.5 GB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            if not (bomb and name == "model.weights.h5"):
                archive.writestr(name, data)
    if bomb is None:
        return buffer.getvalue()
    # Rewrite as a zip whose last member is the bomb: stored local header + central directory by hand.
    entries = [(info.filename, members[info.filename]) for info in zipfile.ZipFile(buffer).infolist()]
    body, central = bytearray(), bytearray()
    chunk, copies = bytes(2**24), 90  # 90 x 16 MiB = 1.5 GB
    crc = 0
    for _ in range(copies):
        crc = zlib.crc32(chunk, crc)
    rows = [(name, data, zlib.crc32(data), len(data), 0) for name, data in entries]
    rows.append(("model.weights.h5", bomb * copies + b"\x03\x00", crc, copies * len(chunk), 8))
    for name, data, checksum, size, method in rows:
        offset, encoded = len(body), name.encode()
        body += struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, method, 0, 0x21, checksum, len(data), size,
                            len(encoded), 0) + encoded + data
        central += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0, method, 0, 0x21, checksum,
                               len(data), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(rows), len(rows), len(central), len(body), 0)
    return bytes(body + central + end)


def deflated_chunk() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(bytes(2**24)) + compressor.flush(zlib.Z_FULL_FLUSH)


def fill_value_weights() -> bytes:
    """An HDF5 weights file of a few KB whose kernel dataset declares 2 GB of fill value."""
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_dataset("layers/dense/vars/0", shape=(500_000_000,), dtype="float32", fillvalue=1.0)
        f.create_dataset("layers/dense/vars/1", data=np.zeros(3, "float32"))
    return buffer.getvalue()


def config_edit(change):
    def make(members):
        config = json.loads(members["config.json"])
        change(config["config"]["layers"])
        return zipped({**members, "config.json": json.dumps(config).encode()})
    return make


# id: (how to make the file's bytes from an honest small model's members, what the message must contain)
REFUSED_KERAS = {
    "text": (lambda m: b"hello, not a model", ["not a complete zip archive"]),
    "empty": (lambda m: b"", ["not a complete zip archive"]),
    "truncated": (lambda m: zipped(m)[: len(zipped(m)) // 2], ["not a complete zip archive"]),
    "no_config": (lambda m: zipped({k: v for k, v in m.items() if k != "config.json"}), ["has no config.json"]),
    "config_not_json": (lambda m: zipped({**m, "config.json": b"{not json"}), ["config.json", "not valid JSON"]),
    "config_200k_deep": (lambda m: zipped({**m, "config.json": nested(200_000).encode()}),
                         ["config.json", "nests its JSON deeper"]),
    "lambda_layer": (config_edit(lambda layers: layers[1].update(
        class_name="Lambda", config={"name": "dense", "function": {"class_name": "__lambda__", "config": {
            "code": "4wEAAAAAAAAA", "defaults": None, "closure": None}}})),
                     ["layer 'dense' (Lambda)", "Requested the deserialization of a `Lambda`", "safe_mode=False"]),
    "unknown_layer": (config_edit(lambda layers: layers[1].update(class_name="Teleporter")),
                      ["Unknown layer class 'Teleporter'"]),
    "weights_not_hdf5": (lambda m: zipped({**m, "model.weights.h5": b"\x89HDF\r\n\x1a\n" + bytes(500)}),
                         ["model.weights.h5", "not a valid HDF5 file"]),
    "input_batch_shape_disagrees": (
        lambda m: zipped({**m, "config.json": m["config.json"].replace(b'"batch_shape": [null, 4]',
                                                                       b'"batch_shape": [null, 5]')}),
        ["Input 0 of layer \"dense\" is incompatible", "expected axis -1 of input shape to have value 4"]),
    "400_gb_of_weights": (config_edit(lambda layers: (layers[0]["config"].update(batch_shape=[None, 100_000]),
                                                      layers[1]["config"].update(units=1_000_000),
                                                      layers[1].update(build_config={"input_shape": [None, 100_000]}))),
                          ["weight 'kernel' of shape (100000, 1000000)", "400.0 GB"]),
    "zip_bomb_1_5_gb": (lambda m: zipped(m, bomb=deflated_chunk()), ["model.weights.h5", "declares 1.5 GB"]),
    "fill_value_2_gb": (lambda m: zipped({**m, "model.weights.h5": fill_value_weights()}),
                        ["layer 'dense' (Dense)", "(500000000,)"]),
}


@pytest.mark.parametrize("case", list(REFUSED_KERAS))
def test_a_refused_keras_file_is_named_in_the_import_and_the_window_keeps_its_project(case, edited_window, folder,
                                                                                     monkeypatch):
    from studio.exchange import ExchangeError, import_keras

    make, expected = REFUSED_KERAS[case]
    path = folder / "case.keras"
    path.write_bytes(make(small_keras(folder)))
    before, state = folder_hashes(folder), window_state(edited_window)
    with pytest.raises(ExchangeError) as refused:
        import_keras(path)
    assert "case.keras" in str(refused.value) and all(text in str(refused.value) for text in expected), refused.value

    shown = patch_dialogs(monkeypatch, str(path))
    file_action(edited_window, "Import Keras Model").trigger()
    assert shown["critical"] == [str(refused.value)]
    assert window_state(edited_window) == state
    assert folder_hashes(folder) == before


# -- CSV files: `layerstudio predict` on them, and a project whose data they are -----------------------------------

def iris_lines() -> list[str]:
    return IRIS_CSV.read_text().splitlines()


def with_line(number: int, change) -> str:
    lines = iris_lines()[:12]
    lines[number - 1] = change(lines[number - 1])
    return "\n".join(lines) + "\n"


# id: (the file's text, what the message must contain besides the file's name)
REFUSED_CSV = {
    "empty": ("", ["the file is empty"]),
    "header_only": (iris_lines()[0] + "\n", ["no data rows"]),
    "text_in_a_number_column": (with_line(5, lambda line: "5.0,abc," + line.split(",", 2)[2]),
                                ["column 'sepal_width'", "line 5", "'abc'"]),
    "infinite_number": (with_line(4, lambda line: "1e999," + line.split(",", 1)[1]),
                        ["column 'sepal_length', line 4", "not a finite number"]),
    "ragged_row": (with_line(4, lambda line: line + ",1,2,3"), ["line 4 has 8 fields but the header has 5"]),
    "binary": ("\x00\x01\x02" * 100, ["not a text file"]),
}


@pytest.mark.parametrize("case", list(REFUSED_CSV))
def test_a_refused_csv_is_named_by_predict_and_by_the_window(case, edited_window, folder, monkeypatch, capsys,
                                                            qtbot):
    text, expected = REFUSED_CSV[case]
    (folder / "bad.csv").write_text(text, encoding="utf-8")
    project = iris_project()
    project["runs"] = [trained_run(project)]
    (folder / "trained.lsproj").write_text(json.dumps(project))
    project["data"]["path"] = "bad.csv"
    (folder / "on_bad.lsproj").write_text(json.dumps(project))
    before = folder_hashes(folder)

    code = main(["predict", str(folder / "trained.lsproj"), str(folder / "bad.csv"), "-o", str(folder / "out.csv")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "bad.csv" in err and all(t in err for t in expected), err

    shown = patch_dialogs(monkeypatch, str(folder / "on_bad.lsproj"))
    file_action(edited_window, "Open").trigger()
    workflow = edited_window.workflow
    qtbot.waitUntil(lambda: not workflow.loading, timeout=10000)
    assert shown["critical"] == [] and workflow.data_problem is not None
    assert "bad.csv" in workflow.data_problem and all(t in workflow.data_problem for t in expected), \
        workflow.data_problem
    assert workflow.train_blocker() == workflow.data_problem
    assert edited_window.project.path == str(folder / "on_bad.lsproj")
    assert folder_hashes(folder) == before
