"""Walking a model: every layer call of a Sequential or functional model, in order, through its converter.
A model used as a layer inside another model is walked in place (its nodes join the outer graph)."""

from __future__ import annotations

import numpy as np

from engine.export.graph import GraphBuilder, Value
from engine.export.registry import (
    ONNXExportError,
    converter_for,
    converts,
    refusal_for,
    supported_classes,
    unsupported,
)
from engine.layers.core.input_layer import InputLayer
from engine.models.functional import Functional, substitute_tensors
from engine.models.sequential import Sequential
from engine.symbolic import flatten, pack_like


def model_inputs(model) -> list[tuple[str, tuple, str]]:
    """(name, shape, dtype) of each input of a built Sequential or functional model."""
    if isinstance(model, Functional):
        return [(t.keras_history[0].name, tuple(t.shape), t.dtype) for t in model.inputs]
    if isinstance(model, Sequential):
        first = model._layers[0] if model._layers else None
        if isinstance(first, InputLayer):
            return [(first.name, tuple(first.batch_shape), first.dtype)]
        if not model.built or model._build_input_shape is None:
            raise ONNXExportError(f"Cannot export Sequential model '{model.name}': it is not built yet, so its input "
                                  "shape is unknown. Start it with `Input(shape)` or call `model.build(shape)`.")
        shape = model._build_input_shape
        if not all(d is None or isinstance(d, (int, np.integer)) for d in shape):
            raise ONNXExportError(f"Cannot export Sequential model '{model.name}' with several inputs {shape}.")
        return [(f"{model.name}_input", tuple(shape), model.dtype)]
    raise ONNXExportError(f"Cannot export model '{model.name}' ({type(model).__name__}) to ONNX: only Sequential and "
                          "functional models can be exported (a subclassed model's `call` is arbitrary Python).")


def model_output_names(model) -> list[str]:
    if isinstance(model, Functional):
        return [t.name or t.keras_history[0].name for t in model.outputs]
    return [model.layers[-1].name]


def model_output_shapes(model, outputs: list[Value]) -> list[tuple]:
    if isinstance(model, Functional):
        return [tuple(t.shape) for t in model.outputs]
    return [v.shape for v in outputs]


def check_convertible(model) -> None:
    """Raise one error listing every layer (nested ones too) that has no converter, before any work."""
    missing = []

    def visit(layer):
        if isinstance(layer, (Functional, Sequential)):
            for inner in _called_layers(layer):
                visit(inner)
        elif converter_for(layer) is None:
            reason = refusal_for(layer)
            missing.append(f"'{layer.name}' ({type(layer).__name__}{': ' + reason if reason else ''})")

    model_inputs(model)
    for layer in _called_layers(model):
        visit(layer)
    if missing:
        raise ONNXExportError(f"Cannot export model '{model.name}' to ONNX: no converter for layer(s) "
                              f"{', '.join(missing)}. Supported layer classes: {', '.join(supported_classes())}.")


def _called_layers(model) -> list:
    if isinstance(model, Functional):
        return [node.layer for node in model._nodes]
    return list(model.layers)


def run_model(graph: GraphBuilder, model, inputs: list[Value]) -> list[Value]:
    """Convert every layer call of `model` on `inputs`; the model's outputs as Values."""
    if isinstance(model, Sequential):
        if not model.layers:
            raise ONNXExportError(f"Cannot export Sequential model '{model.name}': it has no layers.")
        x = inputs[0]
        for layer in model.layers:
            x = convert_layer(graph, layer, (x,), {})
        return flatten(x)
    values: dict[int, Value] = {id(t): v for t, v in zip(model.inputs, inputs)}
    for node in model._nodes:
        args = substitute_tensors(node.call_args, values)
        kwargs = substitute_tensors(node.call_kwargs, values)
        outputs = flatten(convert_layer(graph, node.layer, args, kwargs))
        if len(outputs) != len(node.outputs):
            raise unsupported(node.layer, f"its converter made {len(outputs)} outputs where the layer has "
                                          f"{len(node.outputs)} (internal error).")
        for tensor, value in zip(node.outputs, outputs):
            values[id(tensor)] = value
    return [values[id(t)] for t in model.outputs]


def convert_layer(graph: GraphBuilder, layer, args: tuple, kwargs: dict):
    """One layer call: its converter on Values (float inputs cast to the layer's dtype, as Keras autocasts)."""
    converter = converter_for(layer)
    if converter is None:
        raise unsupported(layer, f"there is no converter for {type(layer).__name__} layers "
                                 f"(supported: {', '.join(supported_classes())}).")
    if not layer.built:
        raise unsupported(layer, "the layer is not built (call the model on data or build it first).")
    if getattr(layer, "autocast", False) and args:
        cast = graph.cast
        args = (pack_like(args[0], [cast(v, layer.dtype) if isinstance(v, Value) and v.dtype.kind == "f" else v
                                    for v in flatten(args[0])]), *args[1:])
    with graph.scope(layer.name):
        return converter(graph, layer, *args, **kwargs)


@converts(Sequential, Functional)
def nested_model(graph: GraphBuilder, model, inputs, **kwargs):
    """A model called as a layer of another model."""
    extra = [k for k, v in kwargs.items() if v is not None]
    if extra:
        raise unsupported(model, f"a nested model called with {extra} cannot be exported.")
    if isinstance(model, Sequential):
        return run_model(graph, model, [inputs])[0]
    outputs = run_model(graph, model, model._flatten_inputs(inputs))
    return pack_like(model._outputs_struct, outputs)
