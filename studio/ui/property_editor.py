"""The property editor: the selected layer's name and arguments, each change one undo command.

A value the engine refuses (units=0, a bad tuple, a taken name) is not applied: the reason is shown
in red under the form and the widget goes back to the node's current value.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QFormLayout, QLabel, QLayout, QLineEdit, QScrollArea, QVBoxLayout, QWidget

from studio.document.analysis import ModelAnalysis
from studio.document.catalog import CatalogError, layer_types, normalize_config
from studio.document.cost import format_count
from studio.document.graph import Graph, LayerNode
from studio.document.inference import format_shape
from studio.ui.binding_editor import BindingEditor
from studio.ui.commands import RenameCommand, SetConfigCommand
from studio.ui.editors import ArgumentEditor, make_editor


class PropertyEditor(QWidget):
    """Edits one node at a time (`show_node`)."""

    def __init__(self, undo_stack: QUndoStack, parent=None):
        super().__init__(parent)
        self.undo_stack = undo_stack
        self.graph: Graph | None = None
        self.analysis: ModelAnalysis | None = None
        self.node_id: str | None = None
        self.editors: dict[str, ArgumentEditor] = {}
        self.title = QLabel("No layer selected")
        self.title.setStyleSheet("font-weight: 600; font-size: 11pt;")
        self.summary = QLabel("Select a layer on the canvas to edit its settings.")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("color: #555;")
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d93025;")
        self.error.hide()
        self.name_edit = QLineEdit()
        self.name_edit.editingFinished.connect(self._rename)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignRight)
        self.form.setSizeConstraint(QLayout.SetMinimumSize)  # rows keep their height; the area scrolls
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(self.form_host)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        for widget in (self.title, self.summary, self.info, self.error):
            layout.addWidget(widget)
        self.name_row = QWidget()
        name_form = QFormLayout(self.name_row)
        name_form.setContentsMargins(0, 4, 0, 0)
        name_form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        name_form.addRow("name", self.name_edit)
        layout.addWidget(self.name_row)
        self.binding_editor = BindingEditor()
        layout.addWidget(self.binding_editor)
        layout.addWidget(scroll, 1)
        self._rebuild()

    def set_document(self, graph: Graph, analysis: ModelAnalysis) -> None:
        if self.graph is not None:
            self.graph.node_changed.disconnect(self._on_node_changed)
            self.graph.node_removed.disconnect(self._on_node_removed)
            self.analysis.updated.disconnect(self._on_analysis)
        self.graph, self.analysis = graph, analysis
        graph.node_changed.connect(self._on_node_changed)
        graph.node_removed.connect(self._on_node_removed)
        analysis.updated.connect(self._on_analysis)
        self.show_node(None)

    def set_bindings(self, bindings) -> None:
        """The project's `DataBindings`: an Input's columns and an output's target are edited here too."""
        self.binding_editor.set_model(bindings)

    # -- showing --------------------------------------------------------------------------------
    def show_node(self, node_id: str | None) -> None:
        self.node_id = node_id if self.graph is not None and node_id in self.graph.nodes else None
        self.error.hide()
        self._rebuild()
        self.binding_editor.show_node(self.node)

    @property
    def node(self) -> LayerNode | None:
        return self.graph.nodes.get(self.node_id) if self.graph and self.node_id else None

    def _rebuild(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors = {}
        node = self.node
        if node is None:
            self.title.setText("No layer selected")
            self.summary.setText("Select a layer on the canvas to edit its settings.")
            self.info.setText("")
            self.name_row.hide()
            return
        self.name_row.show()
        ltype = layer_types().get(node.type)
        self.title.setText(node.type)
        self.summary.setText(ltype.summary if ltype else "Not a layer of this engine.")
        self.name_edit.setText(node.name)
        if ltype is not None:
            for argument in ltype.arguments(node.config):
                editor = make_editor(argument)
                editor.set_value(node.config.get(argument.name, argument.default))
                editor.committed.connect(lambda name=argument.name: self._commit(name))
                editor.setToolTip(f"{argument.name} ({argument.kind})")
                self.form.addRow(argument.name, editor)
                self.editors[argument.name] = editor
        self._show_info()

    def _show_info(self) -> None:
        node = self.node
        report = self.analysis.current.reports.get(node.id) if node and self.analysis else None
        if report is None:
            self.info.setText("")
        elif report.error:
            self.info.setText(f"<span style='color:#d93025'>⚠ {report.error}</span>")
        elif report.blocked_by:
            self.info.setText(f"Waiting for '{report.blocked_by}', which has a problem.")
        else:
            inputs = ", ".join(format_shape(s) for s in report.input_shapes) or "—"
            self.info.setText(f"in {inputs} → out <b>{format_shape(report.output_shape)}</b><br>"
                              f"{format_count(report.params)} params · "
                              f"{format_count(report.multiply_adds)} multiply-adds per sample")

    def _refresh_values(self) -> None:
        node = self.node
        ltype = layer_types().get(node.type) if node else None
        if node is None or ltype is None:
            return
        names = [a.name for a in ltype.arguments(node.config)]
        if names != list(self.editors):
            QTimer.singleShot(0, self._rebuild)  # not from inside the signal of a widget being replaced
            return
        self.name_edit.setText(node.name)
        for argument in ltype.arguments(node.config):
            self.editors[argument.name].set_value(node.config.get(argument.name, argument.default))

    def _on_node_changed(self, node: LayerNode) -> None:
        if node.id == self.node_id:
            self._refresh_values()

    def _on_node_removed(self, node: LayerNode) -> None:
        if node.id == self.node_id:
            self.show_node(None)

    def _on_analysis(self, analysis) -> None:
        if self.node is not None:
            self._show_info()

    # -- editing --------------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        self.error.setText(f"⚠ {message}")
        self.error.show()

    def _commit(self, argument: str) -> None:
        node = self.node
        if node is None:
            return
        editor = self.editors[argument]
        try:
            value = editor.value()
            config = normalize_config(node.type, {**node.config, argument: value})
        except (ValueError, CatalogError) as err:
            self.show_error(f"{argument}: {err}")
            editor.set_value(node.config.get(argument))
            return
        self.error.hide()
        if config != node.config:
            self.undo_stack.push(SetConfigCommand(self.graph, node.id, config, argument))

    def _rename(self) -> None:
        node = self.node
        if node is None or self.name_edit.text() == node.name:
            return
        name = self.name_edit.text().strip()
        problem = self.graph.name_problem(name, node.id)
        if problem:
            self.show_error(f"name: {problem}")
            self.name_edit.setText(node.name)
            return
        self.error.hide()
        self.undo_stack.push(RenameCommand(self.graph, node.id, name))
