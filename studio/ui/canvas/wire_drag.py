"""Dragging a new wire out of an output port: which input ports would accept it, and the preview line."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem

from studio.document.graph import Graph, Wire
from studio.ui.canvas import theme
from studio.ui.canvas.node_item import NodeItem, PortItem
from studio.ui.canvas.wire_item import wire_path


class WireDrag:
    """The state of one wire being dragged from `source`'s output port; ports are coloured by verdict."""

    def __init__(self, scene, source: str, start: QPointF):
        self.scene, self.source, self.start = scene, source, start
        graph: Graph = scene.graph
        self.verdicts: dict[tuple[str, int], str | None] = {}
        for node_id, item in scene.node_items.items():
            for port in item.input_ports:
                problem = graph.connection_problem(source, node_id, port.index)
                self.verdicts[(node_id, port.index)] = problem
                port.set_look(False, problem is None)
        self.preview = QGraphicsPathItem()
        self.preview.setPen(QPen(theme.SELECTED, 2, Qt.DashLine))
        self.preview.setZValue(3)
        scene.addItem(self.preview)
        self.move_to(start)

    def target_at(self, pos: QPointF) -> tuple[str, int] | None:
        """The input port under `pos`, or the first free allowed port of the node under `pos`."""
        for item in self.scene.items(pos):
            if isinstance(item, PortItem) and not item.is_output:
                return item.node_id, item.index
            if isinstance(item, NodeItem) and item.node_id != self.source:
                allowed = [p.index for p in item.input_ports if self.verdicts.get((item.node_id, p.index)) is None]
                return (item.node_id, allowed[0]) if allowed else (item.node_id, 0)
        return None

    def move_to(self, pos: QPointF) -> None:
        """Follow the mouse; the line turns green over a port that accepts it, red over one that refuses."""
        self.preview.setPath(wire_path(self.start, pos))
        target = self.target_at(pos)
        color = theme.SELECTED if target is None else theme.PORT_OK if self.verdicts.get(target) is None \
            and target in self.verdicts else theme.ERROR
        self.preview.setPen(QPen(color, 2, Qt.DashLine))

    def finish(self, pos: QPointF) -> tuple[Wire | None, str | None]:
        """(the wire to add, None) or (None, why it is refused); (None, None) when dropped on nothing."""
        self.scene.removeItem(self.preview)
        target = self.target_at(pos)
        if target is None:
            return None, None
        problem = self.verdicts.get(target)
        if target not in self.verdicts:
            problem = self.scene.graph.connection_problem(self.source, *target)
        if problem:
            return None, f"Wire refused: {problem}."
        return Wire(self.source, target[0], target[1]), None
