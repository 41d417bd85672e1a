"""The canvas view: palette drops, zoom (Ctrl+wheel, keys), pan (middle button or Space+drag),
rubber-band selection."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsView

from studio.ui.canvas import theme
from studio.ui.canvas.minimap import Minimap
from studio.ui.canvas.scene import GraphScene

LAYER_MIME_TYPE = "application/x-layerstudio-layer"


def _grid_brush(step: int = 24) -> QBrush:
    """A tiled background with a light grid, drawn once."""
    tile = QPixmap(step, step)
    tile.fill(theme.BACKGROUND)
    painter = QPainter(tile)
    painter.setPen(QPen(QColor(theme.GRID), 1))
    painter.drawLine(0, 0, step, 0)
    painter.drawLine(0, 0, 0, step)
    painter.end()
    return QBrush(tile)


class CanvasView(QGraphicsView):
    """Shows a `GraphScene`; emits `layer_dropped(type_name, scene_pos)` for palette drops."""

    layer_dropped = Signal(str, QPointF)

    def __init__(self, scene: GraphScene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.setBackgroundBrush(_grid_brush())
        self.setCacheMode(QGraphicsView.CacheBackground)
        self._pan_from: QPointF | None = None
        self._space = False
        self.minimap = Minimap(self)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.minimap.refresh()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.minimap.refresh()

    def theme_changed(self) -> None:
        """The canvas colours changed (light/dark): redraw the grid and every item."""
        self.setBackgroundBrush(_grid_brush())
        self.resetCachedContent()
        self.scene().update()

    # -- palette drops ------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_MIME_TYPE):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_MIME_TYPE):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        data = event.mimeData()
        if not data.hasFormat(LAYER_MIME_TYPE):
            event.ignore()
            return
        type_name = bytes(data.data(LAYER_MIME_TYPE)).decode("utf-8")
        self.layer_dropped.emit(type_name, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()

    # -- zoom and pan ---------------------------------------------------------------------------
    def zoom(self, factor: float) -> None:
        current = self.transform().m11()
        factor = max(0.2 / current, min(3.0 / current, factor))
        self.scale(factor, factor)
        self.minimap.refresh()

    def reset_zoom(self) -> None:
        self.resetTransform()
        self.minimap.refresh()

    def fit_all(self) -> None:
        items = self.scene().itemsBoundingRect()
        if items.isEmpty():
            return
        self.fitInView(items.adjusted(-40, -40, 40, 40), Qt.KeepAspectRatio)
        if self.transform().m11() > 1.0:
            self.resetTransform()
            self.centerOn(items.center())
        self.minimap.refresh()

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.ControlModifier:
            self.zoom(1.0015 ** event.angleDelta().y())
            event.accept()
        else:
            super().wheelEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.OpenHandCursor)
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MiddleButton or (self._space and event.button() == Qt.LeftButton):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)
