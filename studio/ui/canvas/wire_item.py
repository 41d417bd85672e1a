"""A wire from an output port to an input port, labelled with the tensor shape it carries."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFont, QFontMetrics, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from studio.document.graph import Wire
from studio.ui.canvas import theme


def wire_path(start: QPointF, end: QPointF, detour: bool = False) -> QPainterPath:
    """A smooth S-curve leaving `start` downwards and entering `end` from above. With `detour` (a wire that
    skips over layers in between) it runs down beside the column instead of behind the cards."""
    path = QPainterPath(start)
    if detour and end.y() - start.y() > 2 * theme.HEIGHT:
        side = max(start.x(), end.x()) + theme.WIDTH / 2 + 36
        top, bottom = start.y() + 44, end.y() - 44
        path.cubicTo(QPointF(start.x(), top), QPointF(side, start.y()), QPointF(side, top))
        path.lineTo(QPointF(side, bottom))
        path.cubicTo(QPointF(side, end.y()), QPointF(end.x(), bottom), end)
        return path
    bend = max(40.0, abs(end.y() - start.y()) * 0.5)
    path.cubicTo(QPointF(start.x(), start.y() + bend), QPointF(end.x(), end.y() - bend), end)
    return path


class WireItem(QGraphicsPathItem):
    """Draws one `Wire`; the label text comes from the scene (`wire_label`)."""

    def __init__(self, wire: Wire):
        super().__init__()
        self.wire = wire
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setZValue(0)
        self.setAcceptHoverEvents(True)
        self._font = QFont()
        self._font.setPointSizeF(8.5)
        self._label = ""
        self._label_rect = QRectF()

    def set_ends(self, start: QPointF, end: QPointF, detour: bool = False) -> None:
        self.prepareGeometryChange()
        self.setPath(wire_path(start, end, detour))
        self._place_label()

    def set_label(self, text: str) -> None:
        if text != self._label:
            self.prepareGeometryChange()
            self._label = text
            self._place_label()
            self.update()

    @property
    def label(self) -> str:
        return self._label

    def _place_label(self) -> None:
        if not self._label:
            self._label_rect = QRectF()
            return
        mid = self.path().pointAtPercent(0.5)
        metrics = QFontMetrics(self._font)
        width, height = metrics.horizontalAdvance(self._label) + 10, metrics.height() + 4
        self._label_rect = QRectF(mid.x() + 6, mid.y() - height / 2, width, height)

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-4, -4, 4, 4).united(self._label_rect.adjusted(-2, -2, 2, 2))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.Antialiasing)
        color = theme.SELECTED if self.isSelected() else theme.WIRE
        painter.setPen(QPen(color, 2.4 if self.isSelected() else 1.8))
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self.path())
        if self._label:
            painter.setFont(self._font)
            painter.setPen(QPen(theme.BORDER, 0.8))
            painter.setBrush(QBrush(theme.CARD))
            painter.drawRoundedRect(self._label_rect, 4, 4)
            painter.setPen(theme.TEXT)
            painter.drawText(self._label_rect, Qt.AlignCenter, self._label)
