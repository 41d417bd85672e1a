"""File > Import Keras model… and File > Export (.keras, ONNX, Python script) in the main window.

The work is `studio.exchange`; this module asks for file names, shows what went wrong in a dialog and
keeps the export actions enabled only while the project has a trained model.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox

from studio import exchange

NO_MODEL_TIP = "Train the model first (or import a trained Keras model): there is nothing trained to export yet."
KERAS_FILTER = "Keras models (*.keras);;All files (*)"
EXPORTS = {  # action name: (menu text, dialog title, file filter, exchange function)
    "export_keras": ("&Keras model (.keras)…", "Export Keras model", KERAS_FILTER, exchange.export_keras),
    "export_onnx": ("&ONNX…", "Export ONNX model", "ONNX models (*.onnx);;All files (*)", exchange.export_onnx),
    "export_python": ("&Python script…", "Export Keras Python script", "Python scripts (*.py);;All files (*)",
                      exchange.export_python),
}


def install_exchange_actions(window) -> None:
    """Add Import Keras model… and the Export submenu to the window's File menu (before Quit)."""
    file_menu = _file_menu(window)
    quit_action = window.actions_by_name.get("quit")
    import_action = QAction("&Import Keras Model…", window)
    import_action.setStatusTip("Open a Keras .keras file as a new project: its layers on the canvas, its weights "
                               "kept as a trained run")
    import_action.triggered.connect(lambda *_: import_keras_model(window))
    export_menu = QMenu("E&xport", window)
    window.actions_by_name["import_keras"] = import_action
    for name, (text, *_rest) in EXPORTS.items():
        action = export_menu.addAction(text)
        action.triggered.connect(lambda *_, n=name: export_model(window, n))
        window.actions_by_name[name] = action
    window.export_menu = export_menu
    file_menu.insertAction(quit_action, import_action)
    file_menu.insertMenu(quit_action, export_menu)
    file_menu.insertSeparator(quit_action)
    file_menu.aboutToShow.connect(lambda: update_export_actions(window))
    workflow = getattr(window, "workflow", None)
    if workflow is not None and hasattr(workflow, "project_changed"):
        workflow.project_changed.connect(lambda *_: update_export_actions(window))
    update_export_actions(window)


def _file_menu(window) -> QMenu:
    open_action = window.actions_by_name["open"]
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and open_action in menu.actions():
            return menu
    raise RuntimeError("The main window has no File menu holding Open.")


def update_export_actions(window) -> None:
    trained = window.project is not None and exchange.has_trained_model(window.project)
    for name, (text, *_rest) in EXPORTS.items():
        action = window.actions_by_name[name]
        action.setEnabled(trained)
        tip = f"Export the trained model: {text.replace('&', '').rstrip('…')}" if trained else NO_MODEL_TIP
        action.setStatusTip(tip)
        action.setToolTip(tip)
    window.export_menu.setToolTipsVisible(True)


def _directory(window) -> str:
    return window.dialog_folder() if hasattr(window, "dialog_folder") else os.getcwd()


# -- import ---------------------------------------------------------------------------------------------------

def import_keras_model(window, path: str | None = None) -> bool:
    """Ask for a `.keras` file (unless given) and show it as a new, unsaved project; False if nothing changed."""
    workflow = getattr(window, "workflow", None)
    if workflow is not None and not workflow.stop_training("to import a model"):
        return False
    if not window.maybe_save():
        return False
    if path is None:
        path, _ = QFileDialog.getOpenFileName(window, "Import Keras model", _directory(window), KERAS_FILTER)
        if not path:
            return False
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        imported = exchange.import_keras(path)
    except exchange.ExchangeError as err:
        QMessageBox.critical(window, "Cannot import Keras model", str(err))
        return False
    finally:
        QApplication.restoreOverrideCursor()
    window.set_project(exchange.imported_project(imported, path))
    update_export_actions(window)
    layers = sum(1 for n in imported.graph.nodes.values() if n.type != "Input")
    window.statusBar().showMessage(f"Imported {os.path.basename(path)}: {layers} layers, "
                                   f"{sum(int(w.size) for w in imported.weights):,} weights (kept as run 1). "
                                   "Save it as a project to keep it.", 10000)
    return True


# -- export ---------------------------------------------------------------------------------------------------

def export_model(window, name: str, path: str | None = None) -> bool:
    """Ask for a file name (unless given) and export the trained model in the format of action `name`."""
    text, title, file_filter, write = EXPORTS[name]
    if not exchange.has_trained_model(window.project):
        QMessageBox.information(window, title, NO_MODEL_TIP)
        return False
    if path is None:
        path, _ = QFileDialog.getSaveFileName(window, title, _directory(window), file_filter)
        if not path:
            return False
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        written = write(window.project, path)
    except exchange.ExchangeError as err:
        QMessageBox.critical(window, f"Cannot export: {text.replace('&', '').rstrip('…')}", str(err))
        return False
    finally:
        QApplication.restoreOverrideCursor()
    files = [written] if isinstance(written, str) else written
    window.statusBar().showMessage("Exported " + " and ".join(files), 10000)
    return True
