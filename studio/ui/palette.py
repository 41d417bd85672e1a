"""The layer palette: every engine layer, grouped by family, searchable, dragged onto the canvas."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QBrush, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from studio.document.catalog import FAMILIES, layer_types
from studio.ui.canvas import theme
from studio.ui.canvas.view import LAYER_MIME_TYPE

TYPE_ROLE = Qt.UserRole + 1


def layer_mime_data(type_name: str) -> QMimeData:
    """What a palette drag carries: the layer type's name under our MIME type."""
    data = QMimeData()
    data.setData(LAYER_MIME_TYPE, type_name.encode("utf-8"))
    data.setText(type_name)
    return data


def _swatch(family: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setBrush(QBrush(theme.family_color(family)))
    painter.setPen(Qt.NoPen)
    painter.drawRoundedRect(1, 1, 10, 10, 3, 3)
    painter.end()
    return QIcon(pixmap)


class _LayerTree(QTreeWidget):
    def mimeData(self, items) -> QMimeData:
        names = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        return layer_mime_data(names[0]) if names else QMimeData()

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME_TYPE]


class Palette(QWidget):
    """Search box over a tree of families; `layer_activated(type_name)` on double-click or Enter."""

    layer_activated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers…")
        self.search.setClearButtonEnabled(True)
        self.tree = _LayerTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SingleSelection)
        self.tree.setIndentation(12)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.family_items: dict[str, QTreeWidgetItem] = {}
        self.layer_items: dict[str, QTreeWidgetItem] = {}
        self._populate()
        self.search.textChanged.connect(self.filter)
        self.tree.itemActivated.connect(self._activated)

    def _populate(self) -> None:
        for name, ltype in layer_types().items():
            family = self.family_items.get(ltype.family)
            if family is None:
                family = QTreeWidgetItem([FAMILIES[ltype.family]])
                family.setFlags(Qt.ItemIsEnabled)
                font = family.font(0)
                font.setBold(True)
                family.setFont(0, font)
                self.tree.addTopLevelItem(family)
                self.family_items[ltype.family] = family
            item = QTreeWidgetItem([name])
            item.setData(0, TYPE_ROLE, name)
            item.setIcon(0, _swatch(ltype.family))
            item.setToolTip(0, f"<b>{name}</b><br>{ltype.summary or 'No description.'}"
                               "<br><i>Drag onto the canvas, or double-click to add.</i>")
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
            family.addChild(item)
            self.layer_items[name] = item
        self.tree.expandAll()

    def filter(self, text: str) -> None:
        """Show the layers whose name or description contains `text` (case-insensitive)."""
        needle = text.strip().lower()
        for family in self.family_items.values():
            shown = 0
            for i in range(family.childCount()):
                item = family.child(i)
                name = item.data(0, TYPE_ROLE)
                match = not needle or needle in name.lower() or needle in layer_types()[name].summary.lower()
                item.setHidden(not match)
                shown += match
            family.setHidden(shown == 0)
            family.setExpanded(True)

    def visible_layers(self) -> list[str]:
        return [name for name, item in self.layer_items.items() if not item.isHidden()
                and not item.parent().isHidden()]

    def _activated(self, item: QTreeWidgetItem) -> None:
        name = item.data(0, TYPE_ROLE)
        if name:
            self.layer_activated.emit(name)
