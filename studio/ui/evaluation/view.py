"""The evaluation view: the compiled metrics on a part of the data, a confusion matrix (click a cell to list its
rows) or predicted-vs-actual for regression, the predictions table, and prediction on a new CSV file (a file
above the streaming size of Edit > Preferences is read a chunk at a time and its predictions written as they are
made to a file chosen first; the table shows its first rows).
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.background import BackgroundTask
from studio.data.chunks import should_stream
from studio.data.dataset import read_new_csv
from studio.data.errors import DataError
from studio.data.predicted_file import WrittenPredictions, default_output_path, write_predictions
from studio.data.predictions import decode_outputs
from studio.training.class_report import class_scores, row_shares
from studio.ui.appearance import plot_colors
from studio.ui.canvas import theme
from studio.ui.evaluation.predictions import (
    actual_values,
    prediction_rows,
    save_predictions,
    save_predictions_by_line,
)

MAX_TABLE_ROWS = 5000
SCORE_COLUMNS = ("prec.", "recall", "F1", "rows")
SCORE_TIPS = ("Of the rows predicted {name!r}, the share that are {name!r}.",
              "Of the rows that are {name!r}, the share predicted {name!r}.",
              "The harmonic mean of precision and recall for {name!r}.",
              "Rows whose actual class is {name!r}.")


class EvaluationView(QWidget):
    """`set_model(model, data)`, then Evaluate. Signals: evaluated(dict of metrics), predicted(path), failed(message),
    reading(what, fraction) while a new CSV file is read (a fraction < 0: done).

    Evaluation and prediction run on a worker thread: do not train the same model meanwhile.
    """

    evaluated = Signal(object)
    predicted = Signal(str)
    failed = Signal(str)
    reading = Signal(str, float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = None
        self.data = None
        self.feed = None  # ModelFeed: which target each output learns, the columns of each Input
        self.header: list[str] = []
        self._shown = None  # (decoded outputs, actual values per output, file lines, caption, encoded targets)
        self.rows: list[list] = []
        self._labels = None  # (true, predicted) class indices of the evaluated part
        self._new_file = None  # (table, rows used) of the last predicted CSV
        self._written: str | None = None  # where the predictions of a CSV read in chunks were written
        self._reading_text = ""
        self._on_done = None
        self._session = None
        self._task = BackgroundTask(self)
        self._task.done.connect(self._task_done)
        self._task.failed.connect(self._task_failed)
        self._task.progress.connect(lambda fraction: self.reading.emit(self._reading_text, fraction))
        self._build()

    def _build(self) -> None:
        self.part_combo = QComboBox()
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.clicked.connect(self.evaluate)
        self.predict_button = QPushButton("Predict a CSV file…")
        self.predict_button.clicked.connect(self.browse_predict)
        self.save_button = QPushButton("Save predictions…")
        self.save_button.clicked.connect(self.browse_save)
        self.output_combo = QComboBox()  # a model with several outputs: whose matrix, plot and table are shown
        self.output_combo.currentIndexChanged.connect(lambda _: self._show_output())
        self.output_label = QLabel("Output:")
        top = QHBoxLayout()
        top.addWidget(QLabel("Data:"))
        top.addWidget(self.part_combo)
        top.addWidget(self.evaluate_button)
        top.addWidget(self.output_label)
        top.addWidget(self.output_combo)
        top.addStretch(1)
        top.addWidget(self.predict_button)
        top.addWidget(self.save_button)

        self.metrics_label = QLabel("Evaluate the trained model on held-out data.")
        self.metrics_label.setWordWrap(True)
        self.metrics_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.matrix = QTableWidget()
        self.matrix.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.matrix.cellClicked.connect(self.show_cell)
        self.matrix.setToolTip("Rows: actual class. Columns: predicted class. Click a cell to list its rows.")
        self.scatter = pg.PlotWidget(background=plot_colors(theme.dark)[0])
        self.scatter.setLabel("bottom", "actual")
        self.scatter.setLabel("left", "predicted")
        self.scatter.showGrid(x=True, y=True, alpha=0.25)
        self.scatter.setTitle("Predicted vs actual")
        self.plot_stack = QStackedWidget()
        self.plot_stack.addWidget(self.matrix)
        self.plot_stack.addWidget(self.scatter)
        self.plot_caption = QLabel()
        self.plot_caption.setWordWrap(True)

        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table_caption = QLabel()
        self.table_caption.setWordWrap(True)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.plot_caption)
        lv.addWidget(self.plot_stack, 1)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.table_caption)
        rv.addWidget(self.table, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([520, 420])

        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.metrics_label)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        self._update_enabled()

    # -- inputs --------------------------------------------------------------------------------
    def set_model(self, model, data, feed=None) -> None:
        """The trained (compiled) model, the `PreparedData` it was trained on (cut for its inputs and outputs)
        and the `ModelFeed` that cut it (None: one input and one output, as prepared)."""
        self.model, self.data, self.feed = model, data, feed
        self.part_combo.clear()
        for name in ("validation", "test", "train"):
            if data is not None and data.part(name) is not None:
                self.part_combo.addItem(f"{name} ({len(data.part(name))} rows)", name)
        self.output_combo.blockSignals(True)
        self.output_combo.clear()
        p = data.preprocessor if data is not None else None
        for name, k in (feed.outputs if feed is not None and p is not None else []):
            t = p.targets[k]
            self.output_combo.addItem(f"{name} → {t.name}", name)
        self.output_combo.blockSignals(False)
        several = self.output_combo.count() > 1
        self.output_label.setVisible(several)
        self.output_combo.setVisible(several)
        self._update_enabled()

    def follow(self, session) -> None:
        """Track a TrainingSession: disabled while it trains (the model is not to be used from two threads),
        then shown the model and data of the run that ended."""
        self._session = session
        session.run_started.connect(lambda run: self._update_enabled())
        session.run_finished.connect(lambda run: self.set_model(session.model, session.training_data, session.feed))
        if session.model is not None and not session.is_running:
            self.set_model(session.model, session.training_data, session.feed)

    def _update_enabled(self) -> None:
        training = self._session is not None and self._session.is_running
        ready = self.model is not None and self.data is not None and not self._task.running and not training
        self.evaluate_button.setEnabled(ready and self.part_combo.count() > 0)
        self.predict_button.setEnabled(ready)
        self.save_button.setEnabled(bool(self.rows))

    def can_evaluate(self) -> bool:
        """True when a trained model and its data are here and nothing is running: Evaluate would act."""
        return self.evaluate_button.isEnabled()

    # -- evaluation ----------------------------------------------------------------------------
    def evaluate(self) -> None:
        """Evaluate and predict the chosen part on a worker thread; `evaluated(metrics)` or `failed(message)`."""
        name = self.part_combo.currentData()
        part = self.data.part(name)
        model = self.model

        def work(progress):
            metrics = model.evaluate(part.x, part.y, return_dict=True, verbose=0)
            return metrics, model.predict(part.x, verbose=0)

        self._run(work, lambda result: self._show_evaluation(name, part, *result), "Evaluating…")

    def _run(self, work, on_done, text: str, reading: str = "") -> None:
        self._on_done = on_done
        self._reading_text = reading
        self.message.setStyleSheet("")
        self.message.setText(text)
        self.evaluate_button.setEnabled(False)
        self.predict_button.setEnabled(False)
        self._task.start(work)

    def _task_done(self, result) -> None:
        self.reading.emit("", -1.0)
        self._on_done(result)
        self._update_enabled()

    def _task_failed(self, message: str) -> None:
        self.reading.emit("", -1.0)
        self._update_enabled()
        if message:
            self._error(message)
            self.failed.emit(message)

    def _show_evaluation(self, name: str, part, metrics: dict, outputs) -> None:
        p = self.data.preprocessor
        self.metrics_label.setText(f"<b>{name}</b>: " + ", ".join(
            f"{k} = {v:.4g}" for k, v in metrics.items() if isinstance(v, float)))
        decoded = decode_outputs(p, self.feed, outputs)
        ys = part.y if isinstance(part.y, list) else [part.y]
        actual = [actual_values(p, y, d.index) for y, d in zip(ys, decoded)]
        self._new_file, self._written = None, None
        self._shown = (decoded, actual, part.lines, f"Predictions on the {name} rows", ys)
        self._show_output()
        self.message.clear()
        self.evaluated.emit(dict(metrics))

    @property
    def output_index(self) -> int:
        return max(0, self.output_combo.currentIndex())

    def _show_output(self) -> None:
        """The chosen output's confusion matrix (classes) or predicted-vs-actual plot (values), and its table."""
        if self._shown is None:
            return
        decoded, actual, lines, caption, ys = self._shown
        k = min(self.output_index, len(decoded) - 1)
        d = decoded[k]
        self.header, self.rows = prediction_rows(d, lines, actual[k])
        self._labels = None
        if ys is not None:  # an evaluated part: its targets are known
            if d.is_regression:
                self._show_scatter(np.asarray(actual[k], dtype=float), np.asarray(d.labels, dtype=float), d.name)
            else:
                self._labels = (self.data.preprocessor.labels_of(ys[k]), np.asarray(d.probs).argmax(axis=1))
                self._show_matrix(d.target.classes, *self._labels, d.name)
        several = f" — output '{d.name}' ({d.target.name})" if len(decoded) > 1 else ""
        self._fill_table(self.rows, caption + several)

    def _show_matrix(self, classes: list[str], true: np.ndarray, pred: np.ndarray, output: str = "") -> None:
        """The confusion matrix shaded by share of each actual class (counts on hover), then each class's
        precision, recall, F1 and number of rows."""
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
        of = f" of '{output}'" if self.output_combo.count() > 1 else ""
        self.plot_caption.setText(f"Confusion matrix{of} (rows: actual, columns: predicted; share of each actual "
                                  f"class, counts on hover) — {accuracy:.1%} correct. Click a cell to list its rows.")
        self.plot_stack.setCurrentWidget(self.matrix)

    def _show_scatter(self, actual: np.ndarray, predicted: np.ndarray, output: str = "") -> None:
        self.scatter.clear()
        self.scatter.plot(actual, predicted, pen=None, symbol="o", symbolSize=6,
                          symbolBrush=(31, 119, 180, 160), symbolPen=None)
        lo, hi = float(min(actual.min(), predicted.min())), float(max(actual.max(), predicted.max()))
        self.scatter.plot([lo, hi], [lo, hi], pen=pg.mkPen((120, 120, 120), style=Qt.PenStyle.DashLine))
        rmse = float(np.sqrt(np.mean((actual - predicted) ** 2)))
        of = f" of '{output}'" if self.output_combo.count() > 1 else ""
        self.plot_caption.setText(f"Predicted vs actual{of} — on the dashed line a prediction is exact. "
                                  f"RMSE {rmse:.4g}.")
        self.plot_stack.setCurrentWidget(self.scatter)

    def show_cell(self, i: int, j: int) -> list[int]:
        """List the rows whose actual class is `i` and predicted class `j`; returns their file lines."""
        if self._labels is None or j >= len(self.confusion):  # a score column, not a cell of the matrix
            return []
        true, pred = self._labels
        picked = np.flatnonzero((true == i) & (pred == j))
        rows = [self.rows[k] for k in picked]
        classes = self._shown[0][min(self.output_index, len(self._shown[0]) - 1)].target.classes
        self._fill_table(rows, f"{len(rows)} rows with actual {classes[i]!r} predicted as {classes[j]!r} "
                               "(click another cell, or Evaluate to list all)")
        return [r[0] for r in rows]

    def _fill_table(self, rows: list[list], caption: str) -> None:
        t = self.table
        t.clear()
        t.setColumnCount(len(self.header))
        t.setHorizontalHeaderLabels(self.header)
        shown = rows[:MAX_TABLE_ROWS]
        t.setRowCount(len(shown))
        output = self._shown[0][min(self.output_index, len(self._shown[0]) - 1)] if self._shown else None
        compare = "actual" in self.header and output is not None and not output.is_regression
        wrong_brush = QBrush(QColor(96, 40, 40) if theme.dark else QColor(255, 228, 228))
        for r, row in enumerate(shown):
            wrong = compare and row[self.header.index("actual")] != row[self.header.index("predicted")]
            for c, value in enumerate(row):
                probability = self.header[c].startswith("p(")
                text = f"{value:.3f}" if probability else f"{value:.4g}" if isinstance(value, float) else str(value)
                item = QTableWidgetItem(text)
                if isinstance(value, (int, float)):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if wrong:  # misclassified rows stand out
                    item.setBackground(wrong_brush)
                t.setItem(r, c, item)
        t.resizeColumnsToContents()
        more = f" (first {MAX_TABLE_ROWS} shown)" if len(rows) > MAX_TABLE_ROWS else ""
        self.table_caption.setText(caption + more)

    # -- new data ------------------------------------------------------------------------------
    def browse_predict(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Predict a CSV file", "", "CSV files (*.csv *.tsv *.txt);;"
                                                                              "All files (*)")
        if path:
            self.predict_file(path)

    def predict_file(self, path: str, out_path: str | None = None) -> None:
        """Read `path`, apply the fitted preprocessing and predict, on a worker thread; `predicted(path)` or
        `failed(message)` (a missing column, an unseen category... named with its line). A file above the streaming
        size is predicted a chunk at a time into `out_path` (asked for when None)."""
        p = self.data.preprocessor
        model, feed = self.model, self.feed
        threshold = _stream_threshold()
        if should_stream(path, threshold):
            out_path = out_path or self._ask_output(path)
            if out_path:
                self._predict_into(path, out_path, threshold)
            return

        def work(progress):
            table = read_new_csv(path, p, progress=progress)
            # Rows are predicted whether or not the file has the target; a row with no target is predicted too.
            transformed = p.transform(table, with_target=False)
            if not len(transformed.rows):
                raise DataError(f"{path}: no row can be predicted (every row misses a value).")
            return table, transformed, model.predict(feed.x(transformed.x) if feed else transformed.x, verbose=0)

        name = os.path.basename(path)
        self._run(work, lambda result: self._show_prediction(path, *result), f"Predicting {name}…", f"Reading {name}")

    def _ask_output(self, path: str) -> str:
        name = os.path.basename(path)
        out, _ = QFileDialog.getSaveFileName(self, f"{name} is large: its predictions are written as they are made "
                                                   "— save them as", default_output_path(path), "CSV files (*.csv)")
        return out

    def _predict_into(self, path: str, out_path: str, threshold: int) -> None:
        """Predict `path` a chunk at a time on a worker thread, writing the predictions to `out_path`."""
        p, model, feed = self.data.preprocessor, self.model, self.feed
        if os.path.abspath(out_path) == os.path.abspath(path):
            self._error(f"The predictions cannot be written over {path}, the file being predicted.")
            return

        def work(progress):
            return write_predictions(model, p, feed, path, out_path, threshold, progress, keep=MAX_TABLE_ROWS)

        name = os.path.basename(path)
        self._run(work, lambda written: self._show_written(path, out_path, written),
                  f"Predicting {name} a chunk at a time into {os.path.basename(out_path)}…",
                  f"Predicting {name} in chunks")

    def _show_written(self, path: str, out_path: str, written: WrittenPredictions) -> None:
        name = os.path.basename(path)
        self._new_file, self._written = None, out_path
        caption = f"Predictions for {name}: {written.count} rows written to {os.path.basename(out_path)}"
        if written.count > len(written.lines):
            caption += f" (the first {len(written.lines)} shown)"
        if written.notes:
            caption += "; " + "; ".join(written.notes)
        self._shown = (written.decoded, written.actual, written.lines, caption, None)
        self._show_output()
        self.message.setStyleSheet("")
        how = "read in chunks" if written.chunked else "read whole"
        self.message.setText(f"Predicted {written.count} rows of {name} ({how}) and wrote them after the file's "
                             f"columns to {out_path}.")
        self.predicted.emit(path)

    def _show_prediction(self, path: str, table, transformed, outputs) -> None:
        decoded = decode_outputs(self.data.preprocessor, self.feed, outputs)
        actual_rows = transformed.actual_rows()  # a window's actual value is its target's, `horizon` rows after it
        actual = [[table.column(d.target.name)[r] if r >= 0 else "" for r in actual_rows]
                  if d.target.name in table.names else None for d in decoded]
        self._new_file, self._written = (table, transformed.rows), None
        caption = f"Predictions for {os.path.basename(path)}: {len(transformed.rows)} rows"
        if transformed.notes():
            caption += "; " + "; ".join(transformed.notes())
        self._shown = (decoded, actual, transformed.lines, caption, None)  # the file's own targets, where it has them
        self._show_output()
        self.message.setStyleSheet("")
        self.message.setText("Save the predictions to write them next to the file's own columns.")
        self.predicted.emit(path)

    def browse_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save predictions", "predictions.csv", "CSV files (*.csv)")
        if path:
            self.save(path)

    def save(self, path: str) -> bool:
        """Write the shown predictions as CSV: the file's columns (or the line number) plus the predictions."""
        try:
            if self._written is not None:  # predictions of a file read in chunks, already written
                if os.path.abspath(path) != os.path.abspath(self._written):
                    shutil.copyfile(self._written, path)
            elif self._new_file is not None:
                table, used = self._new_file
                save_predictions(path, table, used, self._shown[0])
            elif self.data.table is None:  # read in chunks: rows named by their file line
                save_predictions_by_line(path, self._shown[2], self._shown[0])
            else:
                part = self.data.part(self.part_combo.currentData())
                save_predictions(path, self.data.table, part.rows, self._shown[0])
        except OSError as e:
            self._error(f"Could not write {path}: {e.strerror or e}")
            return False
        self.message.setStyleSheet("")
        self.message.setText(f"Saved {len(self.rows)} predictions to {path}.")
        return True

    def closeEvent(self, event) -> None:
        self._task.cancel()
        super().closeEvent(event)

    def _error(self, text: str) -> None:
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText(text)


def _stream_threshold() -> int:
    """Bytes above which a new CSV file is predicted a chunk at a time (Edit > Preferences)."""
    from studio.ui.preferences import Preferences

    return Preferences.load(QSettings()).stream_threshold

