"""LayerStudio as installed: version, desktop entry, and an `engine` package elsewhere that must not shadow ours."""

import os
import subprocess
import sys
from pathlib import Path

import studio
from studio.__main__ import main
from studio.assets import ASSETS_DIR
from studio.desktop_entry import ICON_SIZES, install_desktop_entry

SOURCE_ROOT = Path(studio.__file__).resolve().parents[1]


def test_version_is_printed(capsys):
    try:
        main(["--version"])
    except SystemExit as done:
        assert done.code == 0
    assert capsys.readouterr().out.strip() == f"LayerStudio {studio.__version__}"


def test_assets_are_inside_the_package():
    assert ASSETS_DIR.parent == Path(studio.__file__).parent
    assert (ASSETS_DIR / "examples" / "mlp.lsproj").is_file()
    assert (ASSETS_DIR / "icons" / "layerstudio.svg").is_file()


def test_desktop_entry_installs_menu_entry_icons_and_file_type(tmp_path):
    written = install_desktop_entry(tmp_path)
    entry = (tmp_path / "applications" / "layerstudio.desktop").read_text()
    assert "Exec=" in entry and "%f" in entry and "MimeType=application/x-layerstudio-project;" in entry
    assert "*.lsproj" in (tmp_path / "mime" / "packages" / "layerstudio.xml").read_text()
    for size in ICON_SIZES:
        assert (tmp_path / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "layerstudio.png") in written


def test_another_engine_in_the_current_folder_does_not_shadow_ours(tmp_path):
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "__init__.py").write_text("raise ImportError('the wrong engine')\n")
    env = {**os.environ, "PYTHONPATH": str(SOURCE_ROOT)}
    code = "import studio, engine; print(engine.__file__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).resolve() == SOURCE_ROOT / "engine" / "__init__.py"
