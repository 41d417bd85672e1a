"""The status bar's bar for passes over the data file: reading it (for a file read in chunks, the two fitting
passes), and during training each epoch's reading of the training and validation rows from the file."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QProgressBar, QWidget

STEPS = 1000


class DataProgress(QProgressBar):
    """Hidden until `show_reading(text, fraction)`; a negative fraction hides it again. Connect a signal emitted
    on another thread to `show_reading` (a slot of this widget): Qt then queues the call into the GUI thread."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setRange(0, STEPS)
        self.setTextVisible(True)
        self.setMinimumWidth(260)
        self.setMaximumWidth(420)
        self.hide()

    @Slot(str, float)
    def show_reading(self, text: str, fraction: float) -> None:
        if fraction < 0:
            self.hide()
            return
        self.setValue(round(STEPS * min(1.0, fraction)))
        self.setFormat(f"{text}: %p%")
        self.setToolTip(text)
        self.show()
