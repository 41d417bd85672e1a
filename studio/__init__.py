"""LayerStudio: the desktop application (PySide6) built on the `engine` package."""

from __future__ import annotations

import importlib.util
import os
import sys

__version__ = "0.2.0"


def _put_own_engine_first() -> None:
    """Make `import engine` find this installation's engine, even when started from a folder (the current
    directory of `python -m studio`) that holds another package called `engine`."""
    if "engine" in sys.modules:
        return
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isfile(os.path.join(root, "engine", "__init__.py")):
        return
    spec = importlib.util.find_spec("engine")
    found = os.path.dirname(os.path.dirname(os.path.abspath(spec.origin))) if spec and spec.origin else None
    if found != root:
        sys.path.insert(0, root)


_put_own_engine_first()
