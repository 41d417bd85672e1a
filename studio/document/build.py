"""Turn the graph into an engine model: `Sequential` when it is a plain chain, functional otherwise."""

from __future__ import annotations

import engine
from studio.document.catalog import layer_type
from studio.document.graph import Graph
from studio.document.inference import Analysis, ShapeInference


class ModelBuildError(ValueError):
    """The graph does not make a model yet; the message lists what to fix, by layer name."""


def chain_order(graph: Graph) -> list[str] | None:
    """The node ids from Input to output when the graph is one unbranched chain, else None."""
    inputs = graph.input_nodes()
    if len(inputs) != 1 or graph.outputs and len(graph.outputs) != 1:
        return None
    order, current = [inputs[0].id], inputs[0].id
    while True:
        consumers = graph.consumers(current)
        if not consumers:
            break
        if len(consumers) > 1 or len(graph.inputs_of(consumers[0].target)) != 1:
            return None
        current = consumers[0].target
        if not layer_type(graph.nodes[current].type).takes_one_tensor:
            return None
        order.append(current)
    if len(order) != len(graph.nodes) or len(order) < 2 or graph.model_outputs() != [order[-1]]:
        return None
    return order


def check_buildable(graph: Graph, analysis: Analysis | None = None) -> Analysis:
    """Raise ModelBuildError naming every problem (graph-wide and per layer), else return the analysis."""
    analysis = analysis or ShapeInference().infer(graph)
    lines = list(analysis.problems)
    lines += [f"{graph.nodes[nid].name}: {msg}" for nid, msg in analysis.errors.items()]
    if lines:
        raise ModelBuildError("The model cannot be built yet:\n" + "\n".join(f"• {line}" for line in lines))
    return analysis


def build_model(graph: Graph, name: str | None = None, analysis: Analysis | None = None):
    """A fresh engine model (new weights) for the graph; ModelBuildError if any layer has a problem."""
    check_buildable(graph, analysis)
    order = chain_order(graph)
    if order is not None:
        nodes = [graph.nodes[nid] for nid in order]
        stack = [layer_type("Input").create(nodes[0].config, nodes[0].name).output_tensor]
        stack += [layer_type(n.type).create(n.config, n.name) for n in nodes[1:]]
        return engine.Sequential(stack, name=name)
    tensors = {}
    for nid in graph.topological_order():
        node = graph.nodes[nid]
        ltype = layer_type(node.type)
        layer = ltype.create(node.config, node.name)
        if ltype.is_input:
            tensors[nid] = layer.output_tensor
            continue
        args = [tensors[w.source] for w in graph.inputs_of(nid)]
        tensors[nid] = ltype.call(layer, args)
    inputs = [tensors[n.id] for n in graph.input_nodes()]
    outputs = [tensors[nid] for nid in graph.model_outputs()]
    return engine.Model(inputs[0] if len(inputs) == 1 else inputs,
                        outputs[0] if len(outputs) == 1 else outputs, name=name)
