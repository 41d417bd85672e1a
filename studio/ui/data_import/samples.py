"""The import dialog's "Samples" row: time-series windows, image size (with previews) and text settings.

`SamplesPanel.show_spec(spec, table)` shows a spec's choices; `apply(spec)` writes the widgets' choices into a
spec. `windows_toggled(bool)` lets the dialog propose a chronological split when windows are switched on.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.data.columns import ColumnRole, ColumnType
from studio.data.errors import DataError
from studio.data.kinds import ImageSpec, SequenceSpec, TextSpec

PREVIEWS = 4
PREVIEW_SIZE = 56


class SamplesPanel(QWidget):
    """Signals: windows_toggled(bool) when the user switches time-series windows on or off."""

    windows_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._table = None
        self._build()

    def _build(self) -> None:
        self.windows_box = QGroupBox("Time-series windows")
        self.windows_box.setCheckable(True)
        self.windows_box.setChecked(False)
        self.windows_box.toggled.connect(self.windows_toggled)
        self.time_combo = QComboBox()
        self.lookback_spin = QSpinBox(minimum=1, maximum=10_000, value=12)
        self.horizon_spin = QSpinBox(minimum=0, maximum=10_000, value=1)
        self.stride_spin = QSpinBox(minimum=1, maximum=10_000, value=1)
        self.history_check = QCheckBox("Target's past values as input")
        self.calendar_check = QCheckBox("Calendar features")
        self.gaps_check = QCheckBox("Allow gaps")
        steps = QHBoxLayout()
        for label, spin in (("Lookback", self.lookback_spin), ("Horizon", self.horizon_spin),
                            ("Stride", self.stride_spin)):
            steps.addWidget(QLabel(label))
            steps.addWidget(spin)
        checks = QHBoxLayout()
        for check in (self.history_check, self.calendar_check, self.gaps_check):
            checks.addWidget(check)
        form = QFormLayout(self.windows_box)
        form.addRow("Time column:", self.time_combo)
        form.addRow(steps)
        form.addRow(checks)

        self.image_box = QGroupBox("Images")
        self.image_box.setCheckable(True)
        self.image_box.setChecked(False)
        self.image_box.toggled.connect(lambda _: self.refresh_previews())
        self.height_spin = QSpinBox(minimum=1, maximum=4096, value=28)
        self.width_spin = QSpinBox(minimum=1, maximum=4096, value=28)
        self.channels_combo = QComboBox()
        self.channels_combo.addItem("1 (gray)", 1)
        self.channels_combo.addItem("3 (RGB)", 3)
        for w in (self.height_spin, self.width_spin):
            w.valueChanged.connect(lambda _: self.refresh_previews())
        self.channels_combo.currentIndexChanged.connect(lambda _: self.refresh_previews())
        size = QHBoxLayout()
        for label, w in (("H", self.height_spin), ("W", self.width_spin), ("C", self.channels_combo)):
            size.addWidget(QLabel(label))
            size.addWidget(w)
        self.preview_labels = [QLabel() for _ in range(PREVIEWS)]
        previews = QHBoxLayout()
        for label in self.preview_labels:
            label.setFixedSize(PREVIEW_SIZE, PREVIEW_SIZE)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("border: 1px solid #bbb; background: #fff;")
            previews.addWidget(label)
        previews.addStretch(1)
        self.image_note = QLabel()
        self.image_note.setWordWrap(True)
        self.image_note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        lay = QVBoxLayout(self.image_box)
        lay.addLayout(size)
        lay.addLayout(previews)
        lay.addWidget(self.image_note, 1)

        self.text_box = QGroupBox("Text")
        self.max_tokens_spin = QSpinBox(minimum=3, maximum=1_000_000, value=20000)
        self.length_spin = QSpinBox(minimum=1, maximum=10_000, value=50)
        self.text_note = QLabel("Set a free-text column's role to feature to learn from its words.")
        self.text_note.setWordWrap(True)
        form = QFormLayout(self.text_box)
        form.addRow("Vocabulary (max tokens):", self.max_tokens_spin)
        form.addRow("Sequence length:", self.length_spin)
        form.addRow(self.text_note)

        self.setMinimumHeight(200)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.windows_box, 3)
        row.addWidget(self.image_box, 2)
        row.addWidget(self.text_box, 2)

    # -- showing a spec ------------------------------------------------------------------------
    def show_spec(self, spec, table) -> None:
        self._table = table
        self._spec = spec
        self.time_combo.clear()
        self.time_combo.addItem("(file order)", None)
        for name in table.names:
            self.time_combo.addItem(name, name)
        s = spec.sequence
        self.windows_box.blockSignals(True)
        self.windows_box.setChecked(s is not None)
        self.windows_box.blockSignals(False)
        s = s or SequenceSpec()
        self.time_combo.setCurrentIndex(max(0, self.time_combo.findData(s.time_column)))
        self.lookback_spin.setValue(s.lookback)
        self.horizon_spin.setValue(s.horizon)
        self.stride_spin.setValue(s.stride)
        self.history_check.setChecked(s.target_history)
        self.calendar_check.setChecked(s.calendar)
        self.gaps_check.setChecked(s.allow_gaps)
        image = spec.image
        self.image_box.blockSignals(True)
        self.image_box.setChecked(image is not None)
        self.image_box.blockSignals(False)
        if image is not None:
            self.height_spin.setValue(image.height)
            self.width_spin.setValue(image.width)
            self.channels_combo.setCurrentIndex(max(0, self.channels_combo.findData(image.channels)))
        text = spec.text or TextSpec()
        self.max_tokens_spin.setValue(text.max_tokens or self.max_tokens_spin.maximum())
        self.length_spin.setValue(text.output_sequence_length)
        self.set_columns(spec)

    def apply(self, spec) -> None:
        """Write the panel's choices into `spec` (windows, image size, text settings)."""
        spec.sequence = SequenceSpec(
            time_column=self.time_combo.currentData(), lookback=self.lookback_spin.value(),
            horizon=self.horizon_spin.value(), stride=self.stride_spin.value(),
            calendar=self.calendar_check.isChecked(), target_history=self.history_check.isChecked(),
            allow_gaps=self.gaps_check.isChecked()) if self.windows_box.isChecked() else None
        spec.image = ImageSpec(self.height_spin.value(), self.width_spin.value(),
                               int(self.channels_combo.currentData())) if self.image_box.isChecked() else None
        has_text = any(c.type == ColumnType.TEXT and c.role == ColumnRole.FEATURE for c in spec.columns)
        spec.text = TextSpec(self.max_tokens_spin.value(), self.length_spin.value()) if has_text else None

    # -- previews ------------------------------------------------------------------------------
    def set_columns(self, spec) -> None:
        """The dialog's column choices changed: previews follow the image column or pixel features, and the text
        settings are there to change when a text column is a feature."""
        self._spec = spec
        text = [c.name for c in spec.columns if c.type == ColumnType.TEXT and c.role == ColumnRole.FEATURE]
        self.text_box.setEnabled(bool(text))
        self.text_note.setText(f"Column {text[0]!r}: words indexed by frequency in the training rows (0 = padding, "
                               "1 = unknown), for an Embedding layer." if text else
                               "Set a free-text column's role to feature to learn from its words.")
        self.refresh_previews()

    def refresh_previews(self) -> None:
        for label in self.preview_labels:
            label.clear()
            label.setVisible(self.image_box.isChecked())  # no empty frames when the data are not images
        self.image_note.setText("")
        spec, table = getattr(self, "_spec", None), self._table
        if table is None or spec is None or not self.image_box.isChecked():
            return
        try:
            images, note = preview_images(spec, table, self.height_spin.value(), self.width_spin.value(),
                                          int(self.channels_combo.currentData()))
        except DataError as err:
            images, note = [], str(err)
        for label, image in zip(self.preview_labels, images):
            label.setPixmap(to_pixmap(image))
        self.image_note.setText(note)


def preview_images(spec, table, height: int, width: int, channels: int) -> tuple[list[np.ndarray], str]:
    """The first few images as (H, W, C) arrays in [0, 1], and a note for the user (sizes found, problems)."""
    from studio.data.images import ImageFiles, resolve_image_path, survey_images

    features = [c for c in spec.columns if c.role == ColumnRole.FEATURE]
    files = [c for c in features if c.type == ColumnType.IMAGE]
    if files:
        name = files[0].name
        paths = [p for p in table.column(name) if p.strip()][:PREVIEWS]
        loader = ImageFiles(name, height, width, channels)
        images = [loader.load(resolve_image_path(p, table.path)) for p in paths]
        survey = survey_images(table.column(name), table.path)
        sizes = ", ".join(f"{w}x{h} ({n})" for (w, h), n in sorted(survey["sizes"].items(), key=lambda i: -i[1]))
        note = f"Sizes in the first {sum(survey['sizes'].values())} images: {sizes}; all resized to {width}x{height}."
        if survey["problems"]:
            note += f" Cannot read {len(survey['problems'])}: {survey['problems'][0]}."
        return images, note
    numeric = [c.name for c in features if c.type == ColumnType.NUMERIC]
    if len(numeric) != height * width * channels:
        return [], (f"{len(numeric)} numeric feature columns do not make {height} x {width} x {channels} images "
                    f"({height * width * channels} values).")
    rows = min(PREVIEWS, table.n_rows)
    try:
        values = np.array([[float(table.column(n)[i]) for n in numeric] for i in range(rows)])
    except ValueError:
        return [], "The pixel columns hold values that are not numbers."
    scale = values.max() if values.size and values.max() > 0 else 1.0
    images = [np.clip(v / scale, 0, 1).reshape(height, width, channels) for v in values]
    return images, f"{len(numeric)} pixel columns as {height} x {width} x {channels} images, scaled to [0, 1]."


def to_pixmap(image: np.ndarray) -> QPixmap:
    """An (H, W, C) array in [0, 1] as a pixmap scaled to the preview size (pixels kept sharp)."""
    data = np.ascontiguousarray((np.clip(image, 0, 1) * 255).astype(np.uint8))
    h, w, c = data.shape
    if c == 1:
        qimage = QImage(data.tobytes(), w, h, w, QImage.Format.Format_Grayscale8)
    else:
        qimage = QImage(data.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimage.copy()).scaled(PREVIEW_SIZE, PREVIEW_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                                   Qt.TransformationMode.FastTransformation)
