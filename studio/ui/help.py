"""The Help menu: getting started, the keyboard shortcuts (read from the window's own actions) and About."""

from __future__ import annotations

import platform

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

GETTING_STARTED = """
<h3>Getting started</h3>
<ol>
<li><b>Build</b>: drag layers from the <i>Layers</i> palette onto the canvas (or double-click one to add it
below the selected layer). Drag from a layer's bottom port to another's top port to wire them. Every wire
shows the shape that flows through it; a red card says what stops the model from building.</li>
<li><b>Data</b>: <i>Data &gt; Import CSV…</i> (or drop a CSV file on the window): choose the target column,
the features and the validation split.</li>
<li><b>Compile</b>: <i>Model &gt; Compile…</i> picks loss, optimizer and metrics fitting the task.</li>
<li><b>Train</b>: press <i>Train</i> (F5) and watch the curves; <i>Stop</i> any time, <i>Continue</i> for
more epochs.</li>
<li><b>Evaluate and export</b>: the <i>Evaluation</i> tab shows metrics, a confusion matrix and predictions;
<i>File &gt; Export</i> writes a <code>.keras</code> file, an ONNX file or a Keras Python script.</li>
</ol>
<p>The examples under <i>File &gt; Open Example</i> come with data and train in one click.</p>
"""


def shortcut_rows(actions: dict[str, QAction]) -> list[tuple[str, str]]:
    """(what, keys) for every action of the window that has a keyboard shortcut, in menu wording."""
    rows = []
    for action in actions.values():
        keys = action.shortcut().toString(QKeySequence.NativeText)
        if keys:
            rows.append((action.text().replace("&", "").rstrip("…").split("\t")[0], keys))
    return sorted(set(rows), key=lambda row: row[0].lower())


class ShortcutsDialog(QDialog):
    def __init__(self, actions: dict[str, QAction], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(actions)
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Action", "Keys"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        for i, (what, keys) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(what))
            table.setItem(i, 1, QTableWidgetItem(keys))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeToContents)
        self.table = table
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(420, 520)


def about_text() -> str:
    """Versions of LayerStudio and of what it runs on, for bug reports."""
    import numpy
    import pyqtgraph
    import PySide6

    import engine
    import studio
    return (f"<h3>LayerStudio {studio.__version__}</h3>"
            "<p>Build, train and export neural networks visually, on a NumPy deep-learning engine with the "
            "Keras 3 API.</p>"
            f"<p>Engine {engine.__version__}<br>Python {platform.python_version()}<br>Qt {qVersion()} "
            f"(PySide6 {PySide6.__version__})<br>NumPy {numpy.__version__}<br>pyqtgraph {pyqtgraph.__version__}<br>"
            f"{platform.system()} {platform.machine()}</p><p>MIT License.</p>")


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About LayerStudio", about_text())


def show_getting_started(parent: QWidget) -> None:
    box = QMessageBox(QMessageBox.Information, "Getting started", GETTING_STARTED, QMessageBox.Close, parent)
    box.setTextFormat(Qt.RichText)
    box.exec()


def show_shortcuts(parent: QWidget, actions: dict[str, QAction]) -> None:
    dialog = ShortcutsDialog(actions, parent)
    dialog.exec()
    dialog.deleteLater()
