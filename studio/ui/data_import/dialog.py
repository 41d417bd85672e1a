"""The CSV import dialog: choose a file, see it, set each column's type and role, missing values, scaling, split.

`ImportDialog.spec` is the `DataSpec` the user chose and `ImportDialog.prepared` its `PreparedData`, both set
when the dialog is accepted. Reading and preparing run on a worker thread with a progress bar.
"""

from __future__ import annotations

import os
from dataclasses import replace

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.background import BackgroundTask
from studio.data import (
    ColumnRole,
    ColumnType,
    CsvDialect,
    DataSpec,
    MissingStrategy,
    Scaling,
    prepare,
    read_csv,
    summarize_table,
)
from studio.data.chunks import should_stream
from studio.data.columns import looks_like_class_labels
from studio.data.profile import column_profile
from studio.data.proposal import ignore_reason
from studio.data.streamed import prepare_file
from studio.ui.data_import.column_panel import ColumnPanel
from studio.ui.data_import.preview import PreviewModel
from studio.ui.data_import.samples import SamplesPanel
from studio.ui.preferences import Preferences

DELIMITERS = [(",", "Comma ,"), (";", "Semicolon ;"), ("\t", "Tab"), ("|", "Pipe |")]
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-32"]
COLUMN_MISSING = [(None, "as below"), (MissingStrategy.DROP_ROWS, "drop rows"),
                  (MissingStrategy.FILL_MEAN, "fill mean"), (MissingStrategy.FILL_MOST_FREQUENT, "fill most frequent")]
NAME, SUMMARY, TYPE, ROLE, MISSING = range(5)
PREVIEW_ROWS = 20_000  # rows read of a file above the streaming size (Edit > Preferences) to propose its columns


class ImportDialog(QDialog):
    """Signals: loaded() once a file is read and shown; failed(str) with the message shown to the user."""

    loaded = Signal()
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, spec: DataSpec | None = None, sequence_model: bool = False,
                 outputs: int = 1):
        super().__init__(parent)
        self.setWindowTitle("Import CSV data")
        self.resize(1080, 800)
        self._sequence_model = sequence_model  # the canvas holds a recurrent model: windows are proposed
        self._outputs = outputs  # the model's outputs: with several, each role set to target adds a target
        self.table = None
        self.summaries = []
        self.spec: DataSpec | None = None
        self.prepared = None
        self._initial_spec = spec
        self._threshold = 0  # bytes above which the file is previewed and read in chunks (Edit > Preferences)
        self._previewed = False
        self._task = BackgroundTask(self)
        self._task.progress.connect(self._on_progress)
        self._task.done.connect(self._on_task_done)
        self._task.failed.connect(self._on_failed)
        self._when_done = self._on_loaded
        self._build()
        if spec is not None:
            self.load_file(spec.path, spec.dialect)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.path_edit = QLineEdit(placeholderText="Path of a CSV file")
        self.path_edit.returnPressed.connect(lambda: self.load_file(self.path_edit.text()))
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self.browse)
        file_row = QHBoxLayout()
        file_row.addWidget(QLabel("File:"))
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)

        self.delimiter_combo = QComboBox()
        for value, label in DELIMITERS:
            self.delimiter_combo.addItem(label, value)
        self.encoding_combo = QComboBox()
        self.encoding_combo.addItems(ENCODINGS)
        self.header_check = QCheckBox("First row holds column names")
        for w in (self.delimiter_combo, self.encoding_combo):
            w.activated.connect(self._reload_with_dialect)
        self.header_check.clicked.connect(self._reload_with_dialect)
        self.skip_spin = QSpinBox(minimum=0, maximum=1000, suffix=" lines")
        self.skip_spin.setToolTip("Lines before the table: a title, or scikit-learn's \"150,4,setosa,…\" first line")
        self.skip_spin.editingFinished.connect(self._reload_with_dialect)
        dialect_row = QHBoxLayout()
        dialect_row.addWidget(QLabel("Delimiter:"))
        dialect_row.addWidget(self.delimiter_combo)
        dialect_row.addWidget(QLabel("Encoding:"))
        dialect_row.addWidget(self.encoding_combo)
        dialect_row.addWidget(self.header_check)
        dialect_row.addWidget(QLabel("Skip first:"))
        dialect_row.addWidget(self.skip_spin)
        dialect_row.addStretch(1)
        self.target_combo = QComboBox()
        self.target_combo.setMinimumContentsLength(24)
        self.target_combo.activated.connect(self._target_chosen)
        self.target_note = QLabel()
        target_row = QHBoxLayout()
        target_row.addWidget(QLabel("<b>Target column</b> (what the model predicts):"))
        target_row.addWidget(self.target_combo)
        target_row.addWidget(self.target_note, 1)

        self.preview_model = PreviewModel()
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.verticalHeader().setDefaultSectionSize(20)

        self.columns_table = QTableWidget(0, 5)
        self.columns_table.setHorizontalHeaderLabels(["Column", "Contents", "Type", "Role", "Missing values"])
        self.columns_table.horizontalHeader().setSectionResizeMode(SUMMARY, QHeaderView.ResizeMode.Stretch)
        self.columns_table.verticalHeader().setVisible(False)
        self.columns_table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.columns_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.columns_table.currentCellChanged.connect(lambda row, *_: self._show_column(row))
        self.column_panel = ColumnPanel()
        columns_split = QSplitter(Qt.Orientation.Horizontal)
        columns_split.addWidget(self.columns_table)
        columns_split.addWidget(self.column_panel)
        columns_split.setSizes([700, 300])

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._group("Preview (first rows)", self.preview))
        splitter.addWidget(self._group("Columns (select one to see its values)", columns_split))
        splitter.setSizes([170, 430])  # the columns (roles, types, summaries) matter more than the raw rows

        self.missing_combo = QComboBox()
        self.missing_combo.addItem("Drop rows with a missing value", MissingStrategy.DROP_ROWS)
        self.missing_combo.addItem("Fill: mean (numeric), most frequent (categorical)", MissingStrategy.FILL)
        self.scaling_combo = QComboBox()
        self.scaling_combo.addItem("Standardize numeric features (mean 0, std 1)", Scaling.STANDARD)
        self.scaling_combo.addItem("Leave numeric features as they are", Scaling.NONE)
        prep = QFormLayout()
        prep.addRow("Missing values:", self.missing_combo)
        prep.addRow("Scaling:", self.scaling_combo)

        self.validation_spin = self._percent(20)
        self.test_spin = self._percent(0)
        self.seed_spin = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.stratify_check = QCheckBox("Stratify by class")
        self.stratify_check.setChecked(True)
        self.shuffle_check = QCheckBox("Shuffle rows (off: keep file order, e.g. a time series)")
        self.shuffle_check.setChecked(True)
        split = QFormLayout()
        split.addRow("Validation:", self.validation_spin)
        split.addRow("Test (held out):", self.test_spin)
        split.addRow("Seed:", self.seed_spin)
        split.addRow(self.stratify_check)
        split.addRow(self.shuffle_check)
        options = QHBoxLayout()
        options.addWidget(self._group("Preprocessing", prep), 1)
        options.addWidget(self._group("Split", split), 1)
        self.samples = SamplesPanel()
        self.samples.windows_toggled.connect(self._windows_toggled)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Import")
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(file_row)
        layout.addLayout(dialect_row)
        layout.addLayout(target_row)
        layout.addWidget(splitter, 1)
        layout.addLayout(options)
        layout.addWidget(self.samples)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    @staticmethod
    def _group(title: str, content) -> QGroupBox:
        box = QGroupBox(title)
        lay = QVBoxLayout(box) if isinstance(content, QWidget) else None
        if lay is not None:
            lay.addWidget(content)
        else:
            box.setLayout(content)
        return box

    @staticmethod
    def _percent(value: int) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(minimum=0, maximum=90, decimals=0, suffix=" %", singleStep=5)
        spin.setValue(value)
        return spin

    # -- loading -------------------------------------------------------------------------------
    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open CSV file", os.path.dirname(self.path_edit.text()),
                                              "CSV files (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.load_file(path)

    def load_file(self, path: str, dialect: CsvDialect | None = None) -> None:
        """Read `path` in the background (dialect detected unless given); `loaded` or `failed` follows."""
        if self._initial_spec is not None and not _same_file(self._initial_spec.path, str(path)):
            self._initial_spec = None  # another file: its columns get fresh proposals, not the old file's roles
        self.path_edit.setText(str(path))
        self._set_busy("Reading " + os.path.basename(str(path)) + "…")
        self._when_done = self._on_loaded
        self._threshold = Preferences.load(QSettings()).stream_threshold
        preview = PREVIEW_ROWS if should_stream(path, self._threshold) else None  # read in chunks on Import
        self._previewed = preview is not None

        def work(progress):
            table = read_csv(path, dialect, progress=lambda f: progress(0.9 * f), max_rows=preview)
            summaries = summarize_table(table)  # also off the GUI thread
            progress(1.0)
            return table, summaries

        self._task.start(work)

    def _reload_with_dialect(self) -> None:
        if self.table is None:
            return
        d = replace(self.table.dialect, encoding=self.encoding_combo.currentText(),
                    delimiter=self.delimiter_combo.currentData(), has_header=self.header_check.isChecked(),
                    skip_lines=self.skip_spin.value())
        if d == self.table.dialect:
            return
        self._initial_spec = None
        self.load_file(self.path_edit.text(), d)

    def _on_task_done(self, result) -> None:
        self._when_done(result)

    def _set_busy(self, text: str) -> None:
        self.ok_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.message.setStyleSheet("")
        self.message.setText(text)

    def _on_progress(self, fraction: float) -> None:
        self.progress.setValue(int(fraction * 1000))

    def _on_failed(self, message: str) -> None:
        self.progress.setVisible(False)
        if not message:
            return  # cancelled
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText(message)
        self.ok_button.setEnabled(self.table is not None and self.prepared is None)
        self.failed.emit(message)

    def _on_loaded(self, loaded) -> None:
        table, self.summaries = loaded
        self.progress.setVisible(False)
        self.table = table
        self.prepared = None
        d = table.dialect
        self.delimiter_combo.setCurrentIndex(max(0, self.delimiter_combo.findData(d.delimiter)))
        if self.encoding_combo.findText(d.encoding) < 0:
            self.encoding_combo.addItem(d.encoding)
        self.encoding_combo.setCurrentText(d.encoding)
        self.header_check.setChecked(d.has_header)
        self.skip_spin.setValue(d.skip_lines)
        self.preview_model.set_table(table)
        spec = self._initial_spec
        if spec is None or {c.name for c in spec.columns} != set(table.names):
            spec = DataSpec.from_table(table, self.summaries, sequence_model=self._sequence_model)
        self._show_spec(spec)
        self.message.setStyleSheet("")
        rows = f"{table.n_rows} rows" if not self.only_preview else \
            f"A large file, read in chunks on Import: its first {table.n_rows} rows are shown"
        self.message.setText(f"{rows}, {len(table.names)} columns. Check the target and each column's role, then "
                             "Import.")
        self.ok_button.setEnabled(True)
        self.loaded.emit()

    # -- the columns ---------------------------------------------------------------------------
    def _show_spec(self, spec: DataSpec) -> None:
        t = self.columns_table
        t.setRowCount(len(self.summaries))
        by_name = {c.name: c for c in spec.columns}
        for row, s in enumerate(self.summaries):
            col = by_name.get(s.name)
            t.setItem(row, NAME, self._item(s.name))
            summary = s.describe()
            n_numbers = s.n_values - s.n_missing - s.non_numeric
            if s.non_numeric and n_numbers:  # numbers with some words among them: show where
                line = self.table.line_numbers[s.first_non_numeric[0]]
                summary += (f"; {n_numbers} numbers and {s.non_numeric} other values (first at line {line}: "
                            f"{s.first_non_numeric[1]!r})")
            reason = ignore_reason(s)
            if reason and (col is None or col.role == ColumnRole.IGNORE):
                summary += f" — ignored: {reason}"
            t.setItem(row, SUMMARY, self._item(summary))
            t.setCellWidget(row, TYPE, self._combo([(k, k.value) for k in ColumnType],
                                                   col.type if col else s.inferred_type))
            t.setCellWidget(row, ROLE, self._combo([(r, r.value) for r in ColumnRole],
                                                   col.role if col else ColumnRole.IGNORE))
            t.setCellWidget(row, MISSING, self._combo(COLUMN_MISSING, col.missing if col else None))
            if reason:
                self.role_combo(s.name).setToolTip(f"Proposed to ignore: {reason}")
            self.role_combo(s.name).currentIndexChanged.connect(lambda _=0, r=row: self._role_changed(r))
            for combo in (self.role_combo(s.name), self.type_combo(s.name)):
                combo.currentIndexChanged.connect(self._columns_changed)
        t.resizeColumnsToContents()
        t.horizontalHeader().setSectionResizeMode(SUMMARY, QHeaderView.ResizeMode.Stretch)
        self.missing_combo.setCurrentIndex(max(0, self.missing_combo.findData(spec.missing)))
        self.scaling_combo.setCurrentIndex(max(0, self.scaling_combo.findData(spec.scaling)))
        self.validation_spin.setValue(round(spec.split.validation_fraction * 100))
        self.test_spin.setValue(round(spec.split.test_fraction * 100))
        self.seed_spin.setValue(spec.split.seed)
        self.stratify_check.setChecked(spec.split.stratify)
        self.shuffle_check.setChecked(spec.split.shuffle)
        self._target_encoding = spec.target_encoding
        self._target_scaling = spec.target_scaling
        self.samples.show_spec(spec, self.table)
        self._sync_target_combo()
        t.selectRow(next((i for i, s in enumerate(self.summaries) if s.name == getattr(spec.target, "name", None)),
                         0))

    @staticmethod
    def _item(text: str) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        return item

    @staticmethod
    def _combo(choices, current) -> QComboBox:
        combo = QComboBox()
        for value, label in choices:
            combo.addItem(label, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        return combo

    def _row(self, name: str) -> int:
        return [s.name for s in self.summaries].index(name)

    def type_combo(self, name: str) -> QComboBox:
        return self.columns_table.cellWidget(self._row(name), TYPE)

    def role_combo(self, name: str) -> QComboBox:
        return self.columns_table.cellWidget(self._row(name), ROLE)

    def missing_combo_for(self, name: str) -> QComboBox:
        return self.columns_table.cellWidget(self._row(name), MISSING)

    def _role_changed(self, row: int) -> None:
        """One target at a time (for a model with one output): choosing a new target makes the old one a feature;
        class labels suggested."""
        name = self.summaries[row].name
        self._sync_target_combo()
        if self.role_combo(name).currentData() != ColumnRole.TARGET:
            return
        for s in self.summaries if self._outputs <= 1 else []:
            combo = self.role_combo(s.name)
            if s.name != name and combo.currentData() == ColumnRole.TARGET:
                combo.setCurrentIndex(combo.findData(ColumnRole.FEATURE))
        if looks_like_class_labels(self.summaries[row]):
            combo = self.type_combo(name)
            combo.setCurrentIndex(combo.findData(ColumnType.CATEGORICAL))

    def _sync_target_combo(self) -> None:
        """The target combo shows the first column whose role is target (or none)."""
        names = [s.name for s in self.summaries]
        targets = [n for n in names if self.role_combo(n).currentData() == ColumnRole.TARGET]
        combo = self.target_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("(none chosen)", None)
        for n in names:
            combo.addItem(n, n)
        combo.setCurrentIndex(max(0, combo.findData(targets[0] if targets else None)))
        combo.blockSignals(False)
        self.target_note.setText(f"and {', '.join(targets[1:])}" if len(targets) > 1 else "")

    def _target_chosen(self) -> None:
        """The target combo sets that column's role to target (the old target becomes a feature)."""
        name = self.target_combo.currentData()
        if name is None:
            for s in self.summaries:
                combo = self.role_combo(s.name)
                if combo.currentData() == ColumnRole.TARGET:
                    combo.setCurrentIndex(combo.findData(ColumnRole.FEATURE))
            return
        combo = self.role_combo(name)
        combo.setCurrentIndex(combo.findData(ColumnRole.TARGET))
        self.columns_table.selectRow(self._row(name))

    def _show_column(self, row: int) -> None:
        """The side panel shows the selected column as the type chosen for it."""
        if not (0 <= row < len(self.summaries)) or self.table is None:
            self.column_panel.clear()
            return
        s = self.summaries[row]
        kind = ColumnType(self.type_combo(s.name).currentData())
        if kind not in (ColumnType.NUMERIC, ColumnType.CATEGORICAL, ColumnType.DATETIME, ColumnType.TEXT):
            kind = ColumnType.CATEGORICAL
        profile = column_profile(self.table.column_data(s.name), s, self.table.dialect.decimal, kind=kind)
        self.column_panel.show_profile(s.name, profile, ignore_reason(s))

    def current_spec(self) -> DataSpec:
        """The DataSpec the widgets show now."""
        from studio.data import ColumnSpec, SplitSpec

        # Qt hands enum members back as plain strings: turn them into the enums again.
        columns = []
        for s in self.summaries:
            missing = self.missing_combo_for(s.name).currentData()
            columns.append(ColumnSpec(name=s.name, type=ColumnType(self.type_combo(s.name).currentData()),
                                      role=ColumnRole(self.role_combo(s.name).currentData()),
                                      missing=MissingStrategy(missing) if missing else None))
        split = SplitSpec(validation_fraction=self.validation_spin.value() / 100,
                          test_fraction=self.test_spin.value() / 100, seed=self.seed_spin.value(),
                          stratify=self.stratify_check.isChecked(), shuffle=self.shuffle_check.isChecked())
        spec = DataSpec(path=self.table.path, columns=columns, dialect=self.table.dialect,
                        missing=MissingStrategy(self.missing_combo.currentData()),
                        scaling=Scaling(self.scaling_combo.currentData()),
                        target_encoding=self._target_encoding, target_scaling=self._target_scaling, split=split)
        self.samples.apply(spec)
        return spec

    def _columns_changed(self) -> None:
        """A type or role changed: an image-file feature switches images on; the previews follow."""
        spec = self.current_spec()
        if any(c.type == ColumnType.IMAGE and c.role == ColumnRole.FEATURE for c in spec.columns):
            self.samples.image_box.setChecked(True)
        self.samples.set_columns(spec)
        self._show_column(self.columns_table.currentRow())

    def _windows_toggled(self, on: bool) -> None:
        """Windows are split in time order: no shuffling, no stratifying."""
        if on:
            self.shuffle_check.setChecked(False)
            self.stratify_check.setChecked(False)

    @property
    def only_preview(self) -> bool:
        """The shown table is the first rows of a file above the streaming size (Import reads it in chunks)."""
        return self._previewed and self.table is not None and self.table.n_rows >= PREVIEW_ROWS

    # -- accepting -----------------------------------------------------------------------------
    def accept(self) -> None:
        """Check the choices and prepare the arrays in the background; the dialog closes when they are ready."""
        if self.table is None:
            return
        try:
            spec = self.current_spec()
            spec.validate()
        except ValueError as e:
            self._on_failed(str(e))
            return
        self._set_busy("Preparing the data…")
        table = self.table
        self._when_done = lambda prepared: self._on_prepared(spec, prepared)
        if self.only_preview:
            self._task.start(lambda progress: prepare_file(spec, progress=progress, threshold=self._threshold))
        else:
            self._task.start(lambda progress: prepare(spec, table, progress=progress))

    def _on_prepared(self, spec: DataSpec, prepared) -> None:
        self.progress.setVisible(False)
        self.spec, self.prepared = spec, prepared
        self.message.setText(prepared.summary())
        super().accept()

    def reject(self) -> None:
        self._task.cancel()
        super().reject()

    def done(self, result: int) -> None:
        self._task.cancel()
        super().done(result)


def _same_file(a: str, b: str) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)
