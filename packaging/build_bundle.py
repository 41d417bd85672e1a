"""Build a one-folder standalone bundle of LayerStudio with PyInstaller: `python packaging/build_bundle.py`.

The result is `dist/LayerStudio/` at the repository root; `dist/LayerStudio/LayerStudio` takes the same command
line as `layerstudio` (`train P --epochs 2`, `--version`, `--smoke-test`). PyInstaller is installed with pip
when missing. Packages the app never imports (torch, keras, scipy, the test tools) are left out so the bundle
stays small. `--clean` drops PyInstaller's cache first.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "studio" / "assets"
ASSET_FOLDERS = ("examples", "data", "icons", "desktop")

# Installed here for tests or reference comparisons, never imported by engine/ or studio/.
EXCLUDED = ("torch", "keras", "tensorflow", "jax", "scipy", "onnxruntime", "pandas", "matplotlib", "sklearn",
            "IPython", "pytest", "pytestqt", "_pytest", "tkinter", "tests", "PyInstaller", "setuptools", "pip",
            # pyqtgraph imports QtTest when present and runs without it (QtOpenGL* it needs); no 3-D plots here.
            "PySide6.QtTest", "pyqtgraph.opengl")


def ensure_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "pyinstaller>=6"], check=True)


def pyinstaller_arguments(clean: bool) -> list[str]:
    """PyInstaller's command line for the one-folder, windowed LayerStudio bundle."""
    args = [str(ROOT / "packaging" / "layerstudio_entry.py"), "--name", "LayerStudio", "--onedir", "--windowed",
            "--noconfirm", "--distpath", str(ROOT / "dist"), "--workpath", str(ROOT / "build" / "pyinstaller"),
            "--specpath", str(ROOT / "build"), "--paths", str(ROOT),
            "--icon", str(ASSETS / "icons" / "layerstudio-256.png"),
            # engine.export.python_script resolves layers through importlib; collect every module explicitly.
            "--collect-submodules", "engine", "--collect-submodules", "studio",
            "--hidden-import", "threadpoolctl", "--hidden-import", "h5py", "--hidden-import", "PIL.Image"]
    for folder in ASSET_FOLDERS:
        args += ["--add-data", f"{ASSETS / folder}{os.pathsep}studio/assets/{folder}"]
    for module in EXCLUDED:
        args += ["--exclude-module", module]
    if clean:
        args.append("--clean")
    return args


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache before building")
    args = parser.parse_args(argv)
    ensure_pyinstaller()
    import PyInstaller.__main__
    PyInstaller.__main__.run(pyinstaller_arguments(args.clean))
    print(f"bundle: {ROOT / 'dist' / 'LayerStudio'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
