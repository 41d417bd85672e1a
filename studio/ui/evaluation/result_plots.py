"""The left half of the Evaluation tab: the confusion matrix of an evaluated part (classes), its predicted-vs-actual
plot (values), or a note saying why neither is shown (predictions for a new file have no evaluated part)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from studio.training.class_report import class_scores, row_shares
from studio.ui.appearance import plot_colors
from studio.ui.canvas import theme

SCORE_COLUMNS = ("prec.", "recall", "F1", "rows")
SCORE_TIPS = ("Of the rows predicted {name!r}, the share that are {name!r}.",
              "Of the rows that are {name!r}, the share predicted {name!r}.",
              "The harmonic mean of precision and recall for {name!r}.",
              "Rows whose actual class is {name!r}.")


class ResultPlots(QWidget):
    """`show_matrix`, `show_scatter` or `show_note`. Signal cell_clicked(actual, predicted) for a click on a cell
    of the confusion matrix (not on its score columns)."""

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.confusion = np.zeros((0, 0), dtype=np.int64)
        self.matrix = QTableWidget()
        self.matrix.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.matrix.cellClicked.connect(self._cell_clicked)
        self.matrix.setToolTip("Rows: actual class. Columns: predicted class. Click a cell to list its rows.")
        self.scatter = pg.PlotWidget(background=plot_colors(theme.dark)[0])
        self.scatter.setLabel("bottom", "actual")
        self.scatter.setLabel("left", "predicted")
        self.scatter.showGrid(x=True, y=True, alpha=0.25)
        self.scatter.setTitle("Predicted vs actual")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setEnabled(False)  # greyed: nothing to read here but why
        self.stack = QStackedWidget()
        for page in (self.note, self.matrix, self.scatter):
            self.stack.addWidget(page)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.stack, 1)
        self.show_note("")

    def show_note(self, text: str) -> None:
        """No matrix or plot: `text` says why (empty: nothing evaluated yet)."""
        self.confusion = np.zeros((0, 0), dtype=np.int64)
        self.matrix.clear()
        self.matrix.setRowCount(0)
        self.matrix.setColumnCount(0)
        self.scatter.clear()
        self.caption.clear()
        self.note.setText(text)
        self.stack.setCurrentWidget(self.note)

    def show_matrix(self, classes: list[str], true: np.ndarray, pred: np.ndarray, output: str = "") -> None:
        """The confusion matrix shaded by share of each actual class (counts on hover), then each class's
        precision, recall, F1 and number of rows. `output`: the output's name when the model has several."""
        k = len(classes)
        counts = np.zeros((k, k), dtype=np.int64)
        np.add.at(counts, (true, pred), 1)
        self.confusion = counts
        shares = row_shares(counts)
        m = self.matrix
        m.clear()
        m.setRowCount(k)
        m.setColumnCount(k + len(SCORE_COLUMNS))
        m.setHorizontalHeaderLabels([f"→ {c}" for c in classes] + list(SCORE_COLUMNS))
        m.setVerticalHeaderLabels(classes)
        for i in range(k):
            for j in range(k):
                share = shares[i, j]
                item = QTableWidgetItem(f"{share:.0%}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                base = (46, 125, 50) if i == j else (198, 40, 40)
                color = QColor(*[int(255 - (255 - c) * share * 0.85) for c in base])
                item.setBackground(QBrush(color))
                item.setForeground(QBrush(QColor("white" if share > 0.55 else "black")))
                item.setToolTip(f"{counts[i, j]} of {counts[i].sum()} rows of actual {classes[i]!r} predicted as "
                                f"{classes[j]!r}. Click to list them.")
                m.setItem(i, j, item)
            scores = class_scores(counts)[i]
            for c, value in enumerate((f"{scores.precision:.2f}", f"{scores.recall:.2f}", f"{scores.f1:.2f}",
                                       str(scores.support))):
                item = QTableWidgetItem(value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setToolTip(SCORE_TIPS[c].format(name=classes[i]))
                m.setItem(i, k + c, item)
        header = m.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # "100%" and class names whole
        for j in range(k):
            m.horizontalHeaderItem(j).setToolTip(f"predicted {classes[j]!r}")
        m.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        accuracy = np.trace(counts) / max(1, counts.sum())
        of = f" of '{output}'" if output else ""
        self.caption.setText(f"Confusion matrix{of} (rows: actual, columns: predicted; share of each actual "
                             f"class, counts on hover) — {accuracy:.1%} correct. Click a cell to list its rows.")
        self.stack.setCurrentWidget(self.matrix)

    def show_scatter(self, actual: np.ndarray, predicted: np.ndarray, output: str = "") -> None:
        """Predicted against actual values, with the line where a prediction is exact, and the RMSE."""
        self.confusion = np.zeros((0, 0), dtype=np.int64)
        self.scatter.clear()
        self.scatter.plot(actual, predicted, pen=None, symbol="o", symbolSize=6,
                          symbolBrush=(31, 119, 180, 160), symbolPen=None)
        lo, hi = float(min(actual.min(), predicted.min())), float(max(actual.max(), predicted.max()))
        self.scatter.plot([lo, hi], [lo, hi], pen=pg.mkPen((120, 120, 120), style=Qt.PenStyle.DashLine))
        rmse = float(np.sqrt(np.mean((actual - predicted) ** 2)))
        of = f" of '{output}'" if output else ""
        self.caption.setText(f"Predicted vs actual{of} — on the dashed line a prediction is exact. RMSE {rmse:.4g}.")
        self.stack.setCurrentWidget(self.scatter)

    def _cell_clicked(self, i: int, j: int) -> None:
        if j < len(self.confusion):  # a score column is not a cell of the matrix
            self.cell_clicked.emit(i, j)
