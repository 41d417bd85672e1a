"""The graph's Inputs and outputs as the data sees them, in the order of the model `build_model` makes:
each Input's width and whether it feeds an Embedding, each output's units and activation."""

from __future__ import annotations

from studio.data.feed import InputSlot, OutputHead
from studio.document.graph import Graph
from studio.document.inference import Analysis


def input_slots(graph: Graph) -> list[InputSlot]:
    """One slot per Input node, in model input order."""
    slots = []
    for node in graph.input_nodes():
        shape = node.config.get("shape") or []
        size = shape[-1] if shape and isinstance(shape[-1], int) else None
        embeddings = [graph.nodes[w.target] for w in graph.consumers(node.id)
                      if graph.nodes[w.target].type == "Embedding"]
        limits = [(e.name, e.config["input_dim"]) for e in embeddings if isinstance(e.config.get("input_dim"), int)]
        slots.append(InputSlot(node.name, size, bool(embeddings), min(limits, key=lambda x: x[1], default=None)))
    return slots


def output_heads(graph: Graph, analysis: Analysis | None = None) -> list[OutputHead]:
    """One head per model output, in model output order: units from the layer's config (or its inferred
    output shape), activation from its config (a Softmax layer is a softmax)."""
    heads = []
    for node_id in graph.model_outputs():
        node = graph.nodes[node_id]
        units = node.config.get("units")
        report = analysis.reports.get(node_id) if analysis is not None else None
        if not isinstance(units, int) and report is not None and report.output_shape:
            last = report.output_shape[-1]
            units = last if isinstance(last, int) and len(report.output_shape) == 2 else None
        activation = "softmax" if node.type == "Softmax" else node.config.get("activation")
        heads.append(OutputHead(node.name, units if isinstance(units, int) else None,
                                activation if isinstance(activation, str) else None))
    return heads
