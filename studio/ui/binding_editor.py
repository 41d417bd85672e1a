"""The data part of the property editor: the columns an Input node takes (ticked), the target an output node learns
(chosen), and what is wrong with the binding. Each change is one undo step (`DataBindings.bind_*`)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio.document.graph import LayerNode
from studio.ui.data_binding import DataBindings

NO_TARGET = "(none)"


class BindingEditor(QGroupBox):
    """Shown for Input nodes and model outputs once the project has data; hidden otherwise."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Data", parent)
        self.model: DataBindings | None = None
        self.node: LayerNode | None = None
        self.column_checks: dict[str, QCheckBox] = {}
        self.target_combo: QComboBox | None = None
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #555;")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #d93025;")
        self.body = QWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.body)
        layout.addWidget(self.caption)
        layout.addWidget(self.problem)
        self.hide()

    def set_model(self, model: DataBindings) -> None:
        if self.model is not None:
            self.model.changed.disconnect(self.refresh)
        self.model = model
        model.changed.connect(self.refresh)
        self.refresh()

    def show_node(self, node: LayerNode | None) -> None:
        self.node = node
        self.refresh()

    # -- showing --------------------------------------------------------------------------------
    def refresh(self) -> None:
        node, model = self.node, self.model
        graph = model.project.graph if model is not None and model.project is not None else None
        wanted = node is not None and graph is not None and model.has_data and node.id in graph.nodes and \
            (node.type == "Input" or node.id in graph.model_outputs())
        self.setVisible(bool(wanted))
        if not wanted:
            return
        self._rebuild_body()
        self.caption.setText(model.caption(node.name) or "")
        problem = model.problem(node.name)
        self.problem.setText(f"⚠ {problem}" if problem else "")
        self.problem.setVisible(bool(problem))

    def _rebuild_body(self) -> None:
        old = self.body
        self.body = QWidget()
        self.layout().replaceWidget(old, self.body)
        old.deleteLater()
        self.column_checks, self.target_combo = {}, None
        if self.node.type == "Input":
            self._input_body()
        else:
            self._output_body()
        self.body.show()

    def _input_body(self) -> None:
        self.setTitle("Data: the columns this Input takes")
        outer = QVBoxLayout(self.body)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()  # a wide table stays a short list: the layer's settings remain in view
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setMaximumHeight(190)
        host = QWidget()
        column_list = QVBoxLayout(host)
        column_list.setContentsMargins(0, 0, 0, 0)
        column_list.setSpacing(2)
        chosen = set(self.model.columns_of(self.node.name))
        owners = self.model.owners()
        for name, kind in self.model.feature_columns():
            others = [o for o in owners.get(name, []) if o != self.node.name]
            check = QCheckBox(name + (f"  — in {', '.join(others)}" if others else ""))
            check.setToolTip(f"{name}: {kind}" + (f"; also bound to {', '.join(others)}" if others else ""))
            check.setChecked(name in chosen)
            check.toggled.connect(lambda _=False, column=name: self._toggled(column))
            self.column_checks[name] = check
            column_list.addWidget(check)
        scroll.setWidget(host)
        outer.addWidget(scroll)

    def _output_body(self) -> None:
        self.setTitle("Data: the target this output learns")
        form = QFormLayout(self.body)
        form.setContentsMargins(0, 0, 0, 0)
        self.target_combo = QComboBox()
        self.target_combo.addItem(NO_TARGET, None)
        for name, words in self.model.target_columns():
            self.target_combo.addItem(f"{name} ({words})", name)
        current = self.model.target_of(self.node.name)
        self.target_combo.setCurrentIndex(max(0, self.target_combo.findData(current)))
        self.target_combo.currentIndexChanged.connect(self._target_chosen)
        form.addRow("Learns:", self.target_combo)

    # -- editing --------------------------------------------------------------------------------
    def column_check(self, column: str) -> QCheckBox:
        return self.column_checks[column]

    def _toggled(self, column: str) -> None:
        chosen = [name for name, check in self.column_checks.items() if check.isChecked()]
        self.model.bind_input(self.node.name, chosen)

    def _target_chosen(self, _index: int) -> None:
        self.model.bind_output(self.node.name, self.target_combo.currentData())
