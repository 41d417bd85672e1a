"""The canvas overview: the whole model small in a corner of the canvas, the visible part framed; a click
or drag in it moves the canvas there. It shows itself only while the model does not fit the canvas."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGraphicsView

from studio.ui.canvas import theme

SIZE = (200, 130)
MARGIN = 10


class Minimap(QGraphicsView):
    """An overview of `canvas`'s scene, placed over the canvas's bottom-right corner."""

    def __init__(self, canvas: QGraphicsView):
        super().__init__(canvas.scene(), canvas)
        self.canvas = canvas
        self.setFixedSize(*SIZE)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setInteractive(False)
        self.setRenderHints(QPainter.Antialiasing)
        self.setFrameShape(QFrame.Box)
        self.setToolTip("Overview: click or drag to move the canvas")
        self.enabled_by_user = True
        self._refit = QTimer(self, singleShot=True, interval=50, timeout=self.refresh)
        canvas.horizontalScrollBar().valueChanged.connect(self.viewport().update)
        canvas.verticalScrollBar().valueChanged.connect(self.viewport().update)
        canvas.scene().changed.connect(self._refit.start)
        self.theme_changed()

    def theme_changed(self) -> None:
        self.setBackgroundBrush(QBrush(theme.BACKGROUND))

    def set_enabled_by_user(self, on: bool) -> None:
        self.enabled_by_user = on
        self.refresh()

    def visible_area(self) -> QRectF:
        """The part of the scene the canvas shows now."""
        return self.canvas.mapToScene(self.canvas.viewport().rect()).boundingRect()

    def refresh(self) -> None:
        """Fit the whole model, place the overview in the canvas's corner, show it only when needed."""
        scene = self.scene()
        if scene is None or not shiboken6.isValid(scene) or not shiboken6.isValid(self.canvas):
            return  # the window is being taken down
        items = scene.itemsBoundingRect()
        needed = not items.isEmpty() and not self.visible_area().contains(items)
        self.setVisible(self.enabled_by_user and needed)
        if not self.isVisible():
            return
        self.fitInView(items.adjusted(-30, -30, 30, 30), Qt.KeepAspectRatio)
        corner = self.canvas.viewport().geometry().bottomRight()
        self.move(corner.x() - SIZE[0] - MARGIN, corner.y() - SIZE[1] - MARGIN)
        self.viewport().update()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        area = self.visible_area()
        painter.setPen(QPen(theme.SELECTED, 0))
        shade = QColor(theme.SELECTED)
        shade.setAlpha(40)
        painter.setBrush(shade)
        painter.drawRect(area)

    def _go_to(self, event) -> None:
        self.canvas.centerOn(self.mapToScene(event.position().toPoint()))
        self.viewport().update()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            self._go_to(event)

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.LeftButton:
            self._go_to(event)

    def wheelEvent(self, event) -> None:
        event.ignore()
