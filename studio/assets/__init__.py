"""The files the app ships: example projects (`examples/`) and their datasets (`data/`).

They live inside the `studio` package so that a plain `pip install` carries them; `ASSETS_DIR` is their
folder on disk, found through the package itself rather than the source tree.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

ASSETS_DIR = Path(str(files(__name__)))
