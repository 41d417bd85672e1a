"""The model graph: layer nodes, wires from a node's output to another node's input port, model outputs.

Plain Python with change events (`node_added`, `wire_removed`, ...), so that the canvas can follow it
and undo commands can edit it by calling its methods. Every edit is checked before anything changes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from studio.document.catalog import input_arity
from studio.document.events import Event

Position = tuple[float, float]


class GraphError(ValueError):
    """An edit that would break the graph (unknown node, taken port, cycle, duplicate name...)."""


@dataclass
class LayerNode:
    """One layer on the canvas: its type (a class of `engine.layers`, or "Input"), name and config."""

    id: str
    type: str
    name: str
    config: dict
    position: Position = (0.0, 0.0)
    _config_key: str | None = field(default=None, repr=False, compare=False)

    @property
    def config_key(self) -> str:
        """A hashable text of the config, computed once per config (shape inference caches on it)."""
        if self._config_key is None:
            import json
            self._config_key = json.dumps(self.config, sort_keys=True, default=str)
        return self._config_key


@dataclass(frozen=True)
class Wire:
    """The output of node `source` feeds input `port` of node `target`."""

    source: str
    target: str
    port: int = 0


class Graph:
    """Nodes (in insertion order), wires and the chosen model outputs; emits an event for every change."""

    def __init__(self) -> None:
        self.nodes: dict[str, LayerNode] = {}
        self.wires: list[Wire] = []
        self.outputs: list[str] = []
        self.node_added, self.node_removed = Event(), Event()
        self.wire_added, self.wire_removed = Event(), Event()
        self.node_moved, self.node_changed = Event(), Event()
        self.outputs_changed = Event()
        self.changed = Event()
        self._batch_depth = 0
        self._pending_change = False
        self._ids = itertools.count(1)

    # -- change notification ------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group several edits so that `changed` is emitted once, at the end."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._pending_change:
                self._pending_change = False
                self.changed.emit()

    def _changed(self) -> None:
        if self._batch_depth:
            self._pending_change = True
        else:
            self.changed.emit()

    # -- queries ------------------------------------------------------------------------------
    def node(self, node_id: str) -> LayerNode:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"There is no node with id {node_id!r}.") from None

    def new_id(self) -> str:
        while True:
            candidate = f"n{next(self._ids)}"
            if candidate not in self.nodes:
                return candidate

    def unique_name(self, base: str, taken: Iterable[str] = ()) -> str:
        """`base`, or `base_1`, `base_2`... whichever no node (nor `taken`) uses yet."""
        used = {n.name for n in self.nodes.values()} | set(taken)
        base = re.sub(r"_\d+$", "", base) if base in used else base
        if base not in used:
            return base
        for i in itertools.count(1):
            if f"{base}_{i}" not in used:
                return f"{base}_{i}"
        raise AssertionError("unreachable")

    def inputs_of(self, node_id: str) -> list[Wire]:
        """Wires into `node_id`, by port."""
        return sorted((w for w in self.wires if w.target == node_id), key=lambda w: w.port)

    def consumers(self, node_id: str) -> list[Wire]:
        return [w for w in self.wires if w.source == node_id]

    def input_nodes(self) -> list[LayerNode]:
        return [n for n in self.nodes.values() if n.type == "Input"]

    def model_outputs(self) -> list[str]:
        """The chosen outputs, or else every non-Input node that feeds nothing."""
        if self.outputs:
            return list(self.outputs)
        fed = {w.source for w in self.wires}
        return [n.id for n in self.nodes.values() if n.id not in fed and n.type != "Input"]

    def port_count(self, node_id: str) -> int:
        """How many input ports the node shows: merges show one free port beyond the last used one."""
        low, high = input_arity(self.node(node_id).type)
        if high is not None:
            return high
        used = [w.port for w in self.wires if w.target == node_id]
        return max(low, (max(used) + 2) if used else low)

    def ancestors(self, node_id: str) -> set[str]:
        parents: dict[str, list[str]] = {}
        for w in self.wires:
            parents.setdefault(w.target, []).append(w.source)
        seen, stack = set(), [node_id]
        while stack:
            for p in parents.get(stack.pop(), []):
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return seen

    def connection_problem(self, source: str, target: str, port: int) -> str | None:
        """Why wiring `source` into port `port` of `target` is refused, or None when it is allowed."""
        if source not in self.nodes or target not in self.nodes:
            return "both ends of a wire must be nodes of the graph"
        if source == target:
            return "a layer cannot feed itself"
        target_node = self.nodes[target]
        low, high = input_arity(target_node.type)
        if high == 0:
            return f"'{target_node.name}' is a model input: nothing can feed it"
        if port < 0 or (high is not None and port >= high):
            return f"'{target_node.name}' has no input port {port}"
        if any(w.target == target and w.port == port for w in self.wires):
            taken = "its input is" if high == 1 else f"input {port + 1} is"
            return f"'{target_node.name}' already has a wire: {taken} taken"
        if target in self.ancestors(source) or target == source:
            return f"wiring '{self.nodes[source].name}' into '{target_node.name}' would make a cycle"
        return None

    def topological_order(self) -> list[str]:
        """Node ids so that every node comes after the nodes feeding it (insertion order otherwise)."""
        indegree = {nid: 0 for nid in self.nodes}
        children: dict[str, list[str]] = {nid: [] for nid in self.nodes}
        for w in self.wires:
            indegree[w.target] += 1
            children[w.source].append(w.target)
        ready = [nid for nid, d in indegree.items() if d == 0]
        order = []
        while ready:
            nid = ready.pop(0)
            order.append(nid)
            for child in children[nid]:
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
        if len(order) != len(self.nodes):
            stuck = [self.nodes[n].name for n in self.nodes if n not in order]
            raise GraphError(f"The graph has a cycle through {', '.join(stuck)}.")
        return order

    # -- edits --------------------------------------------------------------------------------
    def add_node(self, node: LayerNode, index: int | None = None) -> LayerNode:
        if node.id in self.nodes:
            raise GraphError(f"A node with id {node.id!r} already exists.")
        problem = self.name_problem(node.name)
        if problem:
            raise GraphError(problem)
        items = list(self.nodes.items())
        items.insert(len(items) if index is None else index, (node.id, node))
        self.nodes = dict(items)
        self.node_added.emit(node)
        self._changed()
        return node

    def remove_node(self, node_id: str) -> LayerNode:
        """Remove a node that no wire touches (remove its wires first) and that is not a chosen output."""
        node = self.node(node_id)
        if any(node_id in (w.source, w.target) for w in self.wires):
            raise GraphError(f"Remove the wires of '{node.name}' before removing it.")
        if node_id in self.outputs:
            raise GraphError(f"'{node.name}' is a chosen model output; unmark it before removing it.")
        del self.nodes[node_id]
        self.node_removed.emit(node)
        self._changed()
        return node

    def index_of(self, node_id: str) -> int:
        return list(self.nodes).index(node_id)

    def add_wire(self, wire: Wire, index: int | None = None) -> Wire:
        problem = self.connection_problem(wire.source, wire.target, wire.port)
        if problem:
            raise GraphError(f"Cannot wire: {problem}.")
        self.wires.insert(len(self.wires) if index is None else index, wire)
        self.wire_added.emit(wire)
        self._changed()
        return wire

    def remove_wire(self, wire: Wire) -> None:
        if wire not in self.wires:
            raise GraphError(f"There is no wire {wire}.")
        self.wires.remove(wire)
        self.wire_removed.emit(wire)
        self._changed()

    def move_nodes(self, positions: dict[str, Position]) -> None:
        for node_id, (x, y) in positions.items():
            node = self.node(node_id)
            node.position = (float(x), float(y))
            self.node_moved.emit(node)

    def set_config(self, node_id: str, config: dict) -> None:
        node = self.node(node_id)
        node.config = dict(config)
        node._config_key = None
        self.node_changed.emit(node)
        self._changed()

    def name_problem(self, name: str, node_id: str | None = None) -> str | None:
        """Why `name` cannot name a layer (empty, odd characters, taken), or None."""
        if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", name):
            return (f"'{name}' is not a valid layer name: use letters, digits, '_', '.', '-', "
                    "starting with a letter or '_'")
        if any(n.name == name and n.id != node_id for n in self.nodes.values()):
            return f"another layer is already named '{name}'"
        return None

    def rename(self, node_id: str, name: str) -> None:
        node = self.node(node_id)
        problem = self.name_problem(name, node_id)
        if problem:
            raise GraphError(problem)
        node.name = name
        self.node_changed.emit(node)
        self._changed()

    def set_outputs(self, node_ids: list[str]) -> None:
        for node_id in node_ids:
            self.node(node_id)
        self.outputs = list(node_ids)
        self.outputs_changed.emit()
        self._changed()

    def clear(self) -> None:
        """Remove everything (wires first), with the usual events."""
        with self.batch():
            self.set_outputs([])
            for wire in list(self.wires):
                self.remove_wire(wire)
            for node_id in list(self.nodes):
                self.remove_node(node_id)
