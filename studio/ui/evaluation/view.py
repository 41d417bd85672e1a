"""The evaluation view: the compiled metrics on a part of the data, a confusion matrix (click a cell to list its
rows) or predicted-vs-actual for regression, the predictions table, and prediction on a new CSV file (a file
above the streaming size of Edit > Preferences is read a chunk at a time and its predictions written as they are
made to a file chosen first; the table shows its first rows).

What is shown is always one `ShownResult`: an evaluated part, or a predicted file, named in the heading with the run
whose model made it. A new model or new data clears it.
"""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.callbacks import Callback
from studio.background import BackgroundTask
from studio.data.chunks import should_stream
from studio.data.dataset import read_new_csv
from studio.data.errors import DataError
from studio.data.predicted_file import WrittenPredictions, default_output_path, write_predictions
from studio.data.predictions import decode_outputs
from studio.ui.canvas import theme
from studio.ui.evaluation.predictions import actual_values, prediction_rows
from studio.ui.evaluation.result_plots import ResultPlots
from studio.ui.evaluation.shown import ShownResult

MAX_TABLE_ROWS = 5000
NOTHING_YET = "Evaluate the trained model on held-out data, or predict a CSV file."
NO_MODEL = "Train the model, then evaluate it here on held-out data or predict a CSV file."


class EvaluationView(QWidget):
    """`set_model(model, data)`, then Evaluate. Signals: evaluated(dict of metrics), predicted(path), failed(message),
    reading(what, fraction) while a new CSV file is read (a fraction < 0: done), busy_changed(bool) when an
    evaluation or prediction starts or ends (finished, failed or cancelled).

    Evaluation and prediction run on a worker thread: do not train the same model meanwhile (`is_busy`).
    """

    evaluated = Signal(object)
    predicted = Signal(str)
    failed = Signal(str)
    reading = Signal(str, float)
    busy_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = None
        self.data = None
        self.feed = None  # ModelFeed: which target each output learns, the columns of each Input
        self.header: list[str] = []
        self.shown: ShownResult | None = None
        self.rows: list[list] = []
        self._labels = None  # (true, predicted) class indices of the evaluated part
        self._model_name = ""  # "run 2 (10 epochs)": the trained model shown results come from
        self._reading_text = ""
        self._predicting = False  # the running task predicts a new file (else it evaluates a part)
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
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the evaluation or prediction that is running.")
        self.cancel_button.clicked.connect(self.cancel)
        self.output_combo = QComboBox()  # a model with several outputs: whose matrix, plot and table are shown
        self.output_combo.currentIndexChanged.connect(lambda _: self._show_output())
        self.output_label = QLabel("Output:")
        self._data_label = QLabel("Data:")
        self._top = top = QHBoxLayout()
        for widget in (self._data_label, self.part_combo, self.evaluate_button, self.output_label, self.output_combo):
            top.addWidget(widget)
        top.addStretch(1)
        self._file_actions = QWidget()  # Predict and Save: beside Evaluate, or under it in a narrow tab
        actions = QHBoxLayout(self._file_actions)
        actions.setContentsMargins(0, 0, 0, 0)
        actions.addStretch(1)
        actions.addWidget(self.predict_button)
        actions.addWidget(self.save_button)
        top.addWidget(self._file_actions)

        self.heading = QLabel(NO_MODEL)  # what everything below belongs to
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.plots = ResultPlots()
        self.plots.cell_clicked.connect(self.show_cell)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table_caption = QLabel()
        self.table_caption.setWordWrap(True)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.table_caption)
        rv.addWidget(self.table, 1)
        splitter = QSplitter()
        splitter.addWidget(self.plots)
        splitter.addWidget(right)
        splitter.setSizes([520, 420])

        self.message = QLabel()
        self.message.setWordWrap(True)
        bottom = QHBoxLayout()  # what is running, and Cancel beside it
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        self._second_row = QHBoxLayout()
        layout.addLayout(self._second_row)
        layout.addWidget(self.heading)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        self._update_enabled()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Predict and Save go under Evaluate when the tab is too narrow for one row (their text stays whole)."""
        super().resizeEvent(event)
        left = [self._data_label, self.part_combo, self.evaluate_button, self.output_label, self.output_combo]
        needed = sum(w.sizeHint().width() + 8 for w in left if not w.isHidden()) + \
            self._file_actions.sizeHint().width() + 24
        wide = self.width() >= needed
        target = self._top if wide else self._second_row
        if self._file_actions.parent() is not None and target.indexOf(self._file_actions) < 0:
            (self._second_row if wide else self._top).removeWidget(self._file_actions)
            target.addWidget(self._file_actions)

    # The parts of the left half that callers and tests read.
    @property
    def matrix(self) -> QTableWidget:
        return self.plots.matrix

    @property
    def scatter(self):
        return self.plots.scatter

    @property
    def plot_stack(self):
        return self.plots.stack

    @property
    def plot_caption(self) -> QLabel:
        return self.plots.caption

    @property
    def confusion(self) -> np.ndarray:
        return self.plots.confusion

    # -- inputs --------------------------------------------------------------------------------
    def set_model(self, model, data, feed=None) -> None:
        """The trained (compiled) model, the `PreparedData` it was trained on (cut for its inputs and outputs)
        and the `ModelFeed` that cut it (None: one input and one output, as prepared). What was shown belonged
        to the model before: it is cleared, and an evaluation or prediction still running is cancelled."""
        self.cancel()
        self.model, self.data, self.feed = model, data, feed
        run = self._session.current_run if self._session is not None and model is not None else None
        self._model_name = f"run {run.run_id} ({run.epochs_done} epochs)" if run is not None else ""
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
        self._clear()
        self._update_enabled()

    def _clear(self) -> None:
        self.shown, self.header, self.rows, self._labels = None, [], [], None
        self.heading.setText(NOTHING_YET if self.model is not None else NO_MODEL)
        self.plots.show_note("")
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.table_caption.clear()
        self.message.clear()

    def follow(self, session) -> None:
        """Track a TrainingSession: disabled while it trains (the model is not to be used from two threads),
        then shown the model and data of the run that ended."""
        self._session = session
        session.starting.connect(self._before_training)
        session.run_started.connect(lambda run: self._update_enabled())
        session.run_finished.connect(lambda run: self.set_model(session.model, session.training_data, session.feed))
        if session.model is not None and not session.is_running:
            self.set_model(session.model, session.training_data, session.feed)

    @property
    def is_busy(self) -> bool:
        """An evaluation or prediction is running on its worker thread."""
        return self._task.running

    @property
    def is_predicting(self) -> bool:
        """A new CSV file is being predicted (training waits for it: the user asked for it, it may write a file)."""
        return self._task.running and self._predicting

    def _before_training(self) -> None:
        """Training is about to start on the model: an evaluation of it still running is stopped (its result would
        describe the model training changes)."""
        if self._task.running and not self._predicting:
            self.cancel()
            self.message.setText("Evaluation cancelled: training started.")

    def _update_enabled(self) -> None:
        training = self._session is not None and self._session.is_running
        busy = self._task.running
        ready = self.model is not None and self.data is not None and not busy and not training
        self.evaluate_button.setEnabled(ready and self.part_combo.count() > 0)
        self.part_combo.setEnabled(not busy)
        self.predict_button.setEnabled(ready)
        self.save_button.setEnabled(bool(self.rows) and not busy)
        self.cancel_button.setVisible(busy)

    def can_evaluate(self) -> bool:
        """True when a trained model and its data are here and nothing is running: Evaluate would act."""
        return self.evaluate_button.isEnabled()

    # -- running on the worker thread ----------------------------------------------------------
    def _run(self, work, on_done, text: str, reading: str, predicting: bool = False) -> None:
        self._on_done = on_done
        self._predicting = predicting
        self._reading_text = reading
        self.message.setStyleSheet("")
        self.message.setText(text)
        self._task.start(work)
        self._update_enabled()
        self.busy_changed.emit(True)

    def cancel(self) -> None:
        """Stop the evaluation or prediction that is running (at its next batch); what was shown stays."""
        if not self._task.running:
            return
        self._task.cancel()
        self.reading.emit("", -1.0)
        self.message.setStyleSheet("")
        self.message.setText("Cancelled.")
        self._update_enabled()
        self.busy_changed.emit(False)

    def _task_done(self, result) -> None:
        self.reading.emit("", -1.0)
        self._on_done(result)
        self._update_enabled()
        self.busy_changed.emit(False)

    def _task_failed(self, message: str) -> None:
        self.reading.emit("", -1.0)
        self._update_enabled()
        self.busy_changed.emit(False)
        if message:
            self._error(message)
            self.failed.emit(message)

    # -- evaluation ----------------------------------------------------------------------------
    def evaluate(self) -> None:
        """Evaluate and predict the chosen part on a worker thread; `evaluated(metrics)` or `failed(message)`."""
        name = self.part_combo.currentData()
        part = self.data.part(name)
        model = self.model

        def work(progress):
            metrics = model.evaluate(part.x, part.y, return_dict=True, verbose=0,
                                     callbacks=[BatchProgress(progress, 0.0, 0.5)])
            return metrics, model.predict(part.x, verbose=0, callbacks=[BatchProgress(progress, 0.5, 0.5)])

        self._run(work, lambda result: self._show_evaluation(name, part, *result), "Evaluating…",
                  f"Evaluating on the {name} rows")

    def _show_evaluation(self, name: str, part, metrics: dict, outputs) -> None:
        p = self.data.preprocessor
        decoded = decode_outputs(p, self.feed, outputs)
        ys = part.y if isinstance(part.y, list) else [part.y]
        actual = [actual_values(p, y, d.index) for y, d in zip(ys, decoded)]
        self._show(ShownResult(decoded, actual, part.lines, self._model_name, part=name, metrics=dict(metrics),
                               targets=ys, rows=getattr(part, "rows", None), count=len(part)))
        self.message.clear()
        self.evaluated.emit(dict(metrics))

    @property
    def output_index(self) -> int:
        return max(0, self.output_combo.currentIndex())

    def _show(self, shown: ShownResult) -> None:
        self.shown = shown
        self.heading.setText(shown.heading())
        self._show_output()

    def _show_output(self) -> None:
        """The chosen output's confusion matrix (classes) or predicted-vs-actual plot (values), and its table;
        for a new file, a note in place of the matrix."""
        shown = self.shown
        if shown is None:
            return
        k = min(self.output_index, len(shown.decoded) - 1)
        d = shown.decoded[k]
        self.header, self.rows = prediction_rows(d, shown.lines, shown.actual[k])
        self._labels = None
        of = d.name if self.output_combo.count() > 1 else ""
        if not shown.is_evaluation:
            self.plots.show_note(f"No confusion matrix: the predictions for {os.path.basename(shown.file)} are not "
                                 "an evaluation.")
        elif d.is_regression:
            self.plots.show_scatter(np.asarray(shown.actual[k], dtype=float), np.asarray(d.labels, dtype=float), of)
        else:
            self._labels = (self.data.preprocessor.labels_of(shown.targets[k]), np.asarray(d.probs).argmax(axis=1))
            self.plots.show_matrix(d.target.classes, *self._labels, of)
        several = f" — output '{d.name}' ({d.target.name})" if len(shown.decoded) > 1 else ""
        self._fill_table(self.rows, shown.table_caption() + several)
        self._update_enabled()

    def show_cell(self, i: int, j: int) -> list[int]:
        """List the rows whose actual class is `i` and predicted class `j`; returns their file lines."""
        if self._labels is None or j >= len(self.confusion):  # a score column, not a cell of the matrix
            return []
        true, pred = self._labels
        picked = np.flatnonzero((true == i) & (pred == j))
        rows = [self.rows[k] for k in picked]
        classes = self.shown.decoded[min(self.output_index, len(self.shown.decoded) - 1)].target.classes
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
        decoded = self.shown.decoded if self.shown else []
        output = decoded[min(self.output_index, len(decoded) - 1)] if decoded else None
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
            table = read_new_csv(path, p, progress=lambda fraction: progress(0.5 * fraction))
            # Rows are predicted whether or not the file has the target; a row with no target is predicted too.
            transformed = p.transform(table, with_target=False)
            if not len(transformed.rows):
                raise DataError(f"{path}: no row can be predicted (every row misses a value).")
            x = feed.x(transformed.x) if feed else transformed.x
            return table, transformed, model.predict(x, verbose=0, callbacks=[BatchProgress(progress, 0.5, 0.5)])

        name = os.path.basename(path)
        self._run(work, lambda result: self._show_prediction(path, *result), f"Predicting {name}…",
                  f"Predicting {name}", predicting=True)

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
                  f"Predicting {name} in chunks", predicting=True)

    def _show_written(self, path: str, out_path: str, written: WrittenPredictions) -> None:
        self._show(ShownResult(written.decoded, written.actual, written.lines, self._model_name, file=path,
                               written=out_path, count=written.count, notes=tuple(written.notes)))
        self.message.setStyleSheet("")
        how = "read in chunks" if written.chunked else "read whole"
        self.message.setText(f"Predicted {written.count} rows of {os.path.basename(path)} ({how}) and wrote them "
                             f"after the file's columns to {out_path}.")
        self.predicted.emit(path)

    def _show_prediction(self, path: str, table, transformed, outputs) -> None:
        decoded = decode_outputs(self.data.preprocessor, self.feed, outputs)
        notes = transformed.notes(self.feed.unseen_taken_as(self.data.preprocessor) if self.feed else None)
        actual_rows = transformed.actual_rows()  # a window's actual value is its target's, `horizon` rows after it
        actual = [[table.column(d.target.name)[r] if r >= 0 else "" for r in actual_rows]
                  if d.target.name in table.names else None for d in decoded]  # the file's own targets, if any
        self._show(ShownResult(decoded, actual, transformed.lines, self._model_name, file=path, table=table,
                               rows=transformed.rows, count=len(transformed.rows), notes=tuple(notes)))
        self.message.setStyleSheet("")
        self.message.setText("Save the predictions to write them next to the file's own columns.")
        self.predicted.emit(path)

    def browse_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save predictions", "predictions.csv", "CSV files (*.csv)")
        if path:
            self.save(path)

    def save(self, path: str) -> bool:
        """Write the shown predictions as CSV: the file's columns (or the line number) plus the predictions."""
        if self.shown is None:
            return False
        try:
            self.shown.save(path, self.data.table if self.data is not None else None)
        except OSError as e:
            self._error(f"Could not write {path}: {e.strerror or e}")
            return False
        self.message.setStyleSheet("")
        self.message.setText(f"Saved {len(self.rows)} predictions for {self.shown.subject} to {path}.")
        return True

    def closeEvent(self, event) -> None:
        self._task.cancel()
        super().closeEvent(event)

    def _error(self, text: str) -> None:
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText(text)


class BatchProgress(Callback):
    """Reports the batches done of an evaluate or predict, as `start + share * fraction`, to a BackgroundTask's
    `progress` (which stops the work when the task is cancelled)."""

    def __init__(self, progress, start: float, share: float):
        super().__init__()
        self.progress, self.start, self.share = progress, start, share

    def _batch_end(self, batch: int) -> None:
        steps = (self.params or {}).get("steps")
        if steps:
            self.progress(self.start + self.share * min(1.0, (batch + 1) / steps))

    def on_test_batch_end(self, batch, logs=None):
        self._batch_end(batch)

    def on_predict_batch_end(self, batch, logs=None):
        self._batch_end(batch)


def _stream_threshold() -> int:
    """Bytes above which a new CSV file is predicted a chunk at a time (Edit > Preferences)."""
    from studio.ui.preferences import Preferences

    return Preferences.load(QSettings()).stream_threshold
