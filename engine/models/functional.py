"""Functional models: a graph of layer calls recorded on symbolic tensors, from `Input`s to outputs."""

from __future__ import annotations

import numpy as np

from engine.autodiff import Tensor
from engine.layers.core.input_layer import InputLayer
from engine.layers.layer import Layer, _as_shape_structure, is_shape
from engine.models.model import Model
from engine.symbolic import KerasTensor, Node, deserialize_constant, flatten, pack_like, serialize_constant


class Functional(Model):
    """`Model(inputs, outputs)`: inputs and outputs may be one tensor, a list or a dict of tensors."""

    def __init__(self, inputs, outputs, name: str | None = None, trainable: bool = True, **kwargs):
        Model.__init__(self, name=name, trainable=trainable, **kwargs)
        self._inputs_struct = inputs
        self._outputs_given = outputs  # `output`: as given (Keras keeps a dict's order there)
        self._outputs_struct = outputs = _keys_sorted(outputs)
        self.inputs = flatten(inputs)
        self.outputs = flatten(outputs)
        for role, tensors in (("input", self.inputs), ("output", self.outputs)):
            for t in tensors:
                if not isinstance(t, KerasTensor):
                    raise ValueError(f"All model {role}s must be symbolic tensors (from `Input` or a layer called "
                                     f"on one); received {t!r:.80}")
        for t in self.inputs:
            if not isinstance(t.keras_history[0], InputLayer):
                raise ValueError(f"Model inputs must come from `engine.Input`; '{t.name}' is the output of layer "
                                 f"'{t.keras_history[0].name}'")
        self._nodes, layers = _trace_nodes(self.inputs, self.outputs)
        _check_unique_names(layers)
        object.__setattr__(self, "_layers", layers)
        self.built = True
        self._build_shapes = [t.shape for t in self.inputs] if len(self.inputs) > 1 else self.inputs[0].shape

    # -- structure ------------------------------------------------------------------------
    @property
    def input(self):
        """The model's inputs as given to the constructor: one tensor, a list or a dict (Keras's `model.input`;
        `inputs` is the flat list)."""
        return self._inputs_struct

    @property
    def output(self):
        """The model's outputs as given to the constructor: one tensor, a list or a dict (Keras's `model.output`;
        `outputs` is the flat list, a dict's values in key order)."""
        return self._outputs_given

    @property
    def input_names(self) -> list[str]:
        return [t.keras_history[0].name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [t.keras_history[0].name for t in self.outputs]

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def layer_output_shapes(self) -> dict[str, object]:
        shapes = {}
        for layer in self.layers:
            nodes = [n for n in layer._inbound_nodes if any(n is own for own in self._nodes)] or \
                layer._inbound_nodes[:1]
            if nodes:
                outs = [t.shape for t in nodes[0].outputs]
                shapes[layer.name] = outs[0] if len(outs) == 1 else outs
        return shapes

    def parent_layers(self, layer: Layer) -> list[str]:
        """Names of the layers feeding `layer` in this model ("Connected to" in the summary)."""
        names = []
        for node in self._nodes:
            if node.layer is layer:
                names.extend(t.keras_history[0].name for t in node.input_tensors)
        return names

    # -- running --------------------------------------------------------------------------
    def call(self, inputs, training=None):
        values: dict[int, object] = {}
        for tensor, value in zip(self.inputs, self._flatten_inputs(inputs)):
            _check_input_shape(tensor, value)
            values[id(tensor)] = value
        for node in self._nodes:
            args = substitute_tensors(node.call_args, values)
            outputs = node.layer(*args, **substitute_tensors(node.call_kwargs, values))
            for tensor, value in zip(node.outputs, flatten(outputs)):
                values[id(tensor)] = value
        return pack_like(self._outputs_struct, [values[id(t)] for t in self.outputs])

    def _flatten_inputs(self, inputs) -> list:
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                keys = list(self._inputs_struct)
            else:
                keys = self.input_names
            missing = [k for k in keys if k not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}' expects inputs {keys}; missing {missing} "
                                 f"(received keys {list(inputs)})")
            return [inputs[k] for k in keys]
        flat = flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s) {self.input_names}, "
                             f"but it received {len(flat)} input tensors.")
        return flat

    def compute_output_shape(self, input_shape):
        shapes: dict[int, tuple] = {}
        given = [input_shape] if is_shape(input_shape) else flatten_shapes(input_shape)
        for tensor, shape in zip(self.inputs, given):
            shapes[id(tensor)] = tuple(shape)
        for node in self._nodes:
            args = node.call_args
            arg_shape = substitute_tensors(args[0], shapes) if args else ()
            out = _as_shape_structure(node.layer.compute_output_shape(arg_shape))
            for tensor, shape in zip(node.outputs, [out] if is_shape(out) else flatten_shapes(out)):
                shapes[id(tensor)] = shape
        out_shapes = [shapes[id(t)] for t in self.outputs]
        return out_shapes[0] if len(out_shapes) == 1 else out_shapes

    # -- config ---------------------------------------------------------------------------
    def get_config(self) -> dict:
        from engine.saving.serialization_lib import serialize_keras_object
        own = {id(n) for n in self._nodes}

        def kept_index(layer, node_index):
            """Index of a node among the nodes of `layer` that belong to this model."""
            return sum(1 for n in layer._inbound_nodes[:node_index] if id(n) in own or isinstance(layer, InputLayer))

        def tensor_config(t):
            layer, node_index, tensor_index = t.keras_history
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(t.shape), "dtype": t.dtype,
                               "keras_history": [layer.name, kept_index(layer, node_index), tensor_index]}}

        def serialize_arg(value):
            if isinstance(value, KerasTensor):
                return tensor_config(value)
            if isinstance(value, (slice, np.ndarray, np.generic, Tensor)) or value is Ellipsis:
                return serialize_constant(value)  # `x[1:, ::2]`, `ops.add(x, array)`: tagged as Keras does
            if isinstance(value, (list, tuple)):
                return [serialize_arg(v) for v in value]
            if isinstance(value, dict):
                return {k: serialize_arg(v) for k, v in value.items()}
            return value

        layer_configs = []
        for layer in self.layers:
            layer_config = serialize_keras_object(layer)
            layer_config["name"] = layer.name
            layer_config["inbound_nodes"] = [
                {"args": serialize_arg(list(node.call_args)), "kwargs": serialize_arg(node.call_kwargs)}
                for node in layer._inbound_nodes if id(node) in own and node.input_tensors
            ]
            layer_configs.append(layer_config)

        def endpoint(t):
            layer, node_index, tensor_index = t.keras_history
            return [layer.name, kept_index(layer, node_index), tensor_index]

        def endpoints(structure):
            if isinstance(structure, KerasTensor):
                return endpoint(structure)
            if isinstance(structure, dict):
                return {k: endpoints(v) for k, v in structure.items()}
            return [endpoints(v) for v in structure]

        return {"name": self.name, "trainable": self.trainable, "layers": layer_configs,
                "input_layers": endpoints(self._inputs_struct), "output_layers": endpoints(self._outputs_struct)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        return functional_from_config(cls, config, custom_objects)

    def get_build_config(self):
        return None


def _keys_sorted(structure):
    """Dict outputs in key order, as Keras flattens them (`model.outputs`, predictions, a list of losses)."""
    if isinstance(structure, dict):
        return {k: _keys_sorted(structure[k]) for k in sorted(structure)}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_keys_sorted(v) for v in structure)
    return structure


def flatten_shapes(structure) -> list[tuple]:
    if is_shape(structure):
        return [structure]
    if isinstance(structure, dict):
        return [s for v in structure.values() for s in flatten_shapes(v)]
    return [s for v in structure for s in flatten_shapes(v)]


def substitute_tensors(structure, values: dict):
    """`structure` with each KerasTensor replaced by `values[id(tensor)]`."""
    if isinstance(structure, KerasTensor):
        return values[id(structure)]
    if isinstance(structure, (list, tuple)):
        items = [substitute_tensors(v, values) for v in structure]
        return items if isinstance(structure, list) else tuple(items)
    if isinstance(structure, dict):
        return {k: substitute_tensors(v, values) for k, v in structure.items()}
    return structure


def _check_input_shape(tensor: KerasTensor, value) -> None:
    shape = np.shape(value)
    expected = tensor.shape
    if len(shape) != len(expected) or any(e is not None and e != s for e, s in zip(expected, shape)):
        raise ValueError(f"Input '{tensor.name}' of the model expects shape {expected}, "
                         f"but received an input with shape {tuple(shape)}")
    array = getattr(value, "value", value)  # an engine Tensor's ndarray
    if tensor.dtype != "string" and isinstance(array, np.ndarray) and array.dtype.kind in "OUS":
        item = next((v for v in array.ravel().tolist() if not isinstance(v, (int, float, np.number))), None)
        if item is not None:  # text given where numbers belong: name the input and the value
            raise ValueError(f"Input '{tensor.name}' of the model takes numbers ({tensor.dtype}), but received "
                             f"{item!r}.")


def _trace_nodes(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> tuple[list[Node], list[Layer]]:
    """The nodes between inputs and outputs in an executable order, and the layers in Keras's order.

    Layers are ordered as Keras orders them (deepest first, ties by first visit), so that `weights` and
    `get_weights()` line up with a Keras model of the same architecture.
    """
    input_ids = {id(t) for t in inputs}
    order: list[Node] = []  # post-order: every node after its parents
    done: set[int] = set()
    visiting: set[int] = set()
    first_seen: dict[int, int] = {}
    reached_inputs: set[int] = set()

    def visit_tensor(t: KerasTensor, consumer: str):
        layer, node_index, _ = t.keras_history
        node = layer._inbound_nodes[node_index]
        if id(t) in input_ids:
            reached_inputs.add(id(t))
        elif isinstance(layer, InputLayer):
            raise ValueError(
                f"Graph disconnected: {consumer} depends on input '{t.name}' with shape {t.shape}, which is not "
                f"one of the model's inputs {[i.name for i in inputs]}. Pass it in `inputs`.")
        if id(node) in done:
            return
        if id(node) in visiting:
            raise ValueError(f"The graph has a cycle through layer '{layer.name}'.")
        first_seen.setdefault(id(layer), len(first_seen))
        visiting.add(id(node))
        if id(t) not in input_ids:
            for parent in node.input_tensors:
                visit_tensor(parent, f"layer '{layer.name}'")
        visiting.discard(id(node))
        done.add(id(node))
        order.append(node)

    for t in outputs:
        if t.keras_history is None:
            raise ValueError(f"Output {t!r} was not produced by a layer.")
        visit_tensor(t, f"output '{t.name}'")
    unused = [t.name for t in inputs if id(t) not in reached_inputs]
    if unused:
        raise ValueError(f"Input(s) {unused} are not connected to any of the model's outputs "
                         f"{[t.name for t in outputs]}.")

    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    layers_by_id: dict[int, Layer] = {}
    in_graph = {id(n) for n in order}
    for node in reversed(order):
        depth = max(node_depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layers_by_id[id(node.layer)] = node.layer
        for t in node.input_tensors:
            parent = t.keras_history[0]._inbound_nodes[t.keras_history[1]]
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    layers = sorted(layers_by_id.values(), key=lambda layer: (-layer_depth[id(layer)], first_seen[id(layer)]))
    executable = [n for n in order if n.input_tensors]
    return executable, layers


def _check_unique_names(layers: list[Layer]) -> None:
    seen: dict[str, int] = {}
    for layer in layers:
        seen[layer.name] = seen.get(layer.name, 0) + 1
    dupes = [name for name, count in seen.items() if count > 1]
    if dupes:
        raise ValueError(f"The name '{dupes[0]}' is used {seen[dupes[0]]} times in the model. "
                         "All layer names should be unique.")


def functional_from_config(cls, config: dict, custom_objects: dict | None = None):
    """Rebuild a functional model: create every layer, then replay its calls in dependency order."""
    from engine.saving.serialization_lib import deserialize_keras_object
    created: dict[str, Layer] = {}
    pending: list[tuple[Layer, list]] = []
    for layer_data in config["layers"]:
        layer_config = {k: v for k, v in layer_data.items() if k not in ("inbound_nodes", "name")}
        layer = deserialize_keras_object(layer_config, custom_objects=custom_objects)
        created[layer_data.get("name", layer.name)] = layer
        pending.append((layer, list(layer_data.get("inbound_nodes", []))))

    outputs_by_node: dict[str, list] = {}  # layer name -> list of output lists, one per replayed node
    for name, layer in created.items():
        if isinstance(layer, InputLayer):
            outputs_by_node[name] = [[layer.output_tensor]]

    def resolve(value):
        if isinstance(value, dict) and value.get("class_name") in ("__slice__", "__ellipsis__", "__numpy__",
                                                                    "__tensor__"):
            return deserialize_constant(value)
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            name, node_index, tensor_index = value["config"]["keras_history"]
            produced = outputs_by_node.get(name, [])
            if node_index >= len(produced):
                raise LookupError(name)
            return produced[node_index][tensor_index]
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    progress = True
    while progress:
        progress = False
        for layer, nodes in pending:
            while nodes:
                try:
                    args = resolve(nodes[0].get("args", []))
                    kwargs = resolve(nodes[0].get("kwargs", {}))
                except LookupError:
                    break
                outputs = layer(*args, **kwargs)
                outputs_by_node.setdefault(layer.name, []).append(flatten(outputs))
                nodes.pop(0)
                progress = True
    stuck = [layer.name for layer, nodes in pending if nodes]
    if stuck:
        raise ValueError(f"Cannot rebuild the model: the inputs of layer(s) {stuck} are never produced "
                         "(invalid or cyclic config).")

    def endpoint(value):
        if isinstance(value, dict):
            return {k: endpoint(v) for k, v in value.items()}
        if len(value) == 3 and isinstance(value[0], str):
            name, node_index, tensor_index = value
            if name not in outputs_by_node:
                raise ValueError(f"The config names layer '{name}' as an input or output, but has no such layer.")
            return outputs_by_node[name][node_index][tensor_index]
        return [endpoint(v) for v in value]

    inputs = endpoint(config["input_layers"])
    outputs = endpoint(config["output_layers"])
    model = cls(inputs=inputs, outputs=outputs, name=config.get("name"), trainable=config.get("trainable", True))
    return model
