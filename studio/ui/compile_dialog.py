"""The compile dialog: a loss that fits the target, an optimizer with its hyperparameters, metrics as checkboxes.

`CompileDialog(task, n_classes, settings)`; after `exec()`, `settings()` is the JSON-able compile settings dict
(see `studio.training.compile_settings`) and `compile_args()` the arguments of `model.compile`. For a model with
several outputs, `outputs` lists them (`OutputTask`): each gets its loss, metrics and loss weight.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from studio.training import compile_settings as cs

TASK_WORDS = {"binary": "two classes", "multiclass": "{n} classes", "regression": "a number (regression)"}


@dataclass(frozen=True)
class OutputTask:
    """One model output as the compile dialog shows it: its name, its target's task and classes, the target."""

    name: str
    task: str
    n_classes: int = 0
    target: str = ""

    def words(self) -> str:
        return TASK_WORDS[self.task].format(n=self.n_classes)


class OutputSettings(QWidget):
    """Loss, metrics (and, among several outputs, the loss weight) of one output."""

    def __init__(self, output: OutputTask, initial: dict, weighted: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.output = output
        self.loss_combo = QComboBox()
        for choice in cs.losses_for(output.task):
            self.loss_combo.addItem(choice.label, choice.name)
        self.loss_combo.setCurrentIndex(max(0, self.loss_combo.findData(initial.get("loss"))))
        self.hint = QLabel()
        self.loss_combo.currentIndexChanged.connect(self._update_hint)
        self.weight_edit = QLineEdit(f"{float(initial.get('loss_weight', 1.0)):g}") if weighted else None
        self.metric_checks: dict[str, QCheckBox] = {}
        self.metrics_box = QGroupBox("Metrics")
        metrics_layout = QHBoxLayout(self.metrics_box) if weighted else QVBoxLayout(self.metrics_box)
        for choice in cs.metrics_for(output.task, output.n_classes):
            check = QCheckBox(choice.label)
            check.setChecked(choice.name in initial.get("metrics", []))
            self.metric_checks[choice.name] = check
            metrics_layout.addWidget(check)
        if weighted:
            metrics_layout.addStretch(1)
        self.form = QFormLayout()
        self.form.addRow("Loss:", self.loss_combo)
        self.form.addRow("", self.hint)
        if self.weight_edit is not None:
            self.weight_edit.setToolTip("How much this output's loss counts in the total loss that training lowers.")
            self.form.addRow("Loss weight:", self.weight_edit)
        self._update_hint()

    def _update_hint(self) -> None:
        units, activation = self.output_layer()
        name = f"layer '{self.output.name}' " if self.weight_edit is not None else "last layer "
        self.hint.setText(f"The {name}should be Dense({units}, activation='{activation}').")

    def output_layer(self) -> tuple[int, str]:
        return cs.output_layer_for(self.output.task, self.output.n_classes, self.loss_combo.currentData())

    def settings(self) -> dict:
        out = {"loss": self.loss_combo.currentData(),
               "metrics": [name for name, check in self.metric_checks.items() if check.isChecked()]}
        if self.weight_edit is not None:
            try:
                weight = float(self.weight_edit.text())
            except ValueError:
                raise ValueError(f"Output '{self.output.name}': the loss weight must be a number, not "
                                 f"{self.weight_edit.text()!r}.") from None
            if weight < 0:
                raise ValueError(f"Output '{self.output.name}': the loss weight must be 0 or more, not {weight:g}.")
            out["loss_weight"] = weight
        return out


class CompileDialog(QDialog):
    """One loss and set of metrics per output (`outputs`, for a model with several), one optimizer."""

    def __init__(self, task: str, n_classes: int = 0, settings: dict | None = None, parent: QWidget | None = None,
                 outputs: list[OutputTask] | None = None):
        super().__init__(parent)
        self.setWindowTitle("Compile the model")
        self.outputs = list(outputs) if outputs and len(outputs) > 1 else [OutputTask("", task, n_classes)]
        self.task = self.outputs[0].task
        self.n_classes = self.outputs[0].n_classes
        self._hyper_edits: dict[str, QWidget] = {}
        tasks = {o.name: o.task for o in self.outputs} if self.several else task
        initial = settings if settings is not None and self._fits(settings, tasks) else cs.default_settings(tasks)
        self._build(initial)

    @property
    def several(self) -> bool:
        return len(self.outputs) > 1

    @staticmethod
    def _fits(settings: dict, tasks) -> bool:
        try:
            cs.check_settings(settings, tasks)
        except (KeyError, TypeError, ValueError):
            return False
        return True

    def _build(self, initial: dict) -> None:
        if self.several:
            intro = QLabel(f"The model has {len(self.outputs)} outputs: " + "; ".join(
                f"'{o.name}' learns {o.target} ({o.words()})" for o in self.outputs) +
                ". Each has its own loss and metrics; training lowers the weighted sum of the losses.")
            per_output = initial.get("outputs") or {}
            self.output_settings = [OutputSettings(o, per_output.get(o.name, {}), True) for o in self.outputs]
        else:
            intro = QLabel(f"The target holds {self.outputs[0].words()}. Proposed: "
                           f"{cs.loss_choice(cs.DEFAULT_LOSS[self.task]).label.lower()} with "
                           f"{', '.join(cs.DEFAULT_METRICS[self.task])}.")
            self.output_settings = [OutputSettings(self.outputs[0], initial, False)]
        intro.setWordWrap(True)
        first = self.output_settings[0]
        self.loss_combo, self.output_hint, self._metric_checks = first.loss_combo, first.hint, first.metric_checks

        self.optimizer_combo = QComboBox()
        for name, label in cs.OPTIMIZERS.items():
            self.optimizer_combo.addItem(label, name)
        optimizer = initial.get("optimizer", {})
        self.optimizer_combo.setCurrentIndex(max(0, self.optimizer_combo.findData(optimizer.get("name", "adam"))))
        self.hyper_form = QFormLayout()
        self.hyper_box = QGroupBox("Optimizer hyperparameters")
        self.hyper_box.setLayout(self.hyper_form)
        self.optimizer_combo.currentIndexChanged.connect(lambda _: self._show_hyperparameters({}))

        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        if self.several:
            form = QFormLayout()
            form.addRow("Optimizer:", self.optimizer_combo)
            layout.addLayout(form)
            layout.addWidget(self.hyper_box)
            for panel in self.output_settings:
                box = QGroupBox(f"Output '{panel.output.name}' → {panel.output.target} ({panel.output.words()})")
                box_layout = QVBoxLayout(box)
                box_layout.addLayout(panel.form)
                box_layout.addWidget(panel.metrics_box)
                layout.addWidget(box)
        else:
            form = first.form
            form.addRow("Optimizer:", self.optimizer_combo)
            layout.addLayout(form)
            layout.addWidget(self.hyper_box)
            layout.addWidget(first.metrics_box)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self._show_hyperparameters(optimizer.get("config", {}))

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

    def metric_check(self, name: str, output: str | None = None) -> QCheckBox:
        """The checkbox of metric `name` (of output `output` when there are several)."""
        return self.output_panel(output).metric_checks[name]

    def output_panel(self, output: str | None = None) -> OutputSettings:
        """The loss and metrics widgets of output `output` (the first when None)."""
        if output is None:
            return self.output_settings[0]
        return next(p for p in self.output_settings if p.output.name == output)

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
        per_output = {p.output.name: p.settings() for p in self.output_settings}
        first = per_output[self.outputs[0].name]
        settings = {"optimizer": {"name": self.optimizer_combo.currentData(), "config": config},
                    "loss": first["loss"], "metrics": first["metrics"]}
        if self.several:
            settings["outputs"] = per_output
        return settings

    def compile_args(self) -> dict:
        """`optimizer`, `loss` and `metrics` for `model.compile(**args)`."""
        return cs.build_compile_args(self.settings())

    def output_layer(self) -> tuple[int, str]:
        return self.output_settings[0].output_layer()

    def output_layers(self) -> dict[str, tuple[int, str]]:
        """Output name -> (units, activation) its last Dense layer should have for its loss."""
        return {p.output.name: p.output_layer() for p in self.output_settings}

    def accept(self) -> None:
        try:
            settings = self.settings()
            cs.check_settings(settings, {o.name: o.task for o in self.outputs} if self.several else self.task)
        except ValueError as e:
            self.error_label.setText(str(e))
            return
        super().accept()
