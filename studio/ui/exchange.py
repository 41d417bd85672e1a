"""File > Import Keras model… and File > Export (.keras, ONNX, Python script) in the main window.

The work is `studio.exchange`; this module asks for file names, runs imports and exports on a worker thread
behind a busy progress dialog, shows what went wrong in a dialog and keeps the export actions enabled only while
the project has a trained model.
"""

from __future__ import annotations

import os
from dataclasses import replace

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QProgressDialog

from studio import exchange
from studio.background import BackgroundTask
from studio.document.project import graph_from_dict, graph_to_dict

NO_MODEL_TIP = "Train the model first (or import a trained Keras model): there is nothing trained to export yet."
KERAS_FILTER = "Keras models (*.keras);;All files (*)"
EXPORTS = {  # action name: (menu text, dialog title, file filter, exchange function)
    "export_keras": ("&Keras model (.keras)…", "Export Keras model", KERAS_FILTER, exchange.export_keras),
    "export_inference_keras": ("Keras &inference model on raw columns (.keras)…",
                               "Export Keras inference model (raw columns in, class probabilities out)",
                               KERAS_FILTER, exchange.export_inference_keras),
    "export_onnx": ("&ONNX…", "Export ONNX model", "ONNX models (*.onnx);;All files (*)", exchange.export_onnx),
    "export_raw_onnx": ("ONNX on &raw CSV rows…",
                        "Export ONNX model (raw CSV columns in; missing values, scaling, categories and text inside)",
                        "ONNX models (*.onnx);;All files (*)", exchange.export_raw_onnx),
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
    diagram = QAction("Model &Diagram (PNG, SVG)…", window)
    diagram.setStatusTip("Save a picture of the model as drawn on the canvas")
    diagram.triggered.connect(lambda *_: export_diagram(window))
    curves = QAction("Training &Curves (PNG, CSV)…", window)
    curves.setStatusTip("Save the training plots as a picture, or every epoch of every run as a CSV table")
    curves.triggered.connect(lambda *_: export_curves(window))
    export_menu.addSeparator()
    export_menu.addAction(diagram)
    export_menu.addAction(curves)
    window.actions_by_name["export_diagram"] = diagram
    window.actions_by_name["export_curves"] = curves
    window.export_menu = export_menu
    window.exporter = Exporter(window)
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
    session = getattr(getattr(window, "workflow", None), "session", None)
    has_runs = session is not None and bool(session.runs)
    window.actions_by_name["export_curves"].setEnabled(has_runs)
    window.actions_by_name["export_curves"].setToolTip("" if has_runs else "Train first: there are no curves yet.")
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
    imported, error = run_busy(window, "Import Keras model", f"Reading {os.path.basename(path)}…",
                               lambda progress: _exchange(exchange.import_keras, path))
    if error is not None:
        QMessageBox.critical(window, "Cannot import Keras model", error)
        return False
    window.set_project(exchange.imported_project(imported, path))
    update_export_actions(window)
    layers = sum(1 for n in imported.graph.nodes.values() if n.type != "Input")
    window.statusBar().showMessage(f"Imported {os.path.basename(path)}: {layers} layers, "
                                   f"{sum(int(w.size) for w in imported.weights):,} weights (kept as run 1). "
                                   "Save it as a project to keep it.", 10000)
    return True


def _exchange(function, *args):
    """`function(*args)` on a worker thread; its ExchangeError, which names the part at fault, is shown as it is."""
    try:
        return function(*args)
    except exchange.ExchangeError as err:
        raise ValueError(str(err)) from None


def busy_dialog(window, title: str, text: str) -> QProgressDialog:
    """A window-modal busy bar without a Cancel button, shown only when the work takes over 300 ms."""
    dialog = QProgressDialog(text, "", 0, 0, window)
    dialog.setCancelButton(None)  # the work cannot stop halfway (a file is read or written whole or not at all)
    dialog.setWindowTitle(title)
    dialog.setMinimumWidth(360)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)  # quick work shows no dialog at all
    dialog.setValue(0)  # starts the 300 ms count (a busy bar gets no other value)
    dialog.setAutoClose(False)
    return dialog


def close_dialog(dialog: QProgressDialog) -> None:
    dialog.reset()  # also stops its count to showing up
    dialog.hide()
    dialog.deleteLater()


def run_busy(window, title: str, text: str, work) -> tuple[object, str | None]:
    """Run `work(progress)` on a worker thread behind a busy dialog while the window keeps painting; returns
    (result, None) or (None, the error message) once it has ended."""
    task, loop, outcome = BackgroundTask(window), QEventLoop(), {}
    task.done.connect(lambda result: (outcome.update(result=result), loop.quit()))
    task.failed.connect(lambda message: (outcome.update(error=message or "Cancelled."), loop.quit()))
    dialog = busy_dialog(window, title, text)
    task.start(work)
    if task.running:
        loop.exec()
    close_dialog(dialog)
    task.deleteLater()
    return outcome.get("result"), outcome.get("error")


# -- export ---------------------------------------------------------------------------------------------------

def export_model(window, name: str, path: str | None = None) -> bool:
    """Ask for a file name (unless given) and start exporting the trained model in the format of action `name`
    on a worker thread; True once it has started (`window.exporter` reports the end)."""
    text, title, file_filter, write = EXPORTS[name]
    if not exchange.has_trained_model(window.project):
        QMessageBox.information(window, title, NO_MODEL_TIP)
        return False
    if window.exporter.running:
        window.statusBar().showMessage("An export is still running; wait until it ends.", 5000)
        return False
    if path is None:
        path, _ = QFileDialog.getSaveFileName(window, title, _directory(window), file_filter)
        if not path:
            return False
    window.exporter.start(write, path, text.replace("&", "").rstrip("…"))
    return True


def export_diagram(window, path: str | None = None) -> bool:
    """Save the canvas's model as a PNG or SVG picture (asking where unless `path` is given)."""
    from studio.ui.canvas.diagram import save_diagram
    path = path or _ask_picture_path(window, "Export model diagram", {"PNG images": ".png", "SVG drawings": ".svg"})
    return bool(path) and _save(window, path, "the model diagram", lambda: save_diagram(window.scene, path))


def export_curves(window, path: str | None = None) -> bool:
    """Save the training plots (.png) or the history of every run (.csv), asking where unless `path` is given."""
    from studio.training.history_table import save_history_csv
    flow = window.workflow

    def write() -> None:
        if path.lower().endswith(".png"):
            if not flow.panel.curves_image().save(path, "PNG"):
                raise OSError(f"Cannot write {path}: the folder is not writable or the disk is full.")
        else:
            save_history_csv(flow.session.runs, path)

    path = path or _ask_picture_path(window, "Export training curves", {"CSV tables": ".csv", "PNG images": ".png"})
    return bool(path) and _save(window, path, "the training curves", write)


def _ask_picture_path(window, title: str, kinds: dict[str, str]) -> str:
    """A file name from a save dialog offering `kinds` (filter name: ending); the chosen filter's ending is added
    when the name has none. "" when cancelled."""
    filters = ";;".join(f"{name} (*{ending})" for name, ending in kinds.items())
    path, chosen = QFileDialog.getSaveFileName(window, title, _directory(window), filters)
    if path and not os.path.splitext(path)[1]:
        path += next((ending for name, ending in kinds.items() if chosen.startswith(name)), next(iter(kinds.values())))
    return path


def _save(window, path: str, what: str, write) -> bool:
    """Run `write()`; a failure is shown in a dialog naming `what`, a success in the status bar."""
    try:
        write()
    except OSError as err:
        QMessageBox.critical(window, f"Cannot export {what}", str(err))
        return False
    window.statusBar().showMessage(f"Saved {what} to {path}", 8000)
    return True


class Exporter(QObject):
    """Runs one export at a time on a worker thread, behind a busy progress dialog that keeps the window modal
    but responsive (an ONNX export takes seconds). The export reads a copy of the project taken when it starts.

    Signals: finished(list of written paths), failed(message) — the message is also shown in a dialog.
    """

    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._task = BackgroundTask(self)
        self._task.done.connect(self._on_done)
        self._task.failed.connect(self._on_failed)
        self._dialog: QProgressDialog | None = None
        self._what = ""

    @property
    def running(self) -> bool:
        return self._task.running

    def start(self, write, path: str, what: str) -> None:
        project = self.window.project
        snapshot = replace(project, graph=graph_from_dict(graph_to_dict(project.graph)), runs=list(project.runs))

        def work(progress):
            return _exchange(write, snapshot, path)

        self._what = what
        dialog = busy_dialog(self.window, f"Export: {what}", f"Exporting {os.path.basename(path)}…")
        self._dialog = dialog
        self.window.statusBar().showMessage(f"Exporting {path}…")
        self._task.start(work)

    def wait(self) -> None:
        """Block until a running export has ended (the window closes)."""
        self._task.wait()

    def _close_dialog(self) -> None:
        if self._dialog is not None:
            close_dialog(self._dialog)
            self._dialog = None

    def _on_done(self, written) -> None:
        self._close_dialog()
        files = [written] if isinstance(written, str) else list(written)
        self.window.statusBar().showMessage("Exported " + " and ".join(files), 10000)
        self.finished.emit(files)

    def _on_failed(self, message: str) -> None:
        self._close_dialog()
        self.window.statusBar().clearMessage()
        QMessageBox.critical(self.window, f"Cannot export: {self._what}", message)
        self.failed.emit(message)
