"""The main window: palette | canvas | properties and model summary, training and evaluation docked below,
menus, toolbar, status bar."""

from __future__ import annotations

import dataclasses
import json
import os

from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QUndoStack
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QMainWindow, QMessageBox

from studio.document import GraphError, ModelAnalysis, Project, ProjectFileError, new_node, save_project
from studio.document.clipboard import MIME_TYPE, copy_selection, paste_plan
from studio.document.examples import starter_project
from studio.document.graph import Wire
from studio.document.layout import layered_positions
from studio.project_file import open_project
from studio.ui.appearance import apply_theme, follow_system_changes
from studio.ui.canvas import CanvasView, GraphScene
from studio.ui.commands import (
    AddItemsCommand,
    AddWireCommand,
    MoveNodesCommand,
    RemoveItemsCommand,
    SetOutputsCommand,
)
from studio.ui.data_progress import DataProgress
from studio.ui.desktop import last_folder, open_dropped, remember_folder, restore_window_state, save_window_state
from studio.ui.exchange import install_exchange_actions
from studio.ui.network_check import NetworkCheck
from studio.ui.palette import Palette
from studio.ui.preferences import Preferences, PreferencesDialog
from studio.ui.property_editor import PropertyEditor
from studio.ui.recent_files import RecentFiles
from studio.ui.status_bar import ElidedLabel, MessageLog, StatusBar
from studio.ui.summary import ModelSummary, totals_text
from studio.ui.workflow import ModelWorkflow

FILE_FILTER = "LayerStudio projects (*.lsproj);;All files (*)"


class MainWindow(QMainWindow):
    """One window, one project at a time."""

    def __init__(self, settings: QSettings | None = None, project: Project | None = None):
        super().__init__()
        self.settings = settings or QSettings()
        self.preferences = Preferences.load(self.settings)
        self.preferences.apply_threads()
        apply_theme(self.preferences.theme)
        self.recent = RecentFiles(self.settings)
        self.undo_stack = QUndoStack(self)
        self.scene = GraphScene(self.undo_stack, self)
        self.view = CanvasView(self.scene)
        self.setCentralWidget(self.view)
        self.palette = Palette()
        self.properties = PropertyEditor(self.undo_stack)
        self.summary = ModelSummary()
        self.network_check = NetworkCheck()
        # The side columns run the full height (all of a layer's settings fit in the properties); the
        # training, summary and check panels share the space under the canvas as tabs.
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        left = self._dock("Layers", self.palette, Qt.LeftDockWidgetArea, 170)
        right = self._dock("Properties", self.properties, Qt.RightDockWidgetArea, 300)
        self.resizeDocks([left, right], [190, 360], Qt.Horizontal)
        self.workflow = ModelWorkflow(self)
        self.training_dock = self._dock("Training and evaluation", self.workflow.tabs, Qt.BottomDockWidgetArea, 400)
        self.scene.set_bindings(self.workflow.bindings)
        self.properties.set_bindings(self.workflow.bindings)
        summary = self._dock("Model summary", self.summary, Qt.BottomDockWidgetArea, 300)
        self.check_dock = self._dock("Network check", self.network_check, Qt.BottomDockWidgetArea, 300)
        self.tabifyDockWidget(self.training_dock, summary)
        self.tabifyDockWidget(summary, self.check_dock)
        self.training_dock.raise_()
        self.resizeDocks([self.training_dock], [280], Qt.Vertical)
        self.editing_locked = False
        self._shown_once = False
        self.setStatusBar(StatusBar())
        self.data_label = ElidedLabel("")
        self.totals_label = ElidedLabel("")
        self.data_progress = DataProgress()
        self.statusBar().addPermanentWidget(self.data_progress)
        self.statusBar().addPermanentWidget(self.data_label)
        self.statusBar().addPermanentWidget(self.totals_label)
        self.project: Project | None = None
        self.analysis: ModelAnalysis | None = None
        from studio.ui.actions import build_actions
        self.actions_by_name: dict[str, QAction] = build_actions(self)
        install_exchange_actions(self)
        self.view.layer_dropped.connect(self.add_layer)
        self.palette.layer_activated.connect(self.add_layer_after_selection)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.summary.node_clicked.connect(self.select_node)
        self.network_check.node_clicked.connect(self.select_node)
        self.undo_stack.cleanChanged.connect(self._update_title)
        self.workflow.project_changed.connect(self._update_title)
        self.workflow.state_changed.connect(self._update_workflow_actions)
        self.workflow.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.workflow.reading.connect(self.data_progress.show_reading)
        self.set_project(project or starter_project())
        self.resize(1400, 860)
        self.setAcceptDrops(True)
        self._layout_restored = restore_window_state(self, self.settings)
        follow_system_changes(self._system_theme_changed)

    def docks(self) -> list[QDockWidget]:
        return self.findChildren(QDockWidget)

    def edit_preferences(self) -> bool:
        """Edit > Preferences: apply and keep what the user chose; False when cancelled."""
        dialog = PreferencesDialog(self.preferences, self)
        try:
            if dialog.exec() != PreferencesDialog.Accepted:
                return False
            self.preferences = dialog.preferences()
        finally:
            dialog.deleteLater()
        self.preferences.save(self.settings)
        self.preferences.apply_threads()
        apply_theme(self.preferences.theme, self)
        return True

    def show_message_log(self) -> None:
        dialog = MessageLog(self.statusBar(), self)
        dialog.exec()
        dialog.deleteLater()

    def _system_theme_changed(self) -> None:
        if self.preferences.theme == "system":
            apply_theme("system", self)

    def _dock(self, title: str, widget, area, width: int) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                         | QDockWidget.DockWidgetClosable)
        widget.setMinimumWidth(width)
        self.addDockWidget(area, dock)
        return dock

    # -- the project ----------------------------------------------------------------------------
    def set_project(self, project: Project) -> None:
        """Show `project` (replacing the current one, whose undo history is dropped)."""
        if self.analysis is not None:
            self.analysis.detach()
            self.analysis.updated.disconnect(self._on_analysis)
        self.project = project
        self.analysis = ModelAnalysis(project.graph)
        self.undo_stack.clear()
        self.scene.set_document(project.graph, self.analysis)
        self.properties.set_document(project.graph, self.analysis)
        self.summary.set_document(self.analysis)
        self.analysis.updated.connect(self._on_analysis)
        self._on_analysis(self.analysis.current)
        self.workflow.attach(project)
        self._update_title()
        self.view.fit_all()

    @property
    def graph(self):
        return self.project.graph

    def _update_title(self, *_args) -> None:
        name = os.path.basename(self.project.path) if self.project and self.project.path else "Untitled"
        self.setWindowTitle(f"{name}[*] — LayerStudio")
        self.setWindowModified(self.is_modified())

    def is_modified(self) -> bool:
        """Unsaved edits of the graph, or of the data, compile or training settings, or new runs."""
        return not self.undo_stack.isClean() or self.workflow.is_modified()

    def mark_clean(self) -> None:
        """Forget the unsaved changes (after saving, or when the caller discards them)."""
        self.undo_stack.setClean()
        self.workflow.mark_saved()
        self._update_title()

    def _on_analysis(self, analysis) -> None:
        layers = sum(1 for n in self.graph.nodes.values() if n.type != "Input")
        self.totals_label.setText(totals_text(analysis, layers) + "  ")
        self.network_check.show_analysis(self.graph, analysis)
        problems = analysis.problems + [f"{self.graph.nodes[n].name}: {e}" for n, e in analysis.errors.items()]
        if problems:
            more = f" (+{len(problems) - 1} more in Network check)" if len(problems) > 1 else ""
            self.statusBar().showMessage(f"⚠ {problems[0]}{more}", 8000)
        elif self.statusBar().currentMessage().startswith("⚠"):
            self.statusBar().clearMessage()  # the problem it named is gone
        if self.workflow.session is not None:
            self.workflow.update_state()

    def _update_workflow_actions(self) -> None:
        from studio.ui.actions import update_workflow_actions
        update_workflow_actions(self)
        self.set_editing_locked(self.workflow.is_training)
        self.data_label.setText(self.workflow.describe() + "   ")
        self.data_label.setToolTip(self.workflow.data_summary())

    def set_editing_locked(self, locked: bool) -> None:
        """While training runs the graph cannot change: the canvas, palette and property editor are read-only."""
        if locked == self.editing_locked:
            return
        self.editing_locked = locked
        self.view.setInteractive(not locked)
        self.palette.setEnabled(not locked)
        self.properties.setEnabled(not locked)
        for name in ("delete", "cut", "paste", "arrange", "output"):
            self.actions_by_name[name].setEnabled(not locked)
        self.actions_by_name["undo"].setEnabled(not locked and self.undo_stack.canUndo())
        self.actions_by_name["redo"].setEnabled(not locked and self.undo_stack.canRedo())

    def _refuse_edit(self) -> bool:
        """True (with a status message) when the graph must not change now."""
        if self.editing_locked:
            self.statusBar().showMessage("The model cannot be edited while it trains: stop training first.", 8000)
        return self.editing_locked

    def maybe_save(self) -> bool:
        """Ask what to do with unsaved changes; False means the user cancelled."""
        if not self.is_modified():
            return True
        answer = QMessageBox.warning(self, "Unsaved changes", "The project has unsaved changes. Save them?",
                                     QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
                                     QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def new_project(self) -> None:
        if self.workflow.stop_training("to start a new project") and self.maybe_save():
            self.set_project(starter_project(blank=True))

    def open_project(self, path: str | None = None) -> bool:
        if not self.workflow.stop_training("to open another project") or not self.maybe_save():
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open project", self.dialog_folder(), FILE_FILTER)
            if not path:
                return False
        return self.load(path)

    def open_example(self, key: str) -> bool:
        """Open an example project as a template: Save asks where to keep the copy."""
        from studio.document.examples import EXAMPLES, load_example
        if not self.workflow.stop_training("to open the example") or not self.maybe_save():
            return False
        try:
            project = load_example(key)
        except ProjectFileError as err:
            QMessageBox.critical(self, "Cannot open the example", str(err))
            return False
        self.set_project(project)
        self.statusBar().showMessage(f"Opened the example {EXAMPLES[key][0]}. {self.workflow.notes}".strip(), 10000)
        return True

    def load(self, path: str) -> bool:
        """Load `path`; on failure show why and keep the current project as it is."""
        try:
            project = open_project(path)
        except ProjectFileError as err:
            QMessageBox.critical(self, "Cannot open project", str(err))
            if not os.path.exists(path):
                self.recent.remove(path)
                self._refresh_recent_menu()
            return False
        if not self._show_opened(project):
            return False
        self.recent.add(path)
        remember_folder(self.settings, path)
        self._refresh_recent_menu()
        self.statusBar().showMessage(f"Opened {path}. {self.workflow.notes}".strip(), 10000)
        return True

    def _show_opened(self, project: Project) -> bool:
        """Show a project just read; report the runs it left out. Should showing it fail all the same, the
        current project comes back (its unsaved changes still marked unsaved) and the error is shown."""
        previous, modified = self.project, self.is_modified()
        try:
            self.set_project(project)
        except Exception as err:  # a project the checks let through but the window cannot show: keep ours
            self.set_project(previous)
            if modified:
                self.undo_stack.resetClean()
                self._update_title()
            QMessageBox.critical(self, "Cannot open project", f"{project.path}: {type(err).__name__}: {err}")
            return False
        if project.problems:
            QMessageBox.warning(self, "Parts of the project were left out",
                                "The project opened, but:\n\n" + "\n\n".join(project.problems))
        return True

    def save(self) -> bool:
        if self.project.path is None:
            return self.save_as()
        return self._write(self.project.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save project as", self.dialog_folder(), FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".lsproj"):
            path += ".lsproj"
        return self._write(path)

    def _write(self, path: str) -> bool:
        if not self.workflow.idle:
            self.statusBar().showMessage("Save when training has ended: the run is not complete yet.", 8000)
            return False
        self.workflow.store_training_settings()
        data = self.workflow.data_for_file(path)  # the CSV path relative to the new file's folder
        try:
            save_project(dataclasses.replace(self.project, data=data), path)
        except ProjectFileError as err:
            QMessageBox.critical(self, "Cannot save project", str(err))
            return False
        self.project.data, self.project.path = data, path
        self.mark_clean()
        self.recent.add(path)
        remember_folder(self.settings, path)
        self._refresh_recent_menu()
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def dialog_folder(self) -> str:
        """Where file dialogs start: the project's folder, else the last folder used."""
        if self.project and self.project.path:
            return os.path.dirname(self.project.path)
        return last_folder(self.settings)

    def _refresh_recent_menu(self) -> None:
        from studio.ui.actions import fill_recent_menu
        fill_recent_menu(self)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown_once:  # the docks have their sizes only now: show the whole model
            self._shown_once = True
            if not self._layout_restored:  # the canvas keeps most of the height
                self.resizeDocks([self.training_dock], [max(250, int(self.height() * 0.4))], Qt.Vertical)
            self.view.fit_all()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.workflow.stop_training("and close LayerStudio") and self.maybe_save():
            self.exporter.wait()
            self.workflow.shutdown()
            save_window_state(self, self.settings)
            event.accept()
        else:
            event.ignore()

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        """A project, CSV or Keras file dropped on the window opens or imports it."""
        event.acceptProposedAction()
        open_dropped(self, event.mimeData().urls())

    # -- editing --------------------------------------------------------------------------------
    def add_layer(self, type_name: str, scene_pos: QPointF) -> str | None:
        """Add a layer of `type_name` centred at `scene_pos` (a palette drop); returns its node id."""
        if self._refuse_edit():
            return None
        try:
            node = new_node(self.graph, type_name, self.scene.drop_position(scene_pos))
        except Exception as err:  # a layer the engine cannot make with its starting values
            self.statusBar().showMessage(f"Cannot add {type_name}: {err}", 8000)
            return None
        self.undo_stack.push(AddItemsCommand(self.graph, [node]))
        self.select_node(node.id)
        return node.id

    def add_layer_after_selection(self, type_name: str) -> None:
        """Double-click in the palette: add below the selected layer and wire it, or at the view centre."""
        if self._refuse_edit():
            return
        selected = self.scene.selected_node_ids()
        source = selected[0] if len(selected) == 1 else None
        if source is not None:
            x, y = self.graph.nodes[source].position
            pos = QPointF(x + 110, y + 84 + 76 + 42)
        else:
            pos = self.view.mapToScene(self.view.viewport().rect().center())
        node = new_node(self.graph, type_name, self.scene.drop_position(pos))
        self.undo_stack.beginMacro(f"Add {node.name}")
        self.undo_stack.push(AddItemsCommand(self.graph, [node]))
        if source is not None and self.graph.connection_problem(source, node.id, 0) is None:
            self.undo_stack.push(AddWireCommand(self.graph, Wire(source, node.id, 0)))
        self.undo_stack.endMacro()
        self.select_node(node.id)

    def select_node(self, node_id: str) -> None:
        item = self.scene.node_items.get(node_id)
        if item is None:
            return
        self.scene.clearSelection()
        item.setSelected(True)
        self.view.ensureVisible(item)

    def _selection_changed(self) -> None:
        ids = self.scene.selected_node_ids()
        self.properties.show_node(ids[0] if len(ids) == 1 else None)
        if len(ids) == 1:
            self.scene.node_hovered(ids[0])

    def delete_selection(self) -> None:
        if self._refuse_edit():
            return
        ids, wires = self.scene.selected_node_ids(), self.scene.selected_wires()
        if ids or wires:
            self.undo_stack.push(RemoveItemsCommand(self.graph, ids, wires))

    def copy_selection(self) -> bool:
        ids = self.scene.selected_node_ids()
        if not ids:
            return False
        data = QMimeData()
        payload = json.dumps(copy_selection(self.graph, ids))
        data.setData(MIME_TYPE, payload.encode("utf-8"))
        QApplication.clipboard().setMimeData(data)
        return True

    def cut_selection(self) -> None:
        if self.copy_selection():
            self.delete_selection()

    def paste(self) -> None:
        if self._refuse_edit():
            return
        data = QApplication.clipboard().mimeData()
        if data is None or not data.hasFormat(MIME_TYPE):
            self.statusBar().showMessage("Nothing to paste: copy some layers first.", 5000)
            return
        try:
            nodes, wires = paste_plan(self.graph, json.loads(bytes(data.data(MIME_TYPE)).decode("utf-8")))
        except (GraphError, ValueError) as err:
            self.statusBar().showMessage(str(err), 8000)
            return
        if not nodes:
            return
        self.undo_stack.push(AddItemsCommand(self.graph, nodes, wires, text=f"Paste {len(nodes)} layer(s)"))
        self.scene.clearSelection()
        for node in nodes:
            self.scene.node_items[node.id].setSelected(True)

    def select_all(self) -> None:
        for item in self.scene.node_items.values():
            item.setSelected(True)

    def auto_arrange(self) -> None:
        if self._refuse_edit():
            return
        try:
            after = layered_positions(self.graph)
        except GraphError as err:
            self.statusBar().showMessage(str(err), 8000)
            return
        before = {nid: self.graph.nodes[nid].position for nid in after}
        if after and after != before:
            self.undo_stack.push(MoveNodesCommand(self.graph, before, after, text="Auto-arrange"))
        self.view.fit_all()

    def toggle_output(self) -> None:
        """Mark the selected layers as the model's outputs (or unmark them)."""
        if self._refuse_edit():
            return
        ids = self.scene.selected_node_ids()
        if not ids:
            return
        current = self.graph.model_outputs()
        if all(i in self.graph.outputs for i in ids):
            outputs = [o for o in self.graph.outputs if o not in ids]
        else:
            outputs = (self.graph.outputs or current) + [i for i in ids if i not in current]
        self.undo_stack.push(SetOutputsCommand(self.graph, outputs))
