"""Menus, toolbar and keyboard shortcuts of the main window."""

from __future__ import annotations

import os
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar

from studio.document.examples import EXAMPLES, example_path
from studio.ui.help import show_about, show_getting_started, show_shortcuts
from studio.ui.workflow import EVALUATION_BUSY


def _action(window, text: str, slot, shortcut=None, icon=None, tip: str | None = None) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if icon is not None:
        action.setIcon(window.style().standardIcon(icon))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({action.shortcut().toString()})" if shortcut is not None else tip)
    action.triggered.connect(lambda *_: slot())
    return action


def build_actions(window) -> dict[str, QAction]:
    """Create every action, the menu bar and the toolbar; returns the actions by name."""
    sp = QStyle.StandardPixmap
    view = window.view
    flow = window.workflow
    a = {
        "new": _action(window, "&New", window.new_project, QKeySequence.New, sp.SP_FileIcon, "New project"),
        "open": _action(window, "&Open…", window.open_project, QKeySequence.Open, sp.SP_DialogOpenButton,
                        "Open a project"),
        "save": _action(window, "&Save", window.save, QKeySequence.Save, sp.SP_DialogSaveButton, "Save the project"),
        "save_as": _action(window, "Save &As…", window.save_as, QKeySequence.SaveAs),
        "quit": _action(window, "&Quit", window.close, QKeySequence.Quit),
        "delete": _action(window, "&Delete", window.delete_selection, QKeySequence.Delete, sp.SP_TrashIcon,
                          "Delete the selected layers and wires"),
        "cut": _action(window, "Cu&t", window.cut_selection, QKeySequence.Cut),
        "copy": _action(window, "&Copy", window.copy_selection, QKeySequence.Copy),
        "paste": _action(window, "&Paste", window.paste, QKeySequence.Paste),
        "select_all": _action(window, "Select &All", window.select_all, QKeySequence.SelectAll),
        "zoom_in": _action(window, "Zoom &In", partial(view.zoom, 1.25), QKeySequence.ZoomIn),
        "zoom_out": _action(window, "Zoom &Out", partial(view.zoom, 0.8), QKeySequence.ZoomOut),
        "zoom_reset": _action(window, "&Actual Size", view.reset_zoom, "Ctrl+0"),
        "fit": _action(window, "&Fit to Window", view.fit_all, "Ctrl+1", sp.SP_TitleBarMaxButton,
                       "Show the whole model"),
        "arrange": _action(window, "&Arrange", window.auto_arrange, "Ctrl+L", sp.SP_BrowserReload,
                           "Lay the layers out from inputs to outputs"),
        "output": _action(window, "Mark as Model &Output", window.toggle_output, "Ctrl+M", None,
                          "Make the selected layers the model's outputs (again to unmark)"),
        "import_data": _action(window, "&Import CSV…", flow.import_csv, "Ctrl+I", sp.SP_FileDialogContentsView,
                               "Choose a CSV file, its feature and target columns, and the validation split"),
        "compile": _action(window, "&Compile…", flow.compile, "Ctrl+K", sp.SP_FileDialogDetailedView,
                           "Choose the loss, optimizer and metrics"),
        "train": _action(window, "&Train", flow.train, "F5", sp.SP_MediaPlay, "Train the model from fresh weights"),
        "continue": _action(window, "&Continue Training", flow.continue_training, "Ctrl+F5", sp.SP_MediaSeekForward,
                            "Train the last run's model for more epochs"),
        "stop": _action(window, "&Stop", flow.stop, "Shift+F5", sp.SP_MediaStop, "Stop training after this batch"),
        "evaluate": _action(window, "&Evaluate", flow.evaluate, "F6", sp.SP_DialogApplyButton,
                            "Evaluate the trained model on held-out data"),
        "preferences": _action(window, "Pre&ferences…", window.edit_preferences, "Ctrl+,", None,
                               "Appearance, training defaults and CPU threads"),
        "getting_started": _action(window, "&Getting Started", lambda: show_getting_started(window), "F1"),
        "shortcuts": _action(window, "&Keyboard Shortcuts", lambda: show_shortcuts(window, window.actions_by_name),
                             "Ctrl+/"),
        "about": _action(window, "&About LayerStudio", lambda: show_about(window)),
        "overview": _action(window, "Canvas &Overview", lambda: window.view.minimap.set_enabled_by_user(
            a["overview"].isChecked()), None, None, "A small map of the whole model while it does not fit the canvas"),
        "message_log": _action(window, "&Message Log…", window.show_message_log, None, None,
                               "Every message of this session, in full"),
    }
    undo = window.undo_stack.createUndoAction(window, "&Undo")
    undo.setShortcut(QKeySequence.Undo)
    undo.setIcon(window.style().standardIcon(sp.SP_ArrowBack))
    redo = window.undo_stack.createRedoAction(window, "&Redo")
    redo.setShortcut(QKeySequence.Redo)
    redo.setIcon(window.style().standardIcon(sp.SP_ArrowForward))
    a["undo"], a["redo"] = undo, redo
    for action in a.values():
        window.addAction(action)  # shortcuts work wherever the focus is in the window

    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    for name in ("new", "open"):
        file_menu.addAction(a[name])
    window.recent_menu = file_menu.addMenu("Open &Recent")
    window.examples_menu = file_menu.addMenu("Open &Example")
    for key, (title, _) in EXAMPLES.items():
        path = example_path(key)
        act = window.examples_menu.addAction(title)
        act.setEnabled(path.exists())
        act.triggered.connect(lambda *_, k=key: window.open_example(k))
    file_menu.addSeparator()
    for name in ("save", "save_as"):
        file_menu.addAction(a[name])
    file_menu.addSeparator()
    file_menu.addAction(a["quit"])
    edit_menu = menu.addMenu("&Edit")
    for name in ("undo", "redo", None, "cut", "copy", "paste", "delete", None, "select_all", None, "preferences"):
        edit_menu.addSeparator() if name is None else edit_menu.addAction(a[name])
    view_menu = menu.addMenu("&View")
    for name in ("zoom_in", "zoom_out", "zoom_reset", "fit"):
        view_menu.addAction(a[name])
    model_menu = menu.addMenu("&Model")
    for name in ("arrange", "output", None, "compile"):
        model_menu.addSeparator() if name is None else model_menu.addAction(a[name])
    data_menu = menu.addMenu("&Data")
    data_menu.addAction(a["import_data"])
    training_menu = menu.addMenu("&Training")
    for name in ("train", "continue", "stop", None, "evaluate"):
        training_menu.addSeparator() if name is None else training_menu.addAction(a[name])
    view_menu.addSeparator()
    for dock in window.docks():  # show again a panel the user closed
        view_menu.addAction(dock.toggleViewAction())
    a["overview"].setCheckable(True)
    a["overview"].setChecked(True)
    view_menu.addAction(a["overview"])
    view_menu.addAction(a["message_log"])
    help_menu = menu.addMenu("&Help")
    for name in ("getting_started", "shortcuts", None, "about"):
        help_menu.addSeparator() if name is None else help_menu.addAction(a[name])

    toolbar = QToolBar("Main")
    toolbar.setObjectName("main_toolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    for name in ("new", "open", "save", None, "undo", "redo", "delete", None, "arrange", "fit", None,
                 "import_data", "compile", "train", "stop"):
        toolbar.addSeparator() if name is None else toolbar.addAction(a[name])
    window.addToolBar(toolbar)
    for name in ("undo", "redo"):  # icon only: their text names the last edit and would shift the toolbar
        toolbar.widgetForAction(a[name]).setToolButtonStyle(Qt.ToolButtonIconOnly)
    window.recent_menu.aboutToShow.connect(lambda: fill_recent_menu(window))
    fill_recent_menu(window)
    return a


def fill_recent_menu(window) -> None:
    menu: QMenu = window.recent_menu
    menu.clear()
    paths = window.recent.paths()
    for path in paths:
        action = menu.addAction(os.path.basename(path))
        action.setToolTip(path)
        action.triggered.connect(lambda *_, p=path: window.open_project(p))
    if paths:
        menu.addSeparator()
        menu.addAction("Clear Menu").triggered.connect(lambda *_: (window.recent.clear(), fill_recent_menu(window)))
    menu.setEnabled(bool(paths))


def update_workflow_actions(window) -> None:
    """Enable the data, compile and training actions when they make sense; a disabled one says why."""
    flow, a = window.workflow, window.actions_by_name
    training = flow.is_training
    train_blocker = flow.train_blocker()
    compile_blocker = flow.compile_blocker()
    states = {
        "import_data": (not training, "Stop training before importing other data."),
        "compile": (compile_blocker is None, compile_blocker),
        "train": (train_blocker is None, train_blocker),
        "continue": (train_blocker is None and flow.session.can_continue,
                     train_blocker or "There is no run to continue: press Train first."),
        "stop": (training, "Training is not running."),
        "evaluate": (not training and flow.evaluation.model is not None and not flow.evaluation.is_busy,
                     "Evaluation waits until training ends." if training else EVALUATION_BUSY
                     if flow.evaluation.is_busy else "Train the model first."),
    }
    for name, (enabled, reason) in states.items():
        action = a[name]
        action.setEnabled(enabled)
        tip = action.data() or action.statusTip()
        action.setData(tip)  # the action's own tip, kept while a reason replaces it
        action.setToolTip(tip if enabled else f"{tip} — {reason}")
        action.setStatusTip(tip if enabled else reason)
