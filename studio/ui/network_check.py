"""The network check: every problem of the graph at once (as MATLAB's network analyzer lists them), each
row naming the layer and what is wrong; clicking a row selects the layer on the canvas."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from studio.document.graph import Graph
from studio.document.inference import Analysis
from studio.ui.appearance import severity_color

NODE_ROLE = Qt.UserRole + 1


def problem_rows(graph: Graph, analysis: Analysis) -> list[tuple[str | None, str, str]]:
    """(node id or None, severity, text) for every problem: the graph's own, then each layer's, in the
    order the layers run; a layer stopped only by an upstream problem is listed as a consequence."""
    rows: list[tuple[str | None, str, str]] = [(None, "error", text) for text in analysis.problems]
    for node_id, report in analysis.reports.items():
        node = graph.nodes.get(node_id)
        if node is None:
            continue
        if report.error:
            rows.append((node_id, "error", f"{node.name} ({node.type}): {report.error}"))
        elif report.blocked_by:
            rows.append((node_id, "warning", f"{node.name} ({node.type}): waits for {report.blocked_by}"))
    return rows


class NetworkCheck(QWidget):
    """Lists the problems of the current analysis; emits `node_clicked(node_id)`."""

    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.itemClicked.connect(self._clicked)
        self.list.itemActivated.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.headline)
        layout.addWidget(self.list)

    def show_analysis(self, graph: Graph, analysis: Analysis) -> None:
        rows = problem_rows(graph, analysis)
        self.list.clear()
        for node_id, severity, text in rows:
            item = QListWidgetItem(("⚠ " if severity == "error" else "… ") + text)
            item.setData(NODE_ROLE, node_id)
            item.setForeground(QBrush(QColor(severity_color(severity))))
            item.setToolTip(text + ("\nClick to select the layer." if node_id else ""))
            self.list.addItem(item)
        errors = sum(1 for _, severity, _ in rows if severity == "error")
        if not rows:
            self.headline.setText(f"<span style='color:{severity_color('info')}'>✔ No problems found: "
                                  "the model builds.</span>")
        else:
            self.headline.setText(f"<span style='color:{severity_color('error')}'>{errors} problem(s) stop the "
                                  "model from building.</span> Click one to select its layer.")

    def problem_count(self) -> int:
        return self.list.count()

    def _clicked(self, item: QListWidgetItem) -> None:
        node_id = item.data(NODE_ROLE)
        if node_id:
            self.node_clicked.emit(node_id)
