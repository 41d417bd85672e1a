"""The status bar: a message longer than the space left is shortened with "…" and shown whole in its
tooltip, and every message is kept in a log (View > Message Log) so nothing said is lost."""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QListWidget, QStatusBar, QVBoxLayout, QWidget

LOG_LENGTH = 200


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.log: deque[tuple[float, str]] = deque(maxlen=LOG_LENGTH)
        self.full_text = ""
        self.messageChanged.connect(self._message_changed)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 (Qt's name)
        """Show `text` (shortened to fit, whole in the tooltip) and keep it in the log."""
        text = " ".join(text.split())
        if text and (not self.log or self.log[-1][1] != text):
            self.log.append((time.time(), text))
        self.full_text = text
        shown = self.fontMetrics().elidedText(text, Qt.ElideRight, max(80, self._free_width()))
        self.setToolTip(text if shown != text else "")
        super().showMessage(shown, timeout)

    def _free_width(self) -> int:
        """The width left of the permanent widgets (data and totals on the right)."""
        taken = sum(w.sizeHint().width() for w in self.findChildren(QWidget) if w.isVisible() and w.parent() is self)
        return self.width() - taken - 40

    def _message_changed(self, text: str) -> None:
        if not text:
            self.full_text = ""
            self.setToolTip("")


class MessageLog(QDialog):
    """The messages of this session, newest first."""

    def __init__(self, status_bar: StatusBar, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Message log")
        self.list = QListWidget()
        self.list.setWordWrap(True)
        for when, text in reversed(status_bar.log):
            self.list.addItem(f"{time.strftime('%H:%M:%S', time.localtime(when))}  {text}")
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(640, 420)
