"""Colours and sizes of the canvas, in one place."""

from PySide6.QtGui import QColor

from studio.document.layout import NODE_HEIGHT, NODE_WIDTH

WIDTH, HEIGHT = NODE_WIDTH, NODE_HEIGHT
HEADER = 26.0
PORT_RADIUS = 6.5

FAMILY_COLORS = {
    "input": "#3b82f6", "core": "#6366f1", "activations": "#8b5cf6", "convolutional": "#0ea5e9",
    "pooling": "#14b8a6", "rnn": "#f59e0b", "normalization": "#10b981", "merging": "#ec4899",
    "reshaping": "#64748b", "regularization": "#a3a3a3", "attention": "#f97316", "other": "#78716c",
}

BACKGROUND = QColor("#f6f7f9")
GRID = QColor("#e6e8ec")
CARD = QColor("#ffffff")
BORDER = QColor("#a0a8b4")
DATA_CAPTION = QColor("#1d6f42")  # what an Input or output is bound to in the data
SELECTED = QColor("#2563eb")
TEXT = QColor("#1f2933")
MUTED = QColor("#6b7380")
ERROR = QColor("#d93025")
ERROR_FILL = QColor("#fdeeee")
BLOCKED_FILL = QColor("#f1f2f4")
WIRE = QColor("#7b8594")
PORT_OK = QColor("#16a34a")
PORT_REFUSED = QColor("#d0d4da")


def family_color(family: str) -> QColor:
    return QColor(FAMILY_COLORS.get(family, FAMILY_COLORS["other"]))
