"""The model summary panel: one row per layer (output shape, parameters, multiply-adds) and the totals."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from studio.document.analysis import ModelAnalysis
from studio.document.build import chain_order
from studio.document.cost import format_count
from studio.document.inference import Analysis, format_shape
from studio.ui.canvas import theme

COLUMNS = ("Layer (type)", "Output shape", "Params", "Mult-adds")


def totals_text(analysis: Analysis, layer_count: int) -> str:
    return (f"Params {analysis.total_params:,} · Mult-adds {format_count(analysis.total_multiply_adds)} "
            f"· Layers {layer_count}")


class ModelSummary(QWidget):
    """Mirrors the analysis; clicking a row emits `node_clicked(node_id)`."""

    node_clicked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QTreeWidget()
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setUniformRowHeights(True)
        header = self.table.header()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setStretchLastSection(False)
        self.totals = QLabel("")
        self.totals.setStyleSheet("font-weight: 600;")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totals)
        layout.addWidget(self.status)
        self.analysis: ModelAnalysis | None = None
        self.table.itemClicked.connect(lambda item, _col: self.node_clicked.emit(item.data(0, Qt.UserRole)))

    @staticmethod
    def _fill(item: QTreeWidgetItem, node, report) -> None:
        shape = format_shape(report.output_shape) if report.output_shape else ("error" if report.error else "—")
        texts = [f"{node.name} ({node.type})", shape, format_count(report.params),
                 format_count(report.multiply_adds)]
        for col, text in enumerate(texts):
            if item.text(col) != text:
                item.setText(col, text)
        color = "#d93025" if report.error else theme.WARNING.name() if report.warning else None
        for col in range(len(COLUMNS)):  # errors red, huge layers amber; else the palette's text colour
            item.setData(col, Qt.ForegroundRole, QBrush(QColor(color)) if color else None)
        item.setToolTip(0, report.error or (f"⚠ {report.warning}" if report.warning else ""))
        item.setToolTip(2, item.toolTip(0))

    def set_document(self, analysis: ModelAnalysis) -> None:
        if self.analysis is not None:
            self.analysis.updated.disconnect(self.refresh)
        self.analysis = analysis
        analysis.updated.connect(self.refresh)
        self.refresh(analysis.current)

    def refresh(self, analysis: Analysis) -> None:
        graph = self.analysis.graph
        order = list(analysis.reports)
        if order != [self.table.topLevelItem(i).data(0, Qt.UserRole) for i in range(self.table.topLevelItemCount())]:
            self.table.clear()
            for node_id in order:
                item = QTreeWidgetItem()
                item.setData(0, Qt.UserRole, node_id)
                for col in (2, 3):
                    item.setTextAlignment(col, Qt.AlignRight | Qt.AlignVCenter)
                self.table.addTopLevelItem(item)
        for row, node_id in enumerate(order):
            self._fill(self.table.topLevelItem(row), graph.nodes[node_id], analysis.reports[node_id])
        layers = sum(1 for n in graph.nodes.values() if n.type != "Input")
        self.totals.setText(totals_text(analysis, layers))
        problems = list(analysis.problems) + [f"{graph.nodes[n].name}: {e}" for n, e in analysis.errors.items()]
        if problems:
            self.status.setText("<span style='color:#d93025'>" + "<br>".join(f"⚠ {p}" for p in problems[:6])
                                + ("<br>…" if len(problems) > 6 else "") + "</span>")
        else:
            kind = "Sequential" if chain_order(graph) is not None else "Functional"
            warnings = [f"⚠ {graph.nodes[n].name}: {w}" for n, w in analysis.warnings.items()]
            self.status.setText(f"<span style='color:#16a34a'>✔ Builds as a {kind} model.</span>" + "".join(
                f"<br><span style='color:{theme.WARNING.name()}'>{w}</span>" for w in warnings))
