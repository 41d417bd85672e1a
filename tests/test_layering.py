"""The dependency rules of DESIGN.md, read from the source: engine/ never imports Qt, pyqtgraph or studio;
the studio document and data packages never import QtWidgets or pyqtgraph."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import statement in a file, including imports inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return bad


def test_engine_imports_no_gui_and_no_studio():
    assert violations("engine", ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "studio")) == []


def test_studio_document_and_data_import_no_widgets():
    for package in ("studio/document", "studio/data"):
        if (ROOT / package).exists():
            assert violations(package, ("PySide6.QtWidgets", "PyQt5", "PyQt6", "pyqtgraph")) == [], package


def test_the_checker_sees_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from PySide6.QtWidgets import QWidget\nimport pyqtgraph as pg\n")
    modules = [m for _, m in imported_modules(sample)]
    assert "PySide6.QtWidgets" in modules and "pyqtgraph" in modules
