"""`export_onnx(model, path)`: a Sequential or functional model as an ONNX file (opset 17 by default).

The graph is built in memory with `onnx.helper`, checked with `onnx.checker` (full check, with shape
inference), and only then written: to a temporary file in the target directory, renamed over `path`
at the end, so a failed export leaves no file and never a half-written one. Inputs and outputs keep
the engine's layout (channels_last) and names (the input and output layers'); the batch axis is the
symbolic dimension "batch".
"""

from __future__ import annotations

import os

import numpy as np
import onnx
from onnx import helper

from engine.export.graph import GraphBuilder, Value, tensor_type, value_info
from engine.export.layers.models import (
    check_convertible,
    model_inputs,
    model_output_names,
    model_output_shapes,
    run_model,
)
from engine.export.registry import ONNXExportError
from engine.utils.file_utils import atomic_write

SUPPORTED_OPSETS = range(17, 22)
_PROTOBUF_LIMIT = 2 ** 31 - 1


class GraphAdapter:
    """Steps an exporter adds around the model in the graph: `input_name` names the graph's input for a model
    input, `inputs` turns the graph's inputs into what the model is fed, `outputs` the model's outputs into the
    graph's (both build with the `GraphBuilder`). The default adds nothing; the studio's export on raw CSV rows
    reads missing cells as the studio does and marks the rows it refuses."""

    def input_name(self, name: str) -> str:
        return name

    def inputs(self, graph: GraphBuilder, inputs: list[Value]) -> list[Value]:
        return inputs

    def outputs(self, graph: GraphBuilder, outputs: list[Value]) -> list[Value]:
        return outputs


def to_onnx_model(model, opset: int = 17, adapter: GraphAdapter | None = None) -> onnx.ModelProto:
    """The checked ONNX model of `model` (nothing is written), with `adapter`'s steps around it."""
    if opset not in SUPPORTED_OPSETS:
        raise ValueError(f"ONNX export supports opsets {SUPPORTED_OPSETS.start} to {SUPPORTED_OPSETS.stop - 1}; "
                         f"received opset={opset}.")
    check_convertible(model)
    graph = GraphBuilder(opset)
    adapter = adapter or GraphAdapter()
    inputs = []
    for name, shape, dtype in model_inputs(model):
        inputs.append(Value(graph.reserve(adapter.input_name(name)), shape,
                            np.dtype(object if dtype == "string" else dtype)))
    output_names = [graph.reserve(name) for name in model_output_names(model)]
    outputs = run_model(graph, model, adapter.inputs(graph, inputs))
    shapes = model_output_shapes(model, outputs)
    outputs = adapter.outputs(graph, outputs)
    declared = []
    for name, value, shape in zip(output_names, outputs, shapes):
        graph.node("Identity", [value], [name])
        if len(shape) != value.rank:  # Keras's symbolic shape of a bag-of-words TextVectorization keeps the (n, 1)
            shape = value.shape       # input's axis its output does not have: declare what the graph gives
        declared.append(Value(name, shape, value.dtype))
    nodes, initializers = _prune(graph, output_names)
    made = {name for node in nodes for name in node.output}
    typed = [helper.make_tensor_value_info(v.name, tensor_type(v.dtype), None) for v in graph.declared
             if v.name in made]
    onnx_graph = helper.make_graph(nodes, model.name, [value_info(v) for v in inputs],
                                   [value_info(v) for v in declared], initializer=initializers, value_info=typed)
    opsets = [helper.make_opsetid("", opset)]
    if any(node.domain == "ai.onnx.ml" for node in nodes):  # LabelEncoder (string and integer lookups)
        opsets.append(helper.make_opsetid("ai.onnx.ml", 3))
    if any(node.domain == "com.microsoft" for node in nodes):  # onnxruntime's Tokenizer (text vectorization)
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    proto = helper.make_model(onnx_graph, opset_imports=opsets, producer_name="LayerStudio",
                              ir_version=helper.find_min_ir_version_for(
                                  [o for o in opsets if o.domain != "com.microsoft"]))
    proto.doc_string = f"{type(model).__name__} model '{model.name}' exported by LayerStudio's engine."
    if proto.ByteSize() > _PROTOBUF_LIMIT:
        raise ONNXExportError(f"Cannot export model '{model.name}': its weights exceed the 2 GB limit of a single "
                              "ONNX file.")
    try:
        onnx.checker.check_model(proto, full_check=True)
    except onnx.checker.ValidationError as err:
        raise ONNXExportError(f"The ONNX graph built for model '{model.name}' failed onnx.checker (an exporter "
                              f"bug; please report it): {err}") from err
    return proto


def export_onnx(model, path, opset: int = 17) -> onnx.ModelProto:
    """Write `model` to `path` as ONNX; returns the model proto. Raises `ONNXExportError` (naming the
    layer and its class) for what ONNX cannot express, before anything is written."""
    proto = to_onnx_model(model, opset=opset)
    _write_atomically(proto.SerializeToString(), os.fspath(path))
    return proto


def _prune(graph: GraphBuilder, outputs: list[str]):
    """The nodes and initializers the outputs depend on (transposes made redundant are dropped)."""
    needed = set(outputs)
    kept = []
    for node in reversed(graph.nodes):
        if any(name in needed for name in node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
    kept.reverse()
    return kept, [t for t in graph.initializers if t.name in needed]


def _write_atomically(data: bytes, path: str) -> None:
    with atomic_write(path, "wb") as file:
        file.write(data)
