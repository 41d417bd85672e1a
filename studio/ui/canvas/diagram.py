"""The model as a picture: the canvas's whole graph written to PNG (at twice the screen resolution) or SVG,
for slides and reports."""

from __future__ import annotations

import os

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsScene

from studio.ui.canvas import theme

MARGIN = 24
PNG_SCALE = 2.0
FORMATS = (".png", ".svg")


def save_diagram(scene: QGraphicsScene, path: str) -> str:
    """Write every layer and wire of `scene` to `path` (.png or .svg, by its ending); returns the path.
    The selection is not drawn; OSError when the file cannot be written."""
    ending = os.path.splitext(path)[1].lower()
    if ending not in FORMATS:
        raise OSError(f"Cannot write {os.path.basename(path)}: a model diagram is saved as .png or .svg.")
    source = scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    if source.isEmpty():
        raise OSError("The canvas is empty: there is no model to draw.")
    selected = scene.selectedItems()
    for item in selected:
        item.setSelected(False)
    try:
        if ending == ".png":
            _write_png(scene, source, path)
        else:
            _write_svg(scene, source, path)
    finally:
        for item in selected:
            item.setSelected(True)
    return path


def _write_png(scene: QGraphicsScene, source: QRectF, path: str) -> None:
    size = QSize(int(source.width() * PNG_SCALE), int(source.height() * PNG_SCALE))
    image = QImage(size, QImage.Format_ARGB32)
    image.fill(theme.BACKGROUND)
    painter = QPainter(image)
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    scene.render(painter, QRectF(0, 0, size.width(), size.height()), source, Qt.KeepAspectRatio)
    painter.end()
    if not image.save(path, "PNG"):
        raise OSError(f"Cannot write {path}: the folder is not writable or the disk is full.")


def _write_svg(scene: QGraphicsScene, source: QRectF, path: str) -> None:
    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(source.size().toSize())
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle("LayerStudio model")
    painter = QPainter()
    if not painter.begin(generator):
        raise OSError(f"Cannot write {path}: the folder is not writable or the disk is full.")
    painter.fillRect(QRectF(0, 0, source.width(), source.height()), theme.BACKGROUND)
    scene.render(painter, QRectF(0, 0, source.width(), source.height()), source, Qt.KeepAspectRatio)
    painter.end()
