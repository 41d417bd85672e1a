"""What a desktop app remembers and accepts: window geometry and dock layout across restarts, the last
folder used in file dialogs, and files dropped onto the window (projects open, CSV files import, Keras
models import)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QUrl
from PySide6.QtWidgets import QMainWindow, QMessageBox

GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
FOLDER_KEY = "files/last_folder"
LAYOUT_VERSION = 1  # bump when the docks change, so that an old saved layout is not applied to new docks

DROPPABLE = {".lsproj": "project", ".csv": "data", ".tsv": "data", ".txt": "data", ".keras": "model"}


def restore_window_state(window: QMainWindow, settings: QSettings) -> bool:
    """Put the window back where it was, with the docks as they were; False when nothing usable was saved
    (first start, or a corrupt settings file), leaving the default layout."""
    geometry, state = settings.value(GEOMETRY_KEY), settings.value(STATE_KEY)
    if not isinstance(geometry, QByteArray | bytes) or not isinstance(state, QByteArray | bytes):
        return False
    restored = window.restoreGeometry(QByteArray(geometry))
    return window.restoreState(QByteArray(state), LAYOUT_VERSION) and restored


def save_window_state(window: QMainWindow, settings: QSettings) -> None:
    settings.setValue(GEOMETRY_KEY, window.saveGeometry())
    settings.setValue(STATE_KEY, window.saveState(LAYOUT_VERSION))


def last_folder(settings: QSettings) -> str:
    """The folder of the last file opened or saved through a dialog, else the user's home (never the app's
    own installation folder)."""
    folder = settings.value(FOLDER_KEY)
    if isinstance(folder, str) and os.path.isdir(folder):
        return folder
    return str(Path.home())


def remember_folder(settings: QSettings, path: str) -> None:
    settings.setValue(FOLDER_KEY, os.path.dirname(os.path.abspath(path)))


def dropped_files(urls: list[QUrl]) -> list[str]:
    """The local files among dropped URLs that the window can take (by extension)."""
    paths = [url.toLocalFile() for url in urls if url.isLocalFile()]
    return [p for p in paths if Path(p).suffix.lower() in DROPPABLE]


def open_dropped(window, urls: list[QUrl]) -> bool:
    """Open what was dropped on the window: a project opens, a CSV file goes to the import dialog, a Keras
    model is imported. Anything else is refused with a message naming the file; the project is unchanged."""
    paths = [url.toLocalFile() for url in urls if url.isLocalFile()]
    accepted = dropped_files(urls)
    if not accepted:
        names = ", ".join(os.path.basename(p) for p in paths) or "these items"
        QMessageBox.warning(window, "Cannot open the dropped file",
                            f"LayerStudio cannot open {names}: drop a project (.lsproj), a CSV file (.csv) or a "
                            "Keras model (.keras).")
        return False
    path = accepted[0]
    kind = DROPPABLE[Path(path).suffix.lower()]
    if kind == "project":
        return window.open_project(path)
    if kind == "data":
        return window.workflow.import_csv(path)
    from studio.ui.exchange import import_keras_model
    return import_keras_model(window, path)
