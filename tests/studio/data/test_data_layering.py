"""studio/data and the plain parts of studio/training import no Qt (they run headless, in the CLI too)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PLAIN = [*sorted((ROOT / "studio" / "data").glob("*.py")),
         *(ROOT / "studio" / "training" / f"{name}.py" for name in ("compile_settings", "diagnosis", "run"))]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_qt_in_plain_modules():
    assert len(PLAIN) > 8
    for path in PLAIN:
        qt = {m for m in imported_modules(path) if m.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6")
              or m.startswith("studio.ui")}
        assert not qt, f"{path.relative_to(ROOT)} imports {sorted(qt)}"
