"""An engine model (Sequential or functional, e.g. read from a Keras `.keras` file) as a studio graph.

Each layer becomes a node holding its config as the catalog stores it, each layer call's inputs become
wires, and the nodes are laid out with the auto-arrange. The layer weights come back alongside, in the
order of `build_model(graph).get_weights()`, so that a training run can hold them. Keras's mask
operations (recorded in functional configs to carry masks) are skipped: the engine recomputes masks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from studio.document.build import ModelBuildError, build_model
from studio.document.catalog import NOT_ON_CANVAS, CatalogError, layer_types, normalize_config
from studio.document.graph import Graph, GraphError, LayerNode, Wire
from studio.document.layout import layered_positions


class ModelImportError(ValueError):
    """A model the canvas cannot show (shared or nested layers, custom classes...); the message names the layer."""


@dataclass
class ImportedModel:
    """The graph of an imported model, its weights (in the graph's model order) and the model's name."""

    graph: Graph
    weights: list[np.ndarray]
    name: str


@dataclass
class _Call:
    layer: object
    parents: list  # the layers feeding the call, by input port


def graph_from_model(model) -> ImportedModel:
    """The studio graph of `model`, laid out, with its weights; ModelImportError naming what cannot be shown."""
    from engine.models.sequential import Sequential

    inputs, calls, outputs = _sequential_calls(model) if isinstance(model, Sequential) else _functional_calls(model)
    graph = Graph()
    node_of: dict[int, str] = {}
    with graph.batch():
        for layer in inputs:
            node_of[id(layer)] = _add_node(graph, "Input", layer, _input_config(layer))
        for call in calls:
            node_of[id(call.layer)] = _add_node(graph, _type_of(call.layer), call.layer, _layer_config(call.layer))
        for call in calls:
            for port, parent in enumerate(call.parents):
                graph.add_wire(Wire(node_of[id(parent)], node_of[id(call.layer)], port))
        wanted = [node_of[id(layer)] for layer in outputs]
        if graph.model_outputs() != wanted:
            graph.set_outputs(wanted)
        graph.move_nodes(layered_positions(graph))
    originals = {graph.nodes[node_of[id(call.layer)]].name: call.layer for call in calls}
    return ImportedModel(graph, _weights_for(graph, originals, str(model.name)), str(model.name))


# -- the calls of a model --------------------------------------------------------------------------------------

def _sequential_calls(model):
    from engine.layers.core.input_layer import InputLayer

    first = model._layers[0] if model._layers else None
    if not isinstance(first, InputLayer):
        if not getattr(model, "built", False) or not model.layers:
            raise ModelImportError(f"Model '{model.name}' has no input shape (a Sequential model that was never "
                                   "built): the canvas needs the shape of its input.")
        first = InputLayer(batch_shape=tuple(model.layers[0]._build_shapes), name="input_layer") \
            if _is_shape(getattr(model.layers[0], "_build_shapes", None)) else None
        if first is None:
            raise ModelImportError(f"Model '{model.name}': the input shape of its first layer is unknown.")
    calls, previous = [], first
    for layer in model.layers:
        _check_layer(layer)
        calls.append(_Call(layer, [previous]))
        previous = layer
    if not calls:
        raise ModelImportError(f"Model '{model.name}' has no layers.")
    return [first], calls, [previous]


def _is_shape(value) -> bool:
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _functional_calls(model):
    from engine.layers.core.input_layer import InputLayer
    from engine.symbolic import KerasTensor, flatten

    inputs = [t.keras_history[0] for t in model.inputs]
    seen: dict[int, object] = {}
    calls = []
    for node in model._nodes:
        layer = node.layer
        if getattr(layer, "is_keras_operation", False):
            continue
        if isinstance(layer, InputLayer):
            continue
        _check_layer(layer)
        if id(layer) in seen:
            raise ModelImportError(f"Layer '{layer.name}' is called more than once (a shared layer); the canvas shows "
                                   "one node per layer and cannot show shared weights.")
        seen[id(layer)] = layer
        tensor_kwargs = [k for k, v in node.call_kwargs.items()
                         if any(isinstance(t, KerasTensor) and not _is_mask_tensor(t) for t in flatten(v))]
        if tensor_kwargs:
            raise ModelImportError(f"Layer '{layer.name}' receives tensors as keyword arguments "
                                   f"({', '.join(tensor_kwargs)}); the canvas wires positional inputs only.")
        parents = []
        for t in flatten(list(node.call_args)):
            if not isinstance(t, KerasTensor):
                continue
            source, _, tensor_index = t.keras_history
            if getattr(source, "is_keras_operation", False):
                raise ModelImportError(f"Layer '{layer.name}' takes the result of the operation '{source.name}' as "
                                       "input; the canvas shows layers only.")
            if tensor_index != 0 or len(source._inbound_nodes[t.keras_history[1]].outputs) > 1:
                raise ModelImportError(f"Layer '{layer.name}' takes one of several outputs of '{source.name}'; the "
                                       "canvas shows layers with one output only.")
            parents.append(source)
        calls.append(_Call(layer, parents))
    outputs = []
    for t in model.outputs:
        layer = t.keras_history[0]
        if getattr(layer, "is_keras_operation", False):
            raise ModelImportError(f"Output '{t.name}' of model '{model.name}' is computed by an operation, not a "
                                   "layer; the canvas shows layers only.")
        outputs.append(layer)
    return inputs, calls, outputs


def _is_mask_tensor(t) -> bool:
    return getattr(t.keras_history[0], "is_keras_operation", False)


def _check_layer(layer) -> None:
    from engine.models.model import Model

    if isinstance(layer, Model):
        raise ModelImportError(f"Layer '{layer.name}' is itself a model ({type(layer).__name__}); the canvas shows one "
                               "level of layers. Flatten the nested model in Keras before importing.")
    if _type_of(layer) not in layer_types():
        reason = NOT_ON_CANVAS.get(_type_of(layer), "layers holding code, like Lambda, or custom classes")
        raise ModelImportError(f"Layer '{layer.name}' is a {type(layer).__name__}, which the canvas does not offer "
                               f"({reason}).")


def _type_of(layer) -> str:
    return type(layer).__name__


# -- nodes -----------------------------------------------------------------------------------------------------

def _input_config(layer) -> dict:
    shape = list(layer.batch_shape[1:])
    if not shape:
        raise ModelImportError(f"Input '{layer.name}' has no sample shape (a scalar input); the canvas needs at "
                               "least one axis.")
    dtype = layer.dtype if isinstance(layer.dtype, str) else "float32"
    try:
        return normalize_config("Input", {"shape": shape, "batch_size": None, "dtype": dtype})
    except CatalogError as err:
        raise ModelImportError(f"Input '{layer.name}': {err}") from None


def _layer_config(layer) -> dict:
    config = dict(layer.get_config())
    config.pop("name", None)
    try:
        return normalize_config(_type_of(layer), config)
    except CatalogError as err:
        raise ModelImportError(f"Layer '{layer.name}' ({_type_of(layer)}): its config does not make a layer "
                               f"here: {err}") from None


def _add_node(graph: Graph, type_name: str, layer, config: dict) -> str:
    name = str(layer.name)
    if graph.name_problem(name):
        cleaned = re.sub(r"[^A-Za-z0-9_.\-]", "_", name)
        name = graph.unique_name(cleaned if re.match(r"[A-Za-z_]", cleaned) else f"layer_{cleaned}")
    try:
        return graph.add_node(LayerNode(graph.new_id(), type_name, name, config)).id
    except GraphError as err:
        raise ModelImportError(f"Layer '{layer.name}': {err}") from None


# -- weights ---------------------------------------------------------------------------------------------------

def _weights_for(graph: Graph, originals: dict, model_name: str) -> list[np.ndarray]:
    """The weights of `originals` (node name -> imported layer) in the order of the model built from `graph`."""
    try:
        rebuilt = build_model(graph, name=model_name)
    except ModelBuildError as err:
        raise ModelImportError(f"The imported graph does not rebuild into a model: {err}") from None
    for layer in rebuilt.layers:
        original = originals.get(layer.name)
        if original is None:  # an Input
            continue
        values, mine = original.get_weights(), layer.get_weights()
        if len(values) != len(mine) or any(np.shape(a) != np.shape(b) for a, b in zip(values, mine)):
            raise ModelImportError(
                f"Layer '{original.name}': its weights have shapes {[np.shape(v) for v in values]} in the imported "
                f"model but {[np.shape(v) for v in mine]} on the canvas.")
        if values:
            layer.set_weights(values)
    return [np.array(w, copy=True) for w in rebuilt.get_weights()]
