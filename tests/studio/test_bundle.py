"""The standalone bundle's recipe (packaging/build_bundle.py) and the `--smoke-test` check it runs."""

import importlib.util
from pathlib import Path

from studio.__main__ import main
from studio.assets import ASSETS_DIR

ROOT = Path(__file__).resolve().parents[2]


def load_build_script():
    spec = importlib.util.spec_from_file_location("build_bundle", ROOT / "packaging" / "build_bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bundle_carries_every_asset_folder_and_leaves_out_the_reference_packages():
    build = load_build_script()
    args = build.pyinstaller_arguments(clean=False)
    shipped = {value.split(build.os.pathsep)[1] for flag, value in zip(args, args[1:]) if flag == "--add-data"}
    folders = {f"studio/assets/{p.name}" for p in ASSETS_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders and shipped == folders
    excluded = {value for flag, value in zip(args, args[1:]) if flag == "--exclude-module"}
    assert {"torch", "keras", "scipy", "pytest"} <= excluded
    # What the app itself imports must never be excluded.
    assert not excluded & {"numpy", "PySide6", "pyqtgraph", "h5py", "onnx", "PIL", "threadpoolctl", "engine"}
    entry = ROOT / "packaging" / "layerstudio_entry.py"
    assert args[0] == str(entry) and "from studio.__main__ import main" in entry.read_text()


def test_smoke_test_opens_the_window_on_a_project_and_exits(qapp, capsys, monkeypatch):
    from studio.document.examples import example_path
    from studio.ui.main_window import MainWindow
    shown = []
    monkeypatch.setattr(MainWindow, "show", lambda self: (shown.append(self), super(MainWindow, self).show()))
    assert main(["--smoke-test", str(example_path("mlp"))]) == 0
    out = capsys.readouterr().out
    assert "LayerStudio window shown: True" in out and "'mlp.lsproj — LayerStudio'" in out
    assert len(shown) == 1 and not shown[0].isVisible()
    shown[0].deleteLater()

