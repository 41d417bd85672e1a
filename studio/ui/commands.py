"""Undo commands: each one only calls `Graph` methods; the canvas follows the graph's events."""

from __future__ import annotations

import copy

from PySide6.QtGui import QUndoCommand

from studio.document.graph import Graph, LayerNode, Position, Wire


class AddItemsCommand(QUndoCommand):
    """Add nodes and then wires (a palette drop, a paste)."""

    def __init__(self, graph: Graph, nodes: list[LayerNode], wires: list[Wire] = (), text: str | None = None):
        super().__init__(text or (f"Add {nodes[0].name}" if len(nodes) == 1 else f"Add {len(nodes)} layers"))
        self.graph, self.nodes, self.wires = graph, list(nodes), list(wires)

    def redo(self) -> None:
        with self.graph.batch():
            for node in self.nodes:
                self.graph.add_node(node)
            for wire in self.wires:
                self.graph.add_wire(wire)

    def undo(self) -> None:
        with self.graph.batch():
            for wire in reversed(self.wires):
                self.graph.remove_wire(wire)
            for node in reversed(self.nodes):
                self.graph.remove_node(node.id)


class AddWireCommand(QUndoCommand):
    def __init__(self, graph: Graph, wire: Wire):
        super().__init__(f"Wire {graph.node(wire.source).name} → {graph.node(wire.target).name}")
        self.graph, self.wire = graph, wire

    def redo(self) -> None:
        self.graph.add_wire(self.wire)

    def undo(self) -> None:
        self.graph.remove_wire(self.wire)


class RemoveItemsCommand(QUndoCommand):
    """Delete nodes (with every wire touching them) and wires; undo puts all back where they were."""

    def __init__(self, graph: Graph, node_ids: list[str], wires: list[Wire] = ()):
        ids = set(node_ids)
        self.graph = graph
        self.wires = [(i, w) for i, w in enumerate(graph.wires) if w in wires or w.source in ids or w.target in ids]
        self.nodes = [(graph.index_of(nid), graph.node(nid)) for nid in graph.nodes if nid in ids]
        self.outputs_before = list(graph.outputs)
        self.outputs_after = [o for o in graph.outputs if o not in ids]
        what = self.nodes[0][1].name if len(self.nodes) == 1 else f"{len(self.nodes)} layers"
        super().__init__(f"Delete {what}" if self.nodes else "Delete wire" + ("s" if len(self.wires) > 1 else ""))

    def redo(self) -> None:
        with self.graph.batch():
            for _, wire in reversed(self.wires):
                self.graph.remove_wire(wire)
            if self.outputs_after != self.outputs_before:
                self.graph.set_outputs(self.outputs_after)
            for _, node in reversed(self.nodes):
                self.graph.remove_node(node.id)

    def undo(self) -> None:
        with self.graph.batch():
            for index, node in self.nodes:
                self.graph.add_node(node, index)
            for index, wire in self.wires:
                self.graph.add_wire(wire, index)
            if self.outputs_after != self.outputs_before:
                self.graph.set_outputs(self.outputs_before)


class MoveNodesCommand(QUndoCommand):
    """Move one or many nodes: pushed once, on mouse release (or by auto-arrange)."""

    def __init__(self, graph: Graph, before: dict[str, Position], after: dict[str, Position],
                 text: str | None = None):
        super().__init__(text or (f"Move {graph.node(next(iter(after))).name}" if len(after) == 1
                                  else f"Move {len(after)} layers"))
        self.graph, self.before, self.after = graph, dict(before), dict(after)

    def redo(self) -> None:
        self.graph.move_nodes(self.after)

    def undo(self) -> None:
        self.graph.move_nodes(self.before)


class SetConfigCommand(QUndoCommand):
    def __init__(self, graph: Graph, node_id: str, config: dict, what: str = "settings"):
        node = graph.node(node_id)
        super().__init__(f"Change {node.name} {what}")
        self.graph, self.node_id = graph, node_id
        self.before, self.after = copy.deepcopy(node.config), copy.deepcopy(config)

    def redo(self) -> None:
        self.graph.set_config(self.node_id, copy.deepcopy(self.after))

    def undo(self) -> None:
        self.graph.set_config(self.node_id, copy.deepcopy(self.before))


class RenameCommand(QUndoCommand):
    def __init__(self, graph: Graph, node_id: str, name: str):
        self.graph, self.node_id = graph, node_id
        self.before, self.after = graph.node(node_id).name, name
        super().__init__(f"Rename {self.before} to {name}")

    def redo(self) -> None:
        self.graph.rename(self.node_id, self.after)

    def undo(self) -> None:
        self.graph.rename(self.node_id, self.before)


class SetOutputsCommand(QUndoCommand):
    def __init__(self, graph: Graph, outputs: list[str], text: str = "Change model outputs"):
        super().__init__(text)
        self.graph, self.before, self.after = graph, list(graph.outputs), list(outputs)

    def redo(self) -> None:
        self.graph.set_outputs(self.after)

    def undo(self) -> None:
        self.graph.set_outputs(self.before)
