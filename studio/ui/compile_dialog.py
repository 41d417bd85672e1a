"""The compile dialog: a loss that fits the target, an optimizer with its hyperparameters, metrics as checkboxes.

`CompileDialog(task, n_classes, settings)`; after `exec()`, `settings()` is the JSON-able compile settings dict
(see `studio.training.compile_settings`) and `compile_args()` the arguments of `model.compile`.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from studio.training import compile_settings as cs

TASK_WORDS = {"binary": "two classes", "multiclass": "{n} classes", "regression": "a number (regression)"}


class CompileDialog(QDialog):
    def __init__(self, task: str, n_classes: int = 0, settings: dict | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Compile the model")
        self.task = task
        self.n_classes = n_classes
        self._hyper_edits: dict[str, QWidget] = {}
        self._metric_checks: dict[str, QCheckBox] = {}
        initial = settings if settings is not None else cs.default_settings(task)
        self._build(initial)

    def _build(self, initial: dict) -> None:
        words = TASK_WORDS[self.task].format(n=self.n_classes)
        intro = QLabel(f"The target holds {words}. Proposed: "
                       f"{cs.loss_choice(cs.DEFAULT_LOSS[self.task]).label.lower()} with "
                       f"{', '.join(cs.DEFAULT_METRICS[self.task])}.")
        intro.setWordWrap(True)

        self.loss_combo = QComboBox()
        for choice in cs.losses_for(self.task):
            self.loss_combo.addItem(choice.label, choice.name)
        self.loss_combo.setCurrentIndex(max(0, self.loss_combo.findData(initial.get("loss"))))
        self.output_hint = QLabel()
        self.loss_combo.currentIndexChanged.connect(self._update_hint)

        self.optimizer_combo = QComboBox()
        for name, label in cs.OPTIMIZERS.items():
            self.optimizer_combo.addItem(label, name)
        optimizer = initial.get("optimizer", {})
        self.optimizer_combo.setCurrentIndex(max(0, self.optimizer_combo.findData(optimizer.get("name", "adam"))))
        self.hyper_form = QFormLayout()
        self.hyper_box = QGroupBox("Optimizer hyperparameters")
        self.hyper_box.setLayout(self.hyper_form)
        self.optimizer_combo.currentIndexChanged.connect(lambda _: self._show_hyperparameters({}))

        metrics_box = QGroupBox("Metrics")
        metrics_layout = QVBoxLayout(metrics_box)
        for choice in cs.metrics_for(self.task, self.n_classes):
            check = QCheckBox(choice.label)
            check.setChecked(choice.name in initial.get("metrics", []))
            self._metric_checks[choice.name] = check
            metrics_layout.addWidget(check)

        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)

        form = QFormLayout()
        form.addRow("Loss:", self.loss_combo)
        form.addRow("", self.output_hint)
        form.addRow("Optimizer:", self.optimizer_combo)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.hyper_box)
        layout.addWidget(metrics_box)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self._show_hyperparameters(optimizer.get("config", {}))
        self._update_hint()

    def _update_hint(self) -> None:
        units, activation = self.output_layer()
        self.output_hint.setText(f"The last layer should be Dense({units}, activation='{activation}').")

    def _show_hyperparameters(self, values: dict) -> None:
        while self.hyper_form.rowCount():
            self.hyper_form.removeRow(0)
        self._hyper_edits = {}
        for name, default in cs.hyperparameters(self.optimizer_combo.currentData()).items():
            value = values.get(name, default)
            if isinstance(default, bool):
                edit = QCheckBox()
                edit.setChecked(bool(value))
            else:
                edit = QLineEdit(f"{value:g}")
            self._hyper_edits[name] = edit
            self.hyper_form.addRow(name.replace("_", " ").capitalize() + ":", edit)

    # -- results -------------------------------------------------------------------------------
    def hyperparameter_edit(self, name: str) -> QWidget:
        return self._hyper_edits[name]

    def metric_check(self, name: str) -> QCheckBox:
        return self._metric_checks[name]

    def settings(self) -> dict:
        """The compile settings the widgets show; ValueError naming a hyperparameter that is not a number."""
        config = {}
        for name, edit in self._hyper_edits.items():
            if isinstance(edit, QCheckBox):
                config[name] = edit.isChecked()
                continue
            try:
                value = float(edit.text())
            except ValueError:
                raise ValueError(f"{name.replace('_', ' ').capitalize()} must be a number, not "
                                 f"{edit.text()!r}.") from None
            if name == "learning_rate" and value <= 0:
                raise ValueError(f"Learning rate must be above 0, not {edit.text()}.")
            config[name] = value
        return {"optimizer": {"name": self.optimizer_combo.currentData(), "config": config},
                "loss": self.loss_combo.currentData(),
                "metrics": [name for name, check in self._metric_checks.items() if check.isChecked()]}

    def compile_args(self) -> dict:
        """`optimizer`, `loss` and `metrics` for `model.compile(**args)`."""
        return cs.build_compile_args(self.settings())

    def output_layer(self) -> tuple[int, str]:
        return cs.output_layer_for(self.task, self.n_classes, self.loss_combo.currentData())

    def accept(self) -> None:
        try:
            settings = self.settings()
            cs.check_settings(settings, self.task)
        except ValueError as e:
            self.error_label.setText(str(e))
            return
        super().accept()
