"""The status bar's bar for passes over the data file: reading it (for a file read in chunks, the two fitting
passes), and during training each epoch's reading of the training and validation rows from the file; also an
evaluation or a prediction as it goes."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtWidgets import QProgressBar, QWidget

STEPS = 1000
MIN_WIDTH = 120  # pixels: room for "Reading …: 40%"
MAX_WIDTH = 420


class DataProgress(QProgressBar):
    """Hidden until `show_reading(text, fraction)`; a negative fraction hides it again. Connect a signal emitted
    on another thread to `show_reading` (a slot of this widget): Qt then queues the call into the GUI thread.
    Given less width than its text needs (a narrow window), the text is shortened with "…", whole in the tooltip."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setRange(0, STEPS)
        self.setTextVisible(True)
        self.setMinimumWidth(MIN_WIDTH)
        self.setMaximumWidth(MAX_WIDTH)
        self._text = ""
        self.hide()

    @Slot(str, float)
    def show_reading(self, text: str, fraction: float) -> None:
        if fraction < 0:
            self.hide()
            return
        self.setValue(round(STEPS * min(1.0, fraction)))
        if text != self._text:
            self._text = text
            self.setToolTip(text)
            self.updateGeometry()  # its size hint follows the text
        self._fit_text()
        self.show()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """Wide enough for the whole text and the percentage, within MAX_WIDTH."""
        wanted = self.fontMetrics().horizontalAdvance(f"{self._text}: 100%") + 40  # _fit_text's margin, and slack
        return QSize(max(MIN_WIDTH, min(MAX_WIDTH, wanted)), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(MIN_WIDTH, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_text()

    def _fit_text(self) -> None:
        """The text on one line: shortened with "…" to the bar's width, the percentage kept whole."""
        metrics = self.fontMetrics()
        room = self.width() - metrics.horizontalAdvance(": 100%") - 24
        shown = metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, max(0, room)).replace("%", "%%")
        self.setFormat(f"{shown}: %p%" if shown else "%p%")
