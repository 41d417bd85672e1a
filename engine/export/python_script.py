"""A model as Keras 3 code: the architecture, the layers' constructor calls and `compile`.

`model_lines(model)` writes `keras.Sequential([...])` for a Sequential model and one line per layer call
(functional API) otherwise. Each layer shows the arguments that differ from its class's defaults (found
by building a default instance of the same class in the engine) plus its `name`; `layer_expr(layer)` is one
layer's constructor call (also used for preprocessing layers outside a model). Layers Keras cannot rebuild
from code (custom classes) stop the export with an error naming them. The layout of the code comes from
`python_source`; `script_text` assembles the whole script.
"""

from __future__ import annotations

import importlib
import inspect
import re
import warnings
from collections import Counter

import numpy as np

from engine.export.python_source import (
    Call,
    Names,
    PythonExportError,
    Seq,
    literal,
    statement,
)

__all__ = ["PythonExportError", "compile_lines", "layer_expr", "model_lines", "unsupported_layers"]


# -- objects (layers, initializers, losses, optimizers...) as constructor calls ---------------------------

# Keys Keras recomputes by itself inside a wrapper: writing them would only add noise.
_IMPLIED_NESTED_KEYS = {"Bidirectional": {"zero_output_for_mask"}}
_SHORTCUT_MODULES = ("keras.initializers", "keras.regularizers", "keras.constraints")


def _is_object(value) -> bool:
    return isinstance(value, dict) and "class_name" in value and "config" in value


def _is_layer(value) -> bool:
    return _is_object(value) and value.get("module") == "keras.layers"


def _config_expr(value, where: str, namespace: str = "keras.activations"):
    """A config value as Python, the serialized objects inside it as constructor calls (functions are
    looked up in `namespace`)."""
    return literal(value, where, lambda v: object_expr(v, where, namespace) if _is_object(v) else None)


def _engine_class(entry: dict, where: str):
    """The engine class a serialized object names, checked to be a built-in Keras class."""
    module, class_name = str(entry.get("module", "")), entry["class_name"]
    if class_name == "Lambda" or class_name == "__lambda__":
        raise PythonExportError(f"{where} holds Python code (a Lambda), which a script cannot rebuild from its "
                                "config; replace it with built-in layers.")
    if not module.startswith("keras") or entry.get("registered_name") is not None:
        raise PythonExportError(f"{where} is a custom class ({module}.{class_name}), not a Keras built-in; "
                                "a generated script cannot define it.")
    engine_module = "engine.layers" if module == "keras.layers" else "engine" + module[len("keras"):]
    try:
        return getattr(importlib.import_module(engine_module), class_name)
    except (ImportError, AttributeError):
        raise PythonExportError(f"{where}: the class {module}.{class_name} is unknown to LayerStudio, so its "
                                "defaults cannot be checked.") from None


def _required_parameters(cls) -> list[str]:
    """Constructor parameters without a default, in order (written positionally)."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p.name for p in parameters if p.kind in kinds and p.default is inspect.Parameter.empty]


_DEFAULT_CONFIGS: dict[tuple[type, str], dict | None] = {}


def _default_config(cls, args: dict, is_layer: bool) -> dict | None:
    """The config of an instance of `cls` made from the required arguments `args` alone, or None."""
    key = (cls, repr(args))
    if key not in _DEFAULT_CONFIGS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if is_layer:  # through the deserializer, which also rebuilds nested layers
                    from engine.saving.serialization_lib import deserialize_keras_object
                    instance = deserialize_keras_object({"module": "keras.layers", "class_name": cls.__name__,
                                                         "config": {**args, "name": "defaults"}})
                else:
                    instance = cls(**args)
            _DEFAULT_CONFIGS[key] = instance.get_config()
        except Exception:  # without defaults every argument is written, which is still right
            _DEFAULT_CONFIGS[key] = None
    return _DEFAULT_CONFIGS[key]


def _function_expr(entry: dict, where: str, namespace: str) -> str:
    name = entry["config"] if isinstance(entry["config"], str) else entry.get("registered_name")
    module = importlib.import_module("engine" + namespace[len("keras"):])
    if not isinstance(name, str) or not callable(getattr(module, name, None)):
        raise PythonExportError(f"{where}: the function {name!r} is not one of {namespace}'s; a generated "
                                "script cannot define custom functions.")
    return f"{namespace}.{name}"


def object_expr(entry: dict, where: str, namespace: str = "keras.activations", parent: str | None = None):
    """A serialized Keras object as the expression that creates it: its required arguments, then those that
    differ from a default instance's. Layers nested in another layer (`parent` is the wrapper's class: a
    Bidirectional's LSTM, an RNN's cell) go without a name: their wrapper names them."""
    class_name, module, config = entry["class_name"], entry.get("module"), entry["config"]
    if class_name == "DTypePolicy":
        return literal(config.get("name"), where)
    if class_name == "function":
        return _function_expr(entry, where, namespace)
    cls = _engine_class(entry, where)
    if class_name == "InputLayer":
        return input_expr(config)
    if not isinstance(config, dict):
        raise PythonExportError(f"{where}: unexpected config {config!r:.80} for {class_name}")
    is_layer = module == "keras.layers"
    skipped = {"name", *_IMPLIED_NESTED_KEYS.get(parent, ())} if is_layer else set()
    required = [p for p in _required_parameters(cls) if p in config]
    defaults = _default_config(cls, {p: config[p] for p in required}, is_layer)
    items = [("", _value_expr(config[p], f"{where}, argument {p}", class_name)) for p in required]
    for key, value in config.items():
        if key in required or key in skipped:
            continue
        if defaults is not None and key in defaults and _same(value, defaults[key]):
            continue
        if key == "name" and defaults is not None and _is_automatic_name(value, defaults.get("name")):
            continue
        items.append((f"{key}=", _value_expr(value, f"{where}, argument {key}", class_name)))
    if is_layer:
        if parent is None and config.get("name"):
            items.append(("name=", literal(config["name"], where)))
        return Call(f"layers.{class_name}", items)
    shortcut = None if items else _shortcut(cls, module)
    return literal(shortcut, where) if shortcut else Call(f"{module}.{class_name}", items)


def layer_expr(layer):
    """`layers.X(required..., non_default=..., name=...)` for a layer."""
    from engine.saving.serialization_lib import serialize_keras_object
    entry = serialize_keras_object(layer)
    entry["config"] = _learned_state_as_arguments(layer, entry["config"])
    return object_expr(entry, f"layer '{layer.name}' ({type(layer).__name__})")


def _learned_state_as_arguments(layer, config: dict) -> dict:
    """What `adapt` learned that a constructor must be told: Keras's `load_weights` reads no assets, so an
    adapted lookup's vocabulary (special tokens first, so indices stay) and IDF weights become arguments; an
    adapted Discretization keeps its boundaries and drops `num_bins` (the constructor takes only one)."""
    config = dict(config)
    if hasattr(layer, "get_vocabulary") and config.get("vocabulary") is None:
        lookup = getattr(layer, "_lookup_layer", layer)
        config["vocabulary"] = layer.get_vocabulary(include_special_tokens=True)
        if lookup.output_mode == "tf_idf" and lookup.idf_weights is not None:
            config["idf_weights"] = [float(w) for w in lookup.idf_weights]
    if config.get("vocabulary") is not None:
        config.pop("vocabulary_size", None)  # Keras counts a given vocabulary itself
    if type(layer).__name__ == "Discretization" and config.get("bin_boundaries") is not None:
        config.pop("num_bins", None)
    return config


def _shortcut(cls, module: str) -> str | None:
    """The string Keras accepts for a default instance of `cls` ("he_normal" for HeNormal()), if any."""
    if module not in _SHORTCUT_MODULES:
        return None
    from engine.backend import to_snake_case
    name = to_snake_case(cls.__name__)
    try:
        resolved = importlib.import_module("engine" + module[len("keras"):]).get(name)
    except (ValueError, TypeError, AttributeError):
        return None
    return name if type(resolved) is cls else None


def _is_automatic_name(name, default) -> bool:
    """An automatically numbered default name ("adam_3" for Adam)."""
    if not isinstance(name, str) or not isinstance(default, str):
        return False
    base = re.sub(r"_\d+$", "", default)
    return re.fullmatch(re.escape(base) + r"(_\d+)?", name) is not None


def input_expr(config: dict):
    """`keras.Input(shape=..., name=...)` for an InputLayer config."""
    batch_shape = config.get("batch_shape") or [None]
    items = [("shape=", literal(tuple(batch_shape[1:]), "Input"))]
    if batch_shape[0] is not None:
        items.append(("batch_size=", literal(batch_shape[0], "Input")))
    dtype = config.get("dtype")
    dtype = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
    if dtype not in (None, "float32"):
        items.append(("dtype=", literal(dtype, "Input")))
    for flag in ("sparse", "optional"):
        if config.get(flag):
            items.append((f"{flag}=", "True"))
    if config.get("name"):
        items.append(("name=", literal(config["name"], "Input")))
    return Call("keras.Input", items)


def _value_expr(value, where: str, parent: str):
    """An argument of a `parent` object: a nested layer, a shape (as a tuple) or another config value."""
    if _is_layer(value):
        return object_expr(value, where, parent=parent)
    if isinstance(value, list) and _is_int_tree(value):
        value = _as_tuples(value)  # shapes, sizes and axes read as tuples (as Keras writes them)
    return _config_expr(value, where)


def _is_int_tree(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_int_tree(v) for v in value)
    return value is None or (isinstance(value, (int, np.integer)) and not isinstance(value, bool))


def _as_tuples(value):
    return tuple(_as_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


def _same(value, default) -> bool:
    """Equal configs, ignoring the names of nested layers (their wrapper names them) and the difference
    between `x` and `[x]` (`axis=-1` reads back as [-1] once a layer is built)."""
    return _comparable(value) == _comparable(default)


def _comparable(value):
    """`value` with NumPy values as Python ones, tuples as lists, `[x]` as `x`, nested layers unnamed."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, dict):
        if _is_layer(value) and isinstance(value["config"], dict):
            value = {**value, "config": {k: v for k, v in value["config"].items() if k != "name"}}
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if len(value) == 1 and not isinstance(value[0], (list, tuple, dict, np.ndarray)):
            return _comparable(value[0])
        return [_comparable(v) for v in value]
    return value


# -- checking what can be written ----------------------------------------------------------------------------


def unsupported_layers(model) -> list[str]:
    """Descriptions of the layers (nested ones included) that a script cannot rebuild."""
    from engine.models.model import Model
    from engine.saving.serialization_lib import serialize_keras_object

    problems: list[str] = []

    def check_entry(entry: dict, where: str) -> None:
        try:
            _engine_class(entry, where)
        except PythonExportError as err:
            problems.append(str(err))
            return
        for key, value in (entry.get("config") or {}).items():
            if _is_layer(value):
                check_entry(value, f"{where}, argument {key}")

    for layer in model.layers:
        where = f"layer '{layer.name}' ({type(layer).__name__})"
        if getattr(type(layer), "is_keras_operation", False):
            continue  # mask computations: dropped if they only feed masks (checked with the graph)
        if is_model(layer):
            problems.extend(unsupported_layers(layer))
        elif isinstance(layer, Model):
            problems.append(f"{where} is a subclassed model; a generated script cannot define its call().")
        else:
            check_entry(serialize_keras_object(layer), where)
    return problems


# -- the architecture ----------------------------------------------------------------------------------------


def _structure_expr(structure, var_of: dict):
    """Nested tensors (call arguments, a model's inputs or outputs) written with their variables."""
    from engine.symbolic import KerasTensor
    return literal(structure, "a layer call argument",
                   lambda v: var_of[id(v)] if isinstance(v, KerasTensor) else None)


def _needed_nodes(model) -> tuple[list, set[int]]:
    """The model's nodes that compute values, and the ids of tensors that are masks made by Keras's mask
    operations (dropped: Keras recomputes masks itself when the script runs)."""
    from engine.symbolic import flatten
    nodes = model._nodes
    producer = {id(t): node for node in nodes for t in node.outputs}
    needed: set[int] = set()
    stack = [producer[id(t)] for t in model.outputs if id(t) in producer]
    while stack:
        node = stack.pop()
        if id(node) in needed:
            continue
        needed.add(id(node))
        value_args = flatten(node.call_args) + flatten({k: v for k, v in node.call_kwargs.items() if k != "mask"})
        stack.extend(producer[id(t)] for t in value_args if id(t) in producer)
    kept, dropped_masks = [], set()
    for node in nodes:
        if id(node) in needed:
            if getattr(type(node.layer), "is_keras_operation", False):
                raise PythonExportError(
                    f"Cannot write a Keras script for model '{model.name}': the operation "
                    f"'{node.layer.name}' ({type(node.layer).__name__}) computes values of the model, not only "
                    "a mask, and has no layer to write it with.")
            kept.append(node)
        else:
            dropped_masks.update(id(t) for t in node.outputs)
    return kept, dropped_masks


def _call_items(node, var_of: dict, dropped_masks: set[int]) -> list:
    from engine.symbolic import flatten
    items = [("", _structure_expr(arg, var_of)) for arg in node.call_args]
    for key, value in node.call_kwargs.items():
        if key == "mask" and (value is None or all(id(t) in dropped_masks for t in flatten(value))):
            continue
        items.append((f"{key}=", _structure_expr(value, var_of)))
    return items


def is_model(layer) -> bool:
    from engine.models.functional import Functional
    from engine.models.sequential import Sequential
    return type(layer) in (Sequential, Functional)


def model_lines(model, names: Names, target: str) -> list[str]:
    """Statements that build `model` into the variable `target` (nested models first)."""
    from engine.models.functional import Functional
    from engine.models.sequential import Sequential
    if type(model) is Sequential:
        return _sequential_lines(model, names, target)
    if type(model) is Functional:
        return _functional_lines(model, names, target)
    raise PythonExportError(f"Cannot write a Keras script for model '{model.name}': it is a subclassed model "
                            f"({type(model).__name__}), whose call() a script cannot define; only Sequential and "
                            "functional models can be written as code.")


def _model_kwargs(model) -> list:
    items = [("name=", literal(model.name, f"model '{model.name}'"))]
    if not model.trainable:
        items.append(("trainable=", "False"))
    return items


def _sequential_lines(model, names: Names, target: str) -> list[str]:
    from engine.layers.core.input_layer import InputLayer
    lines: list[str] = []
    entries = []
    first = model._layers[0] if model._layers else None
    if isinstance(first, InputLayer):
        entries.append(("", input_expr(first.get_config())))
    elif model._build_input_shape is not None:
        entries.append(("", input_expr({"batch_shape": list(model._build_input_shape)})))
    for layer in model.layers:
        if is_model(layer):
            variable = names.new(layer.name)
            lines.extend(model_lines(layer, names, variable))
            lines.append("")
            entries.append(("", variable))
        else:
            entries.append(("", layer_expr(layer)))
    lines.append(statement(target, Call("keras.Sequential", [("", Seq("[", "]", entries)), *_model_kwargs(model)])))
    return lines


def _functional_lines(model, names: Names, target: str) -> list[str]:
    lines: list[str] = []
    var_of: dict[int, str] = {}
    for tensor in model.inputs:
        input_layer = tensor.keras_history[0]
        var_of[id(tensor)] = names.new(input_layer.name)
        lines.append(statement(var_of[id(tensor)], input_expr(input_layer.get_config())))
    nodes, dropped_masks = _needed_nodes(model)
    calls = Counter(id(node.layer) for node in nodes)
    layer_var: dict[int, str] = {}
    for node in nodes:
        layer = node.layer
        if calls[id(layer)] > 1 or is_model(layer):
            if id(layer) not in layer_var:  # a shared layer or a model: defined once, then called
                layer_var[id(layer)] = names.new(layer.name)
                if is_model(layer):
                    lines.extend(["", *model_lines(layer, names, layer_var[id(layer)]), ""])
                else:
                    lines.append(statement(layer_var[id(layer)], layer_expr(layer)))
            func = layer_var[id(layer)]
            first_input = var_of.get(id(node.input_tensors[0]), "x") if node.input_tensors else "x"
            hint = f"{layer.name}_{first_input}" if calls[id(layer)] > 1 else f"{layer.name}_output"
        else:
            func, hint = layer_expr(layer), layer.name
        outputs = node.outputs
        if len(outputs) == 1:
            targets = [names.new(hint)]
        else:
            state = "_state" if getattr(layer, "return_state", False) else "_"
            targets = [names.new(hint if i == 0 else f"{hint}{state}{i}") for i in range(len(outputs))]
        for tensor, variable in zip(outputs, targets):
            var_of[id(tensor)] = variable
        lines.append(statement(", ".join(targets), Call(func, _call_items(node, var_of, dropped_masks))))
    lines.append(statement(target, Call("keras.Model", [
        ("inputs=", _structure_expr(model._inputs_struct, var_of)),
        ("outputs=", _structure_expr(model._outputs_struct, var_of)),
        *_model_kwargs(model)])))
    return lines


# -- compile -----------------------------------------------------------------------------------------------


def custom_compile_objects(model) -> list[str]:
    """Losses, metrics or an optimizer defined outside the engine (a script cannot define them)."""
    from engine.symbolic import flatten
    args = getattr(model, "_compile_config", None) or {}
    found = []
    leaves = [("loss", v) for v in flatten(args.get("loss"))] + \
        [("metric", v) for key in ("metrics", "weighted_metrics") for v in flatten(args.get(key))]
    leaves.append(("optimizer", getattr(model, "optimizer", None)))
    for kind, value in leaves:
        if value is None or isinstance(value, str):
            continue
        origin = value if inspect.isfunction(value) or inspect.isclass(value) else type(value)
        if not str(getattr(origin, "__module__", "")).startswith("engine."):
            found.append(f"the {kind} {getattr(origin, '__qualname__', value)!s} is custom code "
                         f"({origin.__module__}); a generated script cannot define it.")
    return found


def compile_lines(model) -> list[str]:
    """`model.compile(...)` as the model was compiled (a comment if it was not)."""
    config = model.get_compile_config()
    if not config:
        return ["# The model was not compiled in LayerStudio; call model.compile(...) before training."]
    where = f"the compile settings of model '{model.name}'"
    optimizer = _config_expr(config["optimizer"], f"{where}, optimizer")
    if isinstance(optimizer, Call) and not optimizer.items:  # all defaults: Keras's own shortcut ("adam")
        optimizer = literal(config["optimizer"]["class_name"].lower(), where)
    items = [("optimizer=", optimizer)]
    for key, namespace in (("loss", "keras.losses"), ("loss_weights", ""), ("metrics", "keras.metrics"),
                           ("weighted_metrics", "keras.metrics")):
        if config.get(key) is not None:
            items.append((f"{key}=", _config_expr(config[key], f"{where}, {key}", namespace)))
    return [statement("", Call("model.compile", items))]
