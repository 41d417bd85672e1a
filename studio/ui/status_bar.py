"""The status bar: a message longer than the space left is shortened with "…" and shown whole in its
tooltip, and every message is kept in a log (View > Message Log) so nothing said is lost.

The widgets on its right (the data bar, the data and totals labels) share what the message leaves: the message keeps
at least MESSAGE_SHARE of the width while it is shown, and a widget given less than it asks for shortens its text
with "…" (`ElidedLabel`; the data bar does the same), whole in its tooltip.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QStatusBar,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

LOG_LENGTH = 200
MESSAGE_SHARE = 0.4  # of the bar's width, kept for a message while one is shown
MESSAGE_MIN = 240  # pixels
GAP = 8  # pixels between widgets


class StatusBar(QStatusBar):
    """`addPermanentWidget` widgets share the width the message leaves (see the module's docstring)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.log: deque[tuple[float, str]] = deque(maxlen=LOG_LENGTH)
        self.full_text = ""
        self._until = 0.0  # when the shown message times out (0: never)
        self._new = False  # a message given to showMessage, not shown yet
        self._permanent: list[QWidget] = []
        self._fitting = False
        self.messageChanged.connect(self._message_changed)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802 (Qt's name)
        """As QStatusBar's; the widget's width then follows the room left (shown or hidden, it refits)."""
        super().addPermanentWidget(widget, stretch)
        self._permanent.append(widget)
        widget.installEventFilter(self)
        self._fit()

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 (Qt's name)
        """Show `text` (shortened to fit, whole in the tooltip) and keep it in the log."""
        text = " ".join(text.split())
        if text and (not self.log or self.log[-1][1] != text):
            self.log.append((time.time(), text))
        self.full_text = text
        self._until = time.monotonic() + timeout / 1000 if timeout > 0 else 0.0
        self._new = True
        self._fit()

    def _show_fitted(self) -> None:
        """The full message shortened to the room left of the permanent widgets, for the time it has left."""
        text = self.full_text
        if self._until and time.monotonic() >= self._until:
            return
        shown = self.fontMetrics().elidedText(text, Qt.ElideRight, max(40, self._free_width()))
        if not self._new and shown == self.currentMessage():
            return  # fits as shown: its timer runs on
        self._new = False
        self.setToolTip(text if shown != text else "")
        left = max(1, int((self._until - time.monotonic()) * 1000)) if self._until else 0
        super().showMessage(shown, left)

    def _free_width(self) -> int:
        """The width left of the permanent widgets (data and totals on the right)."""
        widgets = self._shown_widgets()
        taken = sum(min(w.maximumWidth(), w.sizeHint().width()) for w in widgets)
        return self.width() - taken - GAP * (len(widgets) + 2)

    def _shown_widgets(self) -> list[QWidget]:
        return [w for w in self._permanent if not w.isHidden()]

    def _fit(self) -> None:
        """Give each shown permanent widget at most its share of the room the message leaves (smallest first,
        a widget not needing its share leaving the rest to the others), then shorten the message to fit."""
        if self._fitting:
            return
        self._fitting = True
        try:
            widgets = sorted(self._shown_widgets(), key=lambda w: w.sizeHint().width())
            wanted = self.fontMetrics().horizontalAdvance(self.full_text) + 2 * GAP if self.full_text else 0
            reserved = min(wanted, max(MESSAGE_MIN, int(self.width() * MESSAGE_SHARE)))
            room = max(0, self.width() - reserved - GAP * (len(widgets) + 2))
            for k, widget in enumerate(widgets):
                share = room // (len(widgets) - k)
                width = max(widget.minimumSizeHint().width(), min(widget.sizeHint().width(), share))
                widget.setMaximumWidth(width)
                room -= width
            if self.full_text:
                self._show_fitted()
        finally:
            self._fitting = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Show, QEvent.Type.Hide) and watched in self._permanent:
            self._fit()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # a permanent widget's text, and so its size hint, changed
            self._fit()
        return super().event(event)

    def _message_changed(self, text: str) -> None:
        if not text and not self._fitting:  # timed out or cleared: the widgets take the room back
            self.full_text = ""
            self._until = 0.0
            self.setToolTip("")
            self._fit()


class ElidedLabel(QLabel):
    """A one-line label that, given less width than its text needs, shows it shortened with "…" (whole in the
    tooltip unless the label has a tooltip of its own)."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(min(80, super().sizeHint().width()), super().minimumSizeHint().height())

    def _shown_text(self) -> str:
        return self.fontMetrics().elidedText(self.text(), Qt.ElideRight, self.contentsRect().width())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        flags = self.alignment().value | Qt.TextFlag.TextSingleLine.value
        painter.drawText(self.contentsRect(), flags, self._shown_text())

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and not self.toolTip() and self._shown_text() != self.text():
            QToolTip.showText(event.globalPos(), self.text(), self)
            return True
        return super().event(event)


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
