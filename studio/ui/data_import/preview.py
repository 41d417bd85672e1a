"""A read-only table model over the first rows of a CsvTable."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

PREVIEW_ROWS = 200


class PreviewModel(QAbstractTableModel):
    def __init__(self):
        super().__init__()
        self._names: list[str] = []
        self._rows: list[list[str]] = []
        self._lines: list[int] = []

    def set_table(self, table) -> None:
        self.beginResetModel()
        self._names = list(table.names)
        self._rows = table.rows(0, PREVIEW_ROWS)
        self._lines = table.line_numbers[:PREVIEW_ROWS]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._names)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return self._rows[index.row()][index.column()]
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._names[section] if section < len(self._names) else None
        return f"line {self._lines[section]}" if section < len(self._lines) else None
