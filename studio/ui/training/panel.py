"""The training panel: settings, Train / Stop / Pause / Resume / Continue, per-batch progress, live curves,
and the diagnosis in words. It is a view of a `TrainingSession`; the session does the work.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QMargins, QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.training.backends import ENGINE, KERAS, backend_words
from studio.training.compile_settings import log_names
from studio.training.diagnosis import Diagnosis
from studio.training.keras_backend import keras_unavailable, short_name
from studio.training.run import SETTING_LIMITS, STATUS_WORDS, TrainingSettings
from studio.training.session import IDLE, PAUSED, STOPPING, TRAINING, TrainingSession
from studio.ui.appearance import severity_color
from studio.ui.preferences import Preferences
from studio.ui.training.curves import CurvesView


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}" if minutes >= 60 else f"{minutes}:{seconds:02d}"


class TrainingPanel(QWidget):
    def __init__(self, session: TrainingSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self._epochs_total = 0
        self._timing = (time.monotonic(), 0)  # when the running segment started, and its first epoch
        self._overlaid_runs: set[int] | None = None
        self._blocker: str | None = None  # why training cannot start (no data, no compile settings...)
        self._backend_note: str | None = None  # a project's Keras choice that cannot run here, said until a run
        self._build()
        session.configured.connect(self._on_configured)
        session.run_started.connect(self._on_run_started)
        session.batch_end.connect(self._on_batch)
        session.epoch_end.connect(self._on_epoch)
        session.run_finished.connect(self._on_run_finished)
        session.failed.connect(self._on_failed)
        session.state_changed.connect(self._update_buttons)
        session.diagnosis_changed.connect(self._show_diagnosis)
        self._update_buttons()
        if session.compile_settings is not None:
            self._on_configured(session.compile_settings)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.epochs_spin = QSpinBox(minimum=SETTING_LIMITS["epochs"][0], maximum=SETTING_LIMITS["epochs"][1], value=50)
        self.batch_spin = QSpinBox(minimum=SETTING_LIMITS["batch_size"][0], maximum=SETTING_LIMITS["batch_size"][1],
                                   value=32)
        self.shuffle_check = QCheckBox("Shuffle each epoch")
        self.shuffle_check.setChecked(True)
        self.backend_combo = self._backend_choice()
        form = QFormLayout()
        form.addRow("Train with:", self.backend_combo)
        form.addRow("Epochs:", self.epochs_spin)
        form.addRow("Batch size:", self.batch_spin)
        form.addRow(self.shuffle_check)

        self.early_box = QGroupBox("Early stopping")
        self.early_box.setCheckable(True)
        self.early_box.setChecked(False)
        self.monitor_combo = QComboBox()
        self.monitor_combo.addItems(["val_loss", "loss"])
        self.monitor_combo.setEditable(True)
        self.patience_spin = QSpinBox(minimum=SETTING_LIMITS["patience"][0], maximum=SETTING_LIMITS["patience"][1],
                                      value=5)
        self.min_delta_spin = QDoubleSpinBox(minimum=SETTING_LIMITS["min_delta"][0],
                                             maximum=SETTING_LIMITS["min_delta"][1], decimals=5, singleStep=0.001)
        self.restore_check = QCheckBox("Restore the best weights")
        self.restore_check.setChecked(True)
        early_options = QWidget()  # shown only while early stopping is on: the panel stays low enough to dock
        early = QFormLayout(early_options)
        early.setContentsMargins(0, 0, 0, 0)
        early.addRow("Monitor:", self.monitor_combo)
        early.addRow("Patience:", self.patience_spin)
        early.addRow("Min. change:", self.min_delta_spin)
        early.addRow(self.restore_check)
        box_layout = QVBoxLayout(self.early_box)
        box_layout.addWidget(early_options)
        margins = box_layout.contentsMargins()

        def show_options(on: bool) -> None:  # no empty frame while early stopping is off
            early_options.setVisible(on)
            self.early_box.setFlat(not on)
            box_layout.setContentsMargins(margins if on else QMargins(0, 0, 0, 0))
            if on:
                self.early_box.setMinimumHeight(0)
                self.early_box.setMaximumHeight(16777215)
            else:  # the title's line only
                self.early_box.setFixedHeight(self.early_box.fontMetrics().height() + 6)

        self.early_box.toggled.connect(show_options)
        show_options(False)
        self.early_options = early_options

        self.train_button = QPushButton("Train")
        self.stop_button = QPushButton("Stop")
        self.pause_button = QPushButton("Pause")
        self.resume_button = QPushButton("Resume")
        self.continue_button = QPushButton("Continue")
        self.more_spin = QSpinBox(minimum=1, maximum=100_000, value=20, suffix=" more epochs")
        self.continue_button.setToolTip("Train the last run's model for more epochs, keeping its optimizer state")
        self.train_button.clicked.connect(self.train)
        self.stop_button.clicked.connect(self.session.stop)
        self.pause_button.clicked.connect(self.session.pause)
        self.resume_button.clicked.connect(self.session.resume)
        self.continue_button.clicked.connect(self.continue_training)
        row1 = QHBoxLayout()
        for b in (self.train_button, self.stop_button):
            row1.addWidget(b)
        row2 = QHBoxLayout()
        for b in (self.pause_button, self.resume_button):
            row2.addWidget(b)
        row3 = QHBoxLayout()
        row3.addWidget(self.continue_button)
        row3.addWidget(self.more_spin)
        self.previous_check = QCheckBox("Show earlier runs")
        self.previous_check.setChecked(True)
        self.previous_check.toggled.connect(self._show_previous)

        controls = QVBoxLayout()
        controls.addLayout(form)
        controls.addWidget(self.early_box)
        controls.addLayout(row1)
        controls.addLayout(row2)
        controls.addLayout(row3)
        controls.addWidget(self.previous_check)
        controls.addStretch(1)
        left = QWidget()
        left.setLayout(controls)
        left.setFixedWidth(270)
        controls_area = QScrollArea()  # the panel can be made low (a dock under the canvas) without clipping them
        controls_area.setWidget(left)
        controls_area.setWidgetResizable(True)
        controls_area.setFrameShape(QFrame.Shape.NoFrame)
        controls_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        controls_area.setFixedWidth(270 + controls_area.verticalScrollBar().sizeHint().width())

        self.progress = QProgressBar()
        self.progress.setFormat("Not trained yet")
        self.progress.setTextVisible(True)
        self.progress.setValue(0)  # a bar with no value shows no text at all
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.curves = CurvesView()
        self.diagnosis_label = QLabel()
        self.diagnosis_label.setWordWrap(True)
        self.diagnosis_label.setTextFormat(Qt.TextFormat.RichText)
        # A fixed height: text that changes every epoch must not re-lay out (and repaint) the plots. The status
        # and the diagnosis sit side by side, so that the plots keep the height of a panel docked under the canvas.
        self.diagnosis_label.setFixedHeight(3 * self.fontMetrics().lineSpacing() + 4)
        self.diagnosis_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status_label.setFixedHeight(3 * self.fontMetrics().lineSpacing() + 4)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        words = QHBoxLayout()
        words.addWidget(self.status_label, 1)
        words.addWidget(self.diagnosis_label, 1)
        right = QVBoxLayout()
        right.addWidget(self.progress)
        right.addWidget(self.curves, 1)
        right.addLayout(words)

        layout = QHBoxLayout(self)
        layout.addWidget(controls_area)
        layout.addLayout(right, 1)

    def _backend_choice(self) -> QComboBox:
        """LayerStudio's engine, or real Keras 3 — offered disabled, with what to install, when it cannot run here."""
        combo = QComboBox()
        combo.addItem("LayerStudio engine", ENGINE)
        combo.setItemData(0, "LayerStudio's own NumPy engine, in this process", Qt.ItemDataRole.ToolTipRole)
        self._keras_missing = keras_unavailable()
        if self._keras_missing:
            combo.addItem("Keras 3 (not installed)", KERAS)
            combo.model().item(1).setEnabled(False)
            combo.setItemData(1, self._keras_missing, Qt.ItemDataRole.ToolTipRole)
            combo.setToolTip(f"Who trains the model. {self._keras_missing}")
        else:
            combo.addItem(short_name(), KERAS)
            combo.setItemData(1, "Real Keras 3 on its backend and the devices it sees (a GPU when it has one); "
                              "the trained weights come back into the project", Qt.ItemDataRole.ToolTipRole)
            combo.setToolTip("Who trains the model: LayerStudio's engine, or real Keras 3 "
                             f"({short_name()[len('Keras 3 '):]} backend)")
        return combo

    # -- settings ------------------------------------------------------------------------------
    def settings(self) -> TrainingSettings:
        return TrainingSettings(backend=self.backend_combo.currentData(),
                                epochs=self.epochs_spin.value(), batch_size=self.batch_spin.value(),
                                shuffle=self.shuffle_check.isChecked(), early_stopping=self.early_box.isChecked(),
                                monitor=self.monitor_combo.currentText(), patience=self.patience_spin.value(),
                                min_delta=self.min_delta_spin.value(),
                                restore_best_weights=self.restore_check.isChecked())

    def set_settings(self, s: TrainingSettings) -> None:
        self._backend_note = None
        if s.backend == KERAS and self._keras_missing:
            self.backend_combo.setCurrentIndex(0)
            self._backend_note = f"{self._keras_missing} The engine trains this project meanwhile."
            self._status(self._backend_note, "warning")
        else:
            self.backend_combo.setCurrentIndex(max(0, self.backend_combo.findData(s.backend)))
        self.epochs_spin.setValue(int(s.epochs))
        self.batch_spin.setValue(int(s.batch_size))
        self.shuffle_check.setChecked(bool(s.shuffle))
        self.early_box.setChecked(bool(s.early_stopping))
        self.monitor_combo.setCurrentText(s.monitor)
        self.patience_spin.setValue(int(s.patience))
        self.min_delta_spin.setValue(float(s.min_delta))
        self.restore_check.setChecked(bool(s.restore_best_weights))

    def set_blocker(self, reason: str | None) -> None:
        """What keeps Train (and Continue) from starting, shown to the user; None when training can start."""
        self._blocker = reason
        self._update_buttons()
        if reason:
            self._status(reason, "warning")
        elif self.session.current_run is None and self.session.state == IDLE:
            note = self._backend_note
            self._status(note or "Ready: press Train.", "warning" if note else "info")

    def show_restored(self) -> None:
        """Draw the session's runs after `restore_runs` (a reopened project): the last one as current."""
        run = self.session.current_run
        if run is None:
            return
        self.curves.start_run()
        self.curves.show_run(run.history)
        self._show_previous()
        epochs = f"{run.epochs_done} epoch{'s' if run.epochs_done != 1 else ''}"
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.setFormat(f"Run {run.run_id}: {epochs} — {STATUS_WORDS.get(run.status, run.status)}")
        self._update_buttons()

    # -- actions -------------------------------------------------------------------------------
    def train(self) -> None:
        self._act(lambda: self.session.train(self.settings()))

    def continue_training(self) -> None:
        self._act(lambda: self.session.continue_training(self.more_spin.value()))

    def _act(self, action) -> None:
        try:
            action()
        except (RuntimeError, ValueError) as e:
            self._status(str(e), "error")

    # -- session events ------------------------------------------------------------------------
    def _on_run_started(self, run) -> None:
        segment = run.segments[-1]
        self._epochs_total = segment["epochs"]
        self._timing = (time.monotonic(), segment["initial_epoch"])
        if segment["initial_epoch"] == 0:
            self.curves.start_run()
            self._prepare_plots(run.compile_settings)
            self._show_previous()
            self.diagnosis_label.clear()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        by_keras = run.settings.get("backend") == KERAS
        self.progress.setFormat(f"Run {run.run_id}: {'starting Keras' if by_keras else 'starting'}…")
        self._status(f"Run {run.run_id}: training{' with ' + short_name() if by_keras else ''}…", "info")

    def _on_configured(self, compile_settings: dict) -> None:
        """New model, data or compile settings: plots for its metrics, monitor choices, and (before the first
        run) training settings proposed from the size of the data."""
        self._prepare_plots(compile_settings)
        data = self.session.data
        has_validation = data is not None and data.validation is not None
        current = self.monitor_combo.currentText()
        self.monitor_combo.clear()
        for name in log_names(compile_settings):
            if has_validation:
                self.monitor_combo.addItem("val_" + name)
            self.monitor_combo.addItem(name)
        self.monitor_combo.setCurrentText(current if self.monitor_combo.findText(current) >= 0
                                          else self.monitor_combo.itemText(0))
        if not self.session.runs and data is not None:
            preferred = Preferences.load(QSettings())
            self.set_settings(TrainingSettings.proposed(_rows(data.train), preferred.epochs, preferred.batch_size))

    def _prepare_plots(self, compile_settings: dict) -> None:
        """Create the plots before training: creating and first painting them is the slowest GUI work."""
        data = self.session.data
        self.curves.prepare(log_names(compile_settings), validation=data is None or data.validation is not None)

    def _on_batch(self, info: dict) -> None:
        steps = info.get("steps") or 0  # the worker sends the latest batch a few dozen times a second at most
        if steps:
            if self.progress.maximum() != steps:
                self.progress.setRange(0, steps)
            self.progress.setValue(info["batch"] + 1)
        loss = info["logs"].get("loss")
        loss_text = f" — loss {loss:.4g}" if isinstance(loss, float) else ""
        self.progress.setFormat(f"Epoch {info['epoch'] + 1}/{self._epochs_total} — batch {info['batch'] + 1}/"
                                f"{steps or '?'}{loss_text}{self._time_text(info, steps)}")

    def _time_text(self, info: dict, steps: int) -> str:
        """ — 0:12 elapsed, ~0:40 left (the time left from this segment's pace so far)."""
        started, first_epoch = self._timing
        elapsed = time.monotonic() - started
        done = info["epoch"] - first_epoch + (info["batch"] + 1) / steps if steps else 0
        todo = self._epochs_total - first_epoch
        left = f", ~{_clock(elapsed * (todo - done) / done)} left" if done > 0 and todo > done else ""
        return f" — {_clock(elapsed)} elapsed{left}"

    def _on_epoch(self, info: dict) -> None:
        run = self.session.current_run
        if run is not None:
            self.curves.show_run(run.history, stagger=True)

    def _on_run_finished(self, run) -> None:
        self.curves.show_run(run.history)
        self.progress.setValue(self.progress.maximum())
        epochs = f"{run.epochs_done} epoch{'s' if run.epochs_done != 1 else ''}"
        self.progress.setFormat(f"Run {run.run_id}: {epochs} — {STATUS_WORDS.get(run.status, run.status)}")
        severity = {"finished": "info", "early_stopped": "info", "stopped": "warning"}.get(run.status, "error")
        text = run.message or "Training finished."
        best = run.best("val_loss") or run.best("loss")
        if best and severity != "error":
            text += f" Best {'validation ' if run.best('val_loss') else ''}loss {best[1]:.4g} at epoch {best[0]}."
        trainer = run.segments[-1].get("backend") if run.segments else None
        if trainer:
            text += f" Trained by {backend_words(trainer)}."
        self._status(f"Run {run.run_id}: {text}", severity)

    def _on_failed(self, info: dict) -> None:
        self._status(info["error"], "error")
        self.status_label.setToolTip(info.get("traceback", ""))

    def _show_diagnosis(self, found: list[Diagnosis]) -> None:
        lines = [f'<p style="color:{severity_color(d.severity)}; margin:2px">{d.message}</p>' for d in found]
        self.diagnosis_label.setText("".join(lines))

    def _show_previous(self) -> None:
        current = self.session.current_run
        chosen = self._overlaid_runs
        runs = [(r.run_id, r.history) for r in self.session.runs
                if r is not current and (chosen is None or r.run_id in chosen)] \
            if self.previous_check.isChecked() else []
        self.curves.set_previous(runs)

    def overlay_runs(self, run_ids: list[int] | None) -> None:
        """Overlay only these earlier runs' curves (None or empty: every earlier run)."""
        self._overlaid_runs = set(run_ids) if run_ids else None
        self._show_previous()

    def curves_image(self):
        """The plots as they are drawn now (a QPixmap), for File > Export > Training Curves."""
        return self.curves.grab()

    def _status(self, text: str, severity: str) -> None:
        self.status_label.setStyleSheet(f"color: {severity_color(severity)};")
        self.status_label.setText(text)

    def _update_buttons(self, *_) -> None:
        state = self.session.state
        idle = state == IDLE
        self.train_button.setEnabled(idle and not self._blocker)
        self.train_button.setToolTip(self._blocker or "Start a new run from freshly initialized weights")
        self.stop_button.setEnabled(state in (TRAINING, PAUSED))
        self.pause_button.setEnabled(state == TRAINING)
        self.resume_button.setEnabled(state == PAUSED)
        self.continue_button.setEnabled(idle and self.session.can_continue and not self._blocker)
        self.more_spin.setEnabled(idle)
        for w in (self.backend_combo, self.epochs_spin, self.batch_spin, self.shuffle_check, self.early_box):
            w.setEnabled(idle)
        if state == STOPPING:
            self.progress.setFormat(self.progress.format() + " — stopping…")
        elif state == PAUSED:
            self.progress.setFormat(self.progress.format() + " — paused")
            self._status("Paused between two batches: Resume to go on, Stop to end the run.", "warning")
        elif state == TRAINING and self.session.current_run is not None:
            by_keras = self.session.current_run.settings.get("backend") == KERAS
            self._status(f"Run {self.session.current_run.run_id}: training"
                         f"{' with ' + short_name() if by_keras else ''}…", "info")


def _rows(part) -> int:
    """The rows of a part: a `Split` or a part read in chunks has a length; a bare (x, y) holder counts x's rows."""
    return len(part) if hasattr(part, "__len__") else len(part.x)
