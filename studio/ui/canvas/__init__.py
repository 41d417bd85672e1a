"""The canvas: a QGraphicsScene that renders the document graph, and the view that shows it."""

from studio.ui.canvas.scene import GraphScene
from studio.ui.canvas.view import LAYER_MIME_TYPE, CanvasView

__all__ = ["LAYER_MIME_TYPE", "CanvasView", "GraphScene"]
