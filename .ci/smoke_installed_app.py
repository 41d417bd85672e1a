"""Smoke test of LayerStudio as a user installs it (run by .ci/run inside a fresh venv holding the built
wheel, from a folder outside the source tree): the window opens offscreen on its example project, an
example trains and exports through the installed `layerstudio` command, the desktop entry installs."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
import studio  # noqa: E402
from studio.assets import ASSETS_DIR  # noqa: E402

bin_dir = Path(sys.executable).parent
assert "site-packages" in studio.__file__, f"studio imported from the source tree: {studio.__file__}"
work = Path(tempfile.mkdtemp(prefix="layerstudio-smoke-"))


def run(*args: str) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, cwd=work)
    assert done.returncode == 0, f"{args} exited {done.returncode}: {done.stderr}"
    return done.stdout


print(run(bin_dir / "layerstudio", "--version").strip())

# The window, as `layerstudio` opens it: the example project loaded and shown.
from studio.app import create_application  # noqa: E402
from studio.ui.main_window import MainWindow  # noqa: E402

app = create_application([])
window = MainWindow()
window.show()
app.processEvents()
assert window.isVisible() and not app.windowIcon().isNull()
print("window:", window.windowTitle())
window.close()

# An example trained, evaluated and exported through the installed command, on a copy outside the package.
shutil.copytree(ASSETS_DIR, work / "assets")
project = work / "assets" / "examples" / "mlp.lsproj"
print(run(bin_dir / "layerstudio", "train", project, "--epochs", "2").strip().splitlines()[-1])
print(run(bin_dir / "layerstudio", "evaluate", project).strip())
run(bin_dir / "layerstudio", "export", project, "--format", "onnx", "-o", work / "model.onnx")
assert (work / "model.onnx").stat().st_size > 0

written = run(bin_dir / "layerstudio", "--install-desktop").split()
assert any(p.endswith("layerstudio.desktop") for p in written), written
print("installed app: OK")
