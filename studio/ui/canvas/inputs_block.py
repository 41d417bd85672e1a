"""The "Inputs" block above an Input card: the raw columns it takes and the preprocessing each gets.

Collapsed it is one line ("▸ Inputs: 4 columns · Normalization"); a click opens it upwards into one row per column
(name, then the Keras preprocessing layer with its fitted numbers), and another click closes it. It is drawn from
`InputStep`s (studio.data.input_steps) and is not part of the graph: it cannot be selected, moved or wired.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem

from studio.data.input_steps import InputStep, summary
from studio.ui.canvas import theme

ROW = 17.0  # height of one line
GAP = 5.0  # between the block and its card
SHOWN_ROWS = 14  # rows listed when open; more columns end in "… and N more"
OPEN_WIDTH = 2.2  # the open block's width, in card widths (room for the fitted numbers)
TIP = ("What the data columns go through before this Input: the studio applies these steps in training and "
       "Predict, and exported inference models carry them as Keras preprocessing layers. Click to open or close.")


class InputsBlock(QGraphicsObject):
    """Child of an Input card's item; `set_steps` gives what to show (an empty list hides the block)."""

    def __init__(self, parent: QGraphicsItem):
        super().__init__(parent)
        self.steps: list[InputStep] = []
        self.is_open = False
        self.setZValue(3)  # an open block lies over the cards above its Input
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(TIP)
        self.hide()

    def set_steps(self, steps: list[InputStep]) -> None:
        if steps != self.steps:
            self.prepareGeometryChange()
            self.steps = list(steps)
        self.setVisible(bool(self.steps))
        self.update()

    def set_open(self, is_open: bool) -> None:
        """Open (scrolling the view to show the whole block) or close it."""
        self.prepareGeometryChange()
        self.is_open = is_open
        self.update()
        if is_open:
            self.ensureVisible(self.boundingRect(), 10, 10)

    def _rows(self) -> list[tuple[str, str]]:
        rows = [(s.column, s.steps) for s in self.steps[:SHOWN_ROWS]]
        if len(self.steps) > SHOWN_ROWS:
            rows.append(("", f"… and {len(self.steps) - SHOWN_ROWS} more columns"))
        return rows

    def boundingRect(self) -> QRectF:
        if not self.is_open:
            return QRectF(0, -GAP - ROW - 4, theme.WIDTH, ROW + 4)
        height = ROW * (len(self._rows()) + 1) + 8
        return QRectF(0, -GAP - height, theme.WIDTH * OPEN_WIDTH, height)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if not self.steps:
            return
        painter.setRenderHint(QPainter.Antialiasing)
        rect = self.boundingRect()
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setPen(QPen(theme.DATA_CAPTION, 1.0, Qt.PenStyle.SolidLine if self.is_open else Qt.PenStyle.DashLine))
        painter.setBrush(theme.CARD if self.is_open else theme.BACKGROUND)
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        if lod < 0.25:
            return
        font = QFont(painter.font())
        font.setPointSizeF(8.5 if lod >= 0.7 or self.is_open else min(17.6, 6.8 / lod))
        font.setBold(self.is_open)
        painter.setFont(font)
        painter.setPen(theme.DATA_CAPTION)
        head = QRectF(rect.left() + 6, rect.top() + 2, rect.width() - 12, ROW)
        text = ("▾ Inputs: " if self.is_open else "▸ ") + summary(self.steps)
        painter.drawText(head, Qt.AlignVCenter | Qt.AlignLeft,
                         QFontMetrics(font).elidedText(text, Qt.ElideRight, int(head.width())))
        if self.is_open:
            self._paint_rows(painter, font, rect)

    def _paint_rows(self, painter: QPainter, font: QFont, rect: QRectF) -> None:
        font.setBold(False)
        metrics = QFontMetrics(font)
        name_width = min(rect.width() * 0.32, max(metrics.horizontalAdvance(c) for c, _ in self._rows()) + 10)
        for i, (column, steps) in enumerate(self._rows()):
            top = rect.top() + 2 + ROW * (i + 1)
            painter.setFont(font)
            painter.setPen(theme.TEXT)
            name = QRectF(rect.left() + 14, top, name_width, ROW)
            painter.drawText(name, Qt.AlignVCenter | Qt.AlignLeft,
                             metrics.elidedText(column, Qt.ElideMiddle, int(name.width()) - 6))
            painter.setPen(theme.MUTED)
            what = QRectF(name.right(), top, rect.right() - name.right() - 6, ROW)
            painter.drawText(what, Qt.AlignVCenter | Qt.AlignLeft,
                             metrics.elidedText(steps, Qt.ElideRight, int(what.width())))

    def mousePressEvent(self, event) -> None:
        event.accept()  # the card under it is neither selected nor moved

    def mouseReleaseEvent(self, event) -> None:
        if self.boundingRect().contains(event.pos()):
            self.set_open(not self.is_open)
        event.accept()
