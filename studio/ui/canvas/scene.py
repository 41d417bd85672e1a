"""The canvas scene: draws the graph and follows its events; turns mouse gestures into undo commands.

Items are created and removed only in answer to graph events (`node_added`, `wire_removed`...), and
read the graph and the current analysis when they paint, so the scene never drifts from the document.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainterPath, QUndoStack
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from studio.document.analysis import ModelAnalysis
from studio.document.catalog import layer_types
from studio.document.graph import Graph, LayerNode, Wire
from studio.document.inference import NodeReport, format_shape
from studio.ui.canvas import theme
from studio.ui.canvas.node_item import NodeItem, PortItem
from studio.ui.canvas.wire_drag import WireDrag
from studio.ui.canvas.wire_item import WireItem
from studio.ui.commands import AddWireCommand, MoveNodesCommand


class GraphScene(QGraphicsScene):
    """Renders one graph; `message` carries text for the status bar (refusals, problems on hover)."""

    message = Signal(str)

    def __init__(self, undo_stack: QUndoStack, parent=None):
        super().__init__(parent)
        self.undo_stack = undo_stack
        self.graph: Graph | None = None
        self.analysis: ModelAnalysis | None = None
        self.node_items: dict[str, NodeItem] = {}
        self.wire_items: dict[Wire, WireItem] = {}
        self._drag: WireDrag | None = None
        self._press_positions: dict[str, tuple[float, float]] | None = None
        self._drawn: dict[str, tuple] = {}  # what each card last showed, to skip unchanged ones
        self.bindings = None  # DataBindings: captions and binding problems on Input and output cards
        self.setSceneRect(-2000, -1500, 4000, 3000)

    # -- following the document -------------------------------------------------------------
    def set_document(self, graph: Graph, analysis: ModelAnalysis) -> None:
        if self.graph is not None:
            self._connect(self.graph, self.analysis, False)
        self.clear()
        self._drawn.clear()
        self.node_items.clear()
        self.wire_items.clear()
        self.graph, self.analysis = graph, analysis
        self._connect(graph, analysis, True)
        for node in graph.nodes.values():
            self._on_node_added(node)
        for wire in graph.wires:
            self._on_wire_added(wire)
        self._on_analysis(analysis.current)

    def _connect(self, graph: Graph, analysis: ModelAnalysis, on: bool) -> None:
        pairs = [(graph.node_added, self._on_node_added), (graph.node_removed, self._on_node_removed),
                 (graph.wire_added, self._on_wire_added), (graph.wire_removed, self._on_wire_removed),
                 (graph.node_moved, self._on_node_moved), (graph.node_changed, self._on_node_changed),
                 (graph.outputs_changed, self._refresh_nodes), (analysis.updated, self._on_analysis)]
        for event, callback in pairs:
            (event.connect if on else event.disconnect)(callback)

    def set_bindings(self, bindings) -> None:
        """Show the data bindings (`DataBindings`) on the cards and follow their changes."""
        if self.bindings is not None:
            self.bindings.changed.disconnect(self._refresh_nodes)
        self.bindings = bindings
        bindings.changed.connect(self._refresh_nodes)
        self._refresh_nodes()

    def binding_view(self, node_name: str) -> tuple[str, str | None]:
        """(caption, problem) of the node's data binding; ("", None) for other nodes or without data."""
        if self.bindings is None or self.bindings.project is None or self.bindings.project.graph is not self.graph:
            return "", None
        return self.bindings.caption(node_name), self.bindings.problem(node_name)

    def input_steps(self, node_name: str) -> list:
        """The preprocessing of an Input node's columns (`InputStep`s), empty for other nodes or without data."""
        if self.bindings is None or self.bindings.project is None or self.bindings.project.graph is not self.graph:
            return []
        return self.bindings.input_steps(node_name)

    def _on_node_added(self, node: LayerNode) -> None:
        item = NodeItem(node.id)
        self.node_items[node.id] = item
        item.setPos(*node.position)
        item.set_port_count(self.graph.port_count(node.id))
        self.addItem(item)

    def _on_node_removed(self, node: LayerNode) -> None:
        self._drawn.pop(node.id, None)
        item = self.node_items.pop(node.id, None)
        if item is not None:
            self.removeItem(item)

    def _on_wire_added(self, wire: Wire) -> None:
        item = WireItem(wire)
        self.wire_items[wire] = item
        self.addItem(item)
        self._sync_ports(wire.target)
        self._place_wire(item)

    def _on_wire_removed(self, wire: Wire) -> None:
        item = self.wire_items.pop(wire, None)
        if item is not None:
            self.removeItem(item)
        if wire.target in self.node_items:
            self._sync_ports(wire.target)
        self._sync_ports(wire.source)

    def _on_node_moved(self, node: LayerNode) -> None:
        item = self.node_items[node.id]
        if (item.pos().x(), item.pos().y()) != node.position:
            item.setPos(*node.position)

    def _on_node_changed(self, node: LayerNode) -> None:
        self._drawn.pop(node.id, None)
        self.node_items[node.id].update()

    def _on_analysis(self, analysis) -> None:
        for wire, item in self.wire_items.items():
            report = analysis.reports.get(wire.source)
            item.set_label(format_shape(report.output_shape) if report and report.output_shape else "")
        self._refresh_nodes()

    def _refresh_nodes(self) -> None:
        """Redraw the cards whose report, name, settings or output role changed (reports of unchanged
        nodes are the very same cached objects, so most cards are skipped on a 200-node graph)."""
        if self.graph is None:
            return
        outputs = set(self.graph.model_outputs())
        for node_id, item in self.node_items.items():
            report = self.report(node_id)
            node = self.graph.nodes[node_id]
            binding = self.binding_view(node.name)
            steps = self.input_steps(node.name) if node.type == "Input" else []
            drawn = (id(report), node.name, node.config_key, node_id in outputs, binding, tuple(steps))
            if self._drawn.get(node_id) == drawn:
                continue
            self._drawn[node_id] = drawn
            item.set_input_steps(steps)
            ltype = layer_types().get(self.graph.nodes[node_id].type)
            tip = (f"<b>{self.graph.nodes[node_id].type}</b>: {ltype.summary if ltype else ''}")
            problem = report.error if report is not None and report.error else binding[1]
            if binding[0]:
                tip += f"<br>Data: {binding[0]}"
            if problem:
                tip += f"<br><span style='color:#d93025'>⚠ {problem}</span>"
            elif report is not None and report.blocked_by:
                tip += f"<br>Waiting for '{report.blocked_by}', which has a problem."
            elif report is not None and report.output_shape is not None:
                tip += f"<br>Output {format_shape(report.output_shape)}"
                if report.warning:
                    tip += f"<br><span style='color:{theme.WARNING.name()}'>⚠ {report.warning[0].upper()}" \
                           f"{report.warning[1:]}: training it is slow and needs that much memory.</span>"
            item.setToolTip(tip)
            item.update()

    def _sync_ports(self, node_id: str) -> None:
        item = self.node_items.get(node_id)
        if item is None:
            return
        item.set_port_count(self.graph.port_count(node_id))
        used = {w.port for w in self.graph.inputs_of(node_id)}
        for port in item.input_ports:
            port.set_look(port.index in used, None)
        item.output_port.set_look(bool(self.graph.consumers(node_id)), None)
        for wire, wire_item in self.wire_items.items():
            if node_id in (wire.source, wire.target):
                self._place_wire(wire_item)

    def _place_wire(self, item: WireItem) -> None:
        source, target = self.node_items.get(item.wire.source), self.node_items.get(item.wire.target)
        if source is not None and target is not None:
            start, end = source.output_port_pos(), target.input_port_pos(item.wire.port)
            item.set_ends(start, end, self._blocked(start, end, item.wire))

    def _blocked(self, start: QPointF, end: QPointF, wire: Wire) -> bool:
        """True when a straight wire would pass behind another card."""
        if end.y() - start.y() < 2 * theme.HEIGHT:
            return False
        path = QPainterPath(start)
        path.lineTo(end)
        span = QRectF(start, end).normalized().adjusted(-1, 0, 1, 0)
        return any(isinstance(i, NodeItem) and i.node_id not in (wire.source, wire.target)
                   and i.shape().translated(i.pos()).intersects(path)
                   for i in self.items(span, Qt.IntersectsItemBoundingRect))

    # -- what items ask for -----------------------------------------------------------------
    def report(self, node_id: str) -> NodeReport | None:
        return self.analysis.current.reports.get(node_id) if self.analysis else None

    def node_view(self, node_id: str):
        node = self.graph.nodes.get(node_id) if self.graph else None
        if node is None:
            return None
        ltype = layer_types().get(node.type)
        return node, ltype.family if ltype else "other", self.report(node_id), \
            node_id in self.graph.model_outputs()

    def node_item_moved(self, node_id: str) -> None:
        for wire, item in self.wire_items.items():
            if node_id in (wire.source, wire.target):
                self._place_wire(item)

    def node_hovered(self, node_id: str) -> None:
        report, node = self.report(node_id), self.graph.nodes.get(node_id)
        if node is None or report is None:
            return
        data_problem = self.binding_view(node.name)[1]
        if report.error or data_problem:
            self.message.emit(f"{node.name}: {report.error or data_problem}")
        elif report.blocked_by:
            self.message.emit(f"{node.name} waits for '{report.blocked_by}', which has a problem.")
        else:
            warning = f" — ⚠ {report.warning}" if report.warning else ""
            self.message.emit(f"{node.name} ({node.type}): output {format_shape(report.output_shape)}{warning}")

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_wires(self) -> list[Wire]:
        return [i.wire for i in self.selectedItems() if isinstance(i, WireItem)]

    # -- gestures -----------------------------------------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.LeftButton and self.graph is not None:
            port = next((i for i in self.items(event.scenePos()) if isinstance(i, PortItem)), None)
            if port is not None and port.is_output:
                self._drag = WireDrag(self, port.node_id, port.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.LeftButton and self.graph is not None:
            self._press_positions = {nid: self.graph.nodes[nid].position for nid in self.selected_node_ids()}

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None:
            self._drag.move_to(event.scenePos())
            target = self._drag.target_at(event.scenePos())
            if target is not None and self._drag.verdicts.get(target):
                self.message.emit(f"Cannot wire here: {self._drag.verdicts[target]}.")
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None and event.button() == Qt.LeftButton:
            drag, self._drag = self._drag, None
            wire, refusal = drag.finish(event.scenePos())
            if wire is not None:
                self.undo_stack.push(AddWireCommand(self.graph, wire))
            elif refusal:
                self.message.emit(refusal)
            for node_id in self.node_items:
                self._sync_ports(node_id)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self._push_move()

    def _push_move(self) -> None:
        before, self._press_positions = self._press_positions, None
        if not before or self.graph is None:
            return
        after = {}
        for nid in before:
            item = self.node_items.get(nid)
            if item is not None:
                after[nid] = (item.pos().x(), item.pos().y())
        if any(after[nid] != before[nid] for nid in after):
            self.undo_stack.push(MoveNodesCommand(self.graph, before, after))

    def drop_position(self, scene_pos: QPointF) -> tuple[float, float]:
        """Top-left of a node dropped with its centre at `scene_pos`."""
        return scene_pos.x() - theme.WIDTH / 2, scene_pos.y() - theme.HEIGHT / 2
