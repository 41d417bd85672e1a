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

LIGHT = {
    "BACKGROUND": "#f6f7f9", "GRID": "#e6e8ec", "CARD": "#ffffff", "BORDER": "#a0a8b4", "SELECTED": "#2563eb",
    "TEXT": "#1f2933", "MUTED": "#6b7380", "ERROR": "#d93025", "ERROR_FILL": "#fdeeee", "BLOCKED_FILL": "#f1f2f4",
    "WARNING": "#a15c00", "WIRE": "#7b8594", "PORT_OK": "#16a34a", "PORT_REFUSED": "#d0d4da",
    "DATA_CAPTION": "#1d6f42",
}
DARK = {
    "BACKGROUND": "#1b1c1f", "GRID": "#26282c", "CARD": "#2d2f34", "BORDER": "#5b616b", "SELECTED": "#5b8cff",
    "TEXT": "#e8eaed", "MUTED": "#a0a6b0", "ERROR": "#ff6b5e", "ERROR_FILL": "#4a2624", "BLOCKED_FILL": "#26282c",
    "WARNING": "#f0b050", "WIRE": "#8d96a3", "PORT_OK": "#34c759", "PORT_REFUSED": "#4a4e55",
    "DATA_CAPTION": "#6fcf97",
}
BACKGROUND = GRID = CARD = BORDER = SELECTED = TEXT = MUTED = ERROR = ERROR_FILL = BLOCKED_FILL = QColor()
WIRE = PORT_OK = PORT_REFUSED = WARNING = DATA_CAPTION = QColor()  # DATA_CAPTION: what an Input or output is bound to
dark = False


def use_dark(on: bool) -> None:
    """Switch the canvas colours between the light and the dark set (items read them when they paint)."""
    global dark
    dark = on
    for name, value in (DARK if on else LIGHT).items():
        globals()[name] = QColor(value)


use_dark(False)


def family_color(family: str) -> QColor:
    return QColor(FAMILY_COLORS.get(family, FAMILY_COLORS["other"]))
