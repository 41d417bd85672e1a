"""Shape inference over the graph: per node, its output shape, parameter count, multiply-adds, or the
reason it cannot be built.

Works on shapes only: each layer is built from its config in the engine's shapes-only mode (its weights get
shapes but no memory, so a Dense of 10^8 units is as quick as one of 8) and called on symbolic tensors (the
engine's own `compute_output_shape` and input checks). Results are cached by (type, name, config, input
shapes), so after an edit only the nodes whose inputs or config changed are built again.
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field

from engine.symbolic import KerasTensor
from engine.utils import shapes_only
from studio.document.catalog import ATTENTION_PORTS, layer_types, normalize_config
from studio.document.cost import multiply_adds
from studio.document.graph import Graph, GraphError

Shape = tuple
LARGE_WEIGHTS = 100 * 10**6  # bytes of weights from which a layer is flagged: slow to train, heavy to save


@dataclass(frozen=True)
class NodeReport:
    """What shape inference found for one node."""

    input_shapes: tuple[Shape | None, ...] = ()
    output_shape: Shape | None = None
    params: int | None = None
    multiply_adds: int | None = None
    error: str | None = None        # this node's own problem: shown red
    blocked_by: str | None = None   # name of an upstream node whose problem stops this one
    weight_bytes: int = 0           # memory its weights will take once built for real

    @property
    def ok(self) -> bool:
        return self.error is None and self.blocked_by is None

    @property
    def warning(self) -> str | None:
        """A size worth knowing before training: "this layer holds 1.6 GB of weights"."""
        if self.weight_bytes < LARGE_WEIGHTS:
            return None
        return f"this layer holds {_size(self.weight_bytes)} of weights"


@dataclass
class Analysis:
    """Reports for every node, graph-wide problems, and the totals shown to the user."""

    reports: dict[str, NodeReport] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def total_params(self) -> int:
        return sum(r.params or 0 for r in self.reports.values())

    @property
    def total_multiply_adds(self) -> int | None:
        values = [r.multiply_adds for r in self.reports.values()]
        return None if any(v is None for v in values) else sum(values)

    @property
    def errors(self) -> dict[str, str]:
        return {nid: r.error for nid, r in self.reports.items() if r.error}

    @property
    def warnings(self) -> dict[str, str]:
        return {nid: r.warning for nid, r in self.reports.items() if r.warning}

    @property
    def ok(self) -> bool:
        return not self.problems and not self.errors


class ShapeInference:
    """Infers every node of a graph, reusing what it computed for unchanged nodes."""

    def __init__(self, cache_size: int = 4096) -> None:
        self._cache: OrderedDict[tuple, NodeReport] = OrderedDict()
        self._cache_size = cache_size

    def infer(self, graph: Graph) -> Analysis:
        analysis = Analysis()
        try:
            order = graph.topological_order()
        except GraphError as err:
            analysis.problems.append(str(err))
            return analysis
        if not graph.input_nodes():
            analysis.problems.append("The model has no Input layer: drag one from the palette.")
        outputs = graph.model_outputs()
        if graph.nodes and not outputs:
            analysis.problems.append("The model has no output: add a layer after the Input.")
        incoming: dict[str, list] = {}
        for wire in graph.wires:
            incoming.setdefault(wire.target, []).append(wire)
        for node_id in order:
            wires = sorted(incoming.get(node_id, ()), key=lambda w: w.port)
            analysis.reports[node_id] = self._infer_node(graph, node_id, wires, analysis.reports)
        problem = memory_problem(graph, analysis)
        if problem:
            analysis.problems.append(problem)
        return analysis

    def _infer_node(self, graph: Graph, node_id: str, wires: list, done: dict[str, NodeReport]) -> NodeReport:
        node = graph.nodes[node_id]
        ltype = layer_types().get(node.type)
        if ltype is None:
            return NodeReport(error=f"'{node.type}' is not a layer of this engine")
        low, _ = ltype.arity
        ports = [w.port for w in wires]
        missing = [p for p in range(max(low, max(ports) + 1 if ports else 0)) if p not in ports]
        if missing:
            if ltype.is_merge:
                return NodeReport(error=f"input {missing[0] + 1} is not connected: a merge needs at least "
                                        f"{low} inputs, wired without gaps")
            if ltype.is_attention:
                return NodeReport(error=f"its {ATTENTION_PORTS[missing[0]]} input (port {missing[0] + 1}) is not "
                                        "connected: wire the ports in order (query, value, key)")
            return NodeReport(error="its input is not connected: wire a layer's output into it")
        for wire in wires:
            upstream = done[wire.source]
            if not upstream.ok:
                blocker = upstream.blocked_by or graph.nodes[wire.source].name
                return NodeReport(blocked_by=blocker)
        shapes = tuple(done[w.source].output_shape for w in wires)
        key = (node.type, node.name, node.config_key, shapes)
        report = self._cache.get(key)
        if report is None:
            report = self._compute(ltype, node.config, node.name, shapes)
            self._cache[key] = report
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return report

    def _compute(self, ltype, config: dict, name: str, shapes: tuple) -> NodeReport:
        try:
            if ltype.is_input:
                normalize_config(ltype.name, config)  # e.g. a hand-edited file with shape [0]
            with shapes_only():
                layer = ltype.create(config, name)
                if ltype.is_input:
                    out = tuple(layer.batch_shape)
                else:
                    tensors = [KerasTensor(s) for s in shapes]
                    result = ltype.call(layer, tensors)
                    if not isinstance(result, KerasTensor):
                        return NodeReport(shapes, error=f"it gives {len(result)} outputs; the canvas wires one "
                                                        "output per layer (turn off return_state)")
                    out = tuple(result.shape)
            params = layer.count_params()
            weight_bytes = sum(int(w.size) * w.dtype.itemsize for w in layer.weights)
        except Exception as err:  # any engine failure is this node's problem, shown on it; never a crash
            return NodeReport(shapes, error=_tidy(str(err) or type(err).__name__, name))
        macs = multiply_adds(ltype.name, ltype.family, config, list(shapes), out)
        return NodeReport(shapes, out, params, macs, weight_bytes=weight_bytes)


TRAINING_COPIES = 4  # weights, gradients and two optimizer slots (Adam): what training holds per weight


def physical_memory() -> int | None:
    """Bytes of memory in this computer, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def memory_problem(graph: Graph, analysis: Analysis) -> str | None:
    """Why the model cannot be built here: its weights, trained, would need more memory than the computer has."""
    total = sum(r.weight_bytes for r in analysis.reports.values())
    memory = physical_memory()
    if memory is None or TRAINING_COPIES * total <= memory:
        return None
    largest = max(analysis.reports, key=lambda nid: analysis.reports[nid].weight_bytes)
    return (f"The model's weights take {_size(total)} ('{graph.nodes[largest].name}' holds "
            f"{_size(analysis.reports[largest].weight_bytes)}); training needs about {_size(TRAINING_COPIES * total)}, "
            f"more than this computer's {_size(memory)} of memory. Make the large layers smaller.")


def _size(nbytes: int) -> str:
    """2_000_000_000 -> '2.0 GB'."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"


def _tidy(message: str, name: str) -> str:
    """The engine's first line, without the "Dense 'dense_1': " prefix (the card already names the layer)."""
    message = message.strip().splitlines()[0] if message.strip() else "the engine refused this layer"
    return re.sub(rf"^\w+ '{re.escape(name)}': ", "", message)


def format_shape(shape: Shape | None) -> str:
    """(None, 32) -> '(None, 32)'; a 1-tuple keeps its comma: '(None,)'."""
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
