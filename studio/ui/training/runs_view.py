"""The Runs tab: every run of the project in one table (settings, best epoch, best validation values);
selecting rows overlays those runs' curves on the training plots."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.training.history_table import run_summary
from studio.training.run import TrainingRun


class RunsView(QWidget):
    """Shows `runs` (`show_runs`); emits `selection_changed(list of run ids)`."""

    selection_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = QLabel("No runs yet: press Train.")
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.itemSelectionChanged.connect(self._selected)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.table)

    def show_runs(self, runs: list[TrainingRun]) -> None:
        rows = [run_summary(run) for run in runs]
        columns: list[str] = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        self.table.blockSignals(True)
        self.table.clear()
        self.table.setRowCount(len(rows))
        self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        for i, row in enumerate(rows):
            for j, column in enumerate(columns):
                item = QTableWidgetItem(row.get(column, ""))
                item.setData(Qt.UserRole, runs[i].run_id)
                if j >= 6:  # numbers from "Best epoch" on
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(i, j, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.blockSignals(False)
        self.caption.setText(f"{len(runs)} run(s). Select rows to overlay their curves on the Training plots."
                             if runs else "No runs yet: press Train.")

    def selected_run_ids(self) -> list[int]:
        rows = self.table.selectionModel().selectedRows()
        return sorted({self.table.item(index.row(), 0).data(Qt.UserRole) for index in rows})

    def _selected(self) -> None:
        self.selection_changed.emit(self.selected_run_ids())
