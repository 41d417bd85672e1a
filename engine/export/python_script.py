"""A model as a readable Keras 3 script: the architecture, `compile`, the trained weights, a summary.

`python_script(model)` writes `keras.Sequential([...])` for a Sequential model and one line per layer call
(functional API) otherwise. Each layer shows the arguments that differ from its class's defaults (found
by building a default instance of the same class in the engine) plus its `name`. Optional `data_code` and
`fit_code` blocks (CSV loading and preprocessing, a `model.fit(...)` call) go in marked sections; their
top-level imports join the script's import block. Layers Keras cannot rebuild from code (custom classes)
stop the export with an error naming them.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import json
import keyword
import math
import os
import re
import sys
import tempfile
import textwrap
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

WIDTH = 88  # the generated lines stay within black's/ruff's default line length
INDENT = 4


class PythonExportError(ValueError):
    """A model, layer or code block that cannot be written as a Keras script (nothing is written)."""


# -- expressions laid out within WIDTH ------------------------------------------------------------------------


@dataclass
class Call:
    """`func(items)`; each item is (prefix, expression), the prefix "" or "keyword="."""

    func: object  # a string or another expression (a layer object called on tensors)
    items: list = field(default_factory=list)


@dataclass
class Seq:
    """A list, tuple or dict display; dict items have the prefix `"key": `."""

    opener: str
    closer: str
    items: list = field(default_factory=list)


def flat(expr) -> str:
    """`expr` on one line."""
    if isinstance(expr, str):
        return expr
    inner = ", ".join(prefix + flat(e) for prefix, e in expr.items)
    if isinstance(expr, Call):
        return f"{flat(expr.func)}({inner})"
    if expr.opener == "(" and len(expr.items) == 1:
        inner += ","
    return f"{expr.opener}{inner}{expr.closer}"


def layout(expr, indent: int, used: int, tail: int = 0) -> str:
    """`expr` starting at column `used` of a line indented by `indent`, followed by `tail` characters: one
    line when it fits, otherwise one item per line (black's "magic trailing comma" style)."""
    text = flat(expr)
    if isinstance(expr, str) or used + len(text) + tail <= WIDTH:
        return text
    if isinstance(expr, Call):
        head = layout(expr.func, indent, used, 1)
        last = len(head.rsplit("\n", 1)[-1]) + (used if "\n" not in head else 0)
        args = ", ".join(prefix + flat(e) for prefix, e in expr.items)
        if last + len(args) + 2 + tail <= WIDTH:
            return f"{head}({args})"
        return head + _items_block("(", ")", expr.items, indent)
    return _items_block(expr.opener, expr.closer, expr.items, indent)


def _items_block(opener: str, closer: str, items: list, indent: int) -> str:
    inner = indent + INDENT
    lines = [opener]
    for prefix, e in items:
        lines.append(" " * inner + prefix + layout(e, inner, inner + len(prefix), 1) + ",")
    lines.append(" " * indent + closer)
    return "\n".join(lines)


def statement(target: str, expr, indent: int = 0) -> str:
    prefix = f"{target} = " if target else ""
    return " " * indent + prefix + layout(expr, indent, indent + len(prefix))


# -- Python literals ---------------------------------------------------------------------------------------


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return f'float("{value}")'
    text = repr(value)
    single = np.float32(value)
    if float(single) == value:  # a float32 value (a learning rate...): its short form casts back to it
        short = repr(float(str(single)))
        if len(short) < len(text):
            return short
    return text


def literal(value, where: str):
    """A Python expression for a config value (objects inside become constructor calls)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, tuple):
        return Seq("(", ")", [("", literal(v, where)) for v in value])
    if isinstance(value, list):
        return Seq("[", "]", [("", literal(v, where)) for v in value])
    if isinstance(value, dict):
        if _is_object(value):
            return object_expr(value, where)
        return Seq("{", "}", [(f"{json.dumps(str(k), ensure_ascii=False)}: ", literal(v, where))
                              for k, v in value.items()])
    raise PythonExportError(f"{where}: cannot write the value {value!r:.80} as Python")


def _is_object(value) -> bool:
    return isinstance(value, dict) and "class_name" in value and "config" in value


def _plain(value):
    """A value with tuples as lists and NumPy scalars as Python numbers, for comparisons."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    return value


# -- objects (layers, initializers, losses, optimizers...) as constructor calls ---------------------------

# Keys Keras recomputes by itself inside a wrapper: writing them would only add noise.
_IMPLIED_NESTED_KEYS = {"Bidirectional": {"zero_output_for_mask"}}


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
        cls = getattr(importlib.import_module(engine_module), class_name)
    except (ImportError, AttributeError):
        raise PythonExportError(f"{where}: the class {module}.{class_name} is unknown to LayerStudio, so its "
                                "defaults cannot be checked.") from None
    return cls


def _required_parameters(cls) -> list[str]:
    """Constructor parameters without a default, in order (written positionally)."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p.name for p in parameters if p.kind in kinds and p.default is inspect.Parameter.empty]


_DEFAULTS_CACHE: dict[str, dict | None] = {}


def _default_config(cls, entry: dict, required: list[str]) -> dict | None:
    """The config of a default instance of `cls` given the required arguments of `entry`, or None."""
    config = entry["config"]
    args = {p: config[p] for p in required if p in config}
    key = f"{cls.__module__}.{cls.__qualname__}:{json.dumps(_plain(args), sort_keys=True, default=str)}"
    if key not in _DEFAULTS_CACHE:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if str(entry.get("module")) == "keras.layers":
                    from engine.saving.serialization_lib import deserialize_keras_object
                    instance = deserialize_keras_object({"module": "keras.layers", "class_name": cls.__name__,
                                                         "config": {**args, "name": "defaults"}})
                else:
                    instance = cls(**args)
            _DEFAULTS_CACHE[key] = _plain(instance.get_config())
        except Exception:  # without defaults every argument is written, which is still right
            _DEFAULTS_CACHE[key] = None
    return _DEFAULTS_CACHE[key]


def _function_expr(entry: dict, where: str, namespace: str) -> str:
    name = entry["config"] if isinstance(entry["config"], str) else entry.get("registered_name")
    module = importlib.import_module("engine" + namespace[len("keras"):])
    if not isinstance(name, str) or not callable(getattr(module, name, None)):
        raise PythonExportError(f"{where}: the function {name!r} is not one of {namespace}'s; a generated "
                                "script cannot define custom functions.")
    return f"{namespace}.{name}"


def object_expr(entry: dict, where: str, namespace: str = "keras.activations", nested: bool = False,
                parent: str | None = None):
    """A serialized Keras object as the expression that creates it: its required arguments, then those that
    differ from a default instance's. Layers nested in another layer (a Bidirectional's LSTM, an RNN's
    cell) go without a name: their wrapper names them."""
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
    required = _required_parameters(cls)
    defaults = _default_config(cls, entry, required)
    items = [("", _value_expr(config[p], f"{where}, argument {p}", class_name)) for p in required if p in config]
    for key, value in config.items():
        if key in required or key in skipped:
            continue
        if defaults is not None and key in defaults and _same(value, defaults[key]):
            continue
        if key == "name" and defaults is not None and _is_automatic_name(value, defaults.get("name")):
            continue
        items.append((f"{key}=", _value_expr(value, f"{where}, argument {key}", class_name)))
    if is_layer:
        if not nested and config.get("name"):
            items.append(("name=", literal(config["name"], where)))
        return Call(f"layers.{class_name}", items)
    if not items and module in _SHORTCUT_MODULES and _shortcut(cls, module):
        return json.dumps(_shortcut(cls, module))
    return Call(f"{module}.{class_name}", items)


def layer_expr(entry: dict, where: str | None = None):
    """`layers.X(required..., non_default=..., name=...)` for a serialized layer."""
    where = where or f"layer '{entry['config'].get('name')}' ({entry['class_name']})"
    return object_expr(entry, where)


_SHORTCUT_MODULES = ("keras.initializers", "keras.regularizers", "keras.constraints")


def _shortcut(cls, module: str) -> str | None:
    """The string Keras accepts for a default instance of `cls` ("he_normal" for HeNormal()), if any."""
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
    if _is_object(value) and value.get("module") == "keras.layers":
        return object_expr(value, where, nested=True, parent=parent)
    if isinstance(value, list) and _is_int_tree(value):
        value = _as_tuples(value)  # shapes, sizes and axes read as tuples (as Keras writes them)
    return literal(value, where)


def _is_int_tree(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_int_tree(v) for v in value)
    return value is None or (isinstance(value, (int, np.integer)) and not isinstance(value, bool))


def _as_tuples(value):
    return tuple(_as_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


def _same(value, default) -> bool:
    """Equal configs, ignoring the names of nested layers (their wrapper names them) and the difference
    between `x` and `[x]`."""
    return _comparable(value) == _comparable(default)


def _comparable(value):
    value = _plain(value)
    if isinstance(value, dict):
        if _is_object(value) and value.get("module") == "keras.layers" and isinstance(value["config"], dict):
            value = {**value, "config": {k: v for k, v in value["config"].items() if k != "name"}}
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) == 1 and not isinstance(value[0], (list, dict)):
            return value[0]  # `axis=-1` reads back as [-1] once a layer is built
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
            if _is_object(value) and value.get("module") == "keras.layers":
                check_entry(value, f"{where}, argument {key}")

    for layer in model.layers:
        where = f"layer '{layer.name}' ({type(layer).__name__})"
        if getattr(type(layer), "is_keras_operation", False):
            continue  # mask computations: dropped if they only feed masks (checked with the graph)
        if _is_model(layer):
            problems.extend(unsupported_layers(layer))
        elif isinstance(layer, Model):
            problems.append(f"{where} is a subclassed model; a generated script cannot define its call().")
        else:
            check_entry(serialize_keras_object(layer), where)
    return problems


# -- the architecture ----------------------------------------------------------------------------------------


class Names:
    """Unique Python identifiers derived from layer names."""

    def __init__(self, reserved=()):
        self.taken = set(reserved) | set(dir(builtins)) | set(keyword.kwlist)

    def new(self, hint: str) -> str:
        base = re.sub(r"\W+", "_", str(hint)).strip("_").lower() or "x"
        if base[0].isdigit():
            base = f"x_{base}"
        name, n = base, 2
        while name in self.taken or keyword.iskeyword(name):
            name, n = f"{base}_{n}", n + 1
        self.taken.add(name)
        return name


def _structure_expr(structure, var_of: dict):
    from engine.symbolic import KerasTensor
    if isinstance(structure, KerasTensor):
        return var_of[id(structure)]
    if isinstance(structure, dict):
        return Seq("{", "}", [(f"{json.dumps(str(k))}: ", _structure_expr(v, var_of)) for k, v in structure.items()])
    if isinstance(structure, tuple):
        return Seq("(", ")", [("", _structure_expr(v, var_of)) for v in structure])
    if isinstance(structure, list):
        return Seq("[", "]", [("", _structure_expr(v, var_of)) for v in structure])
    return literal(structure, "a layer call argument")


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


def _is_model(layer) -> bool:
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
    from engine.saving.serialization_lib import serialize_keras_object
    lines: list[str] = []
    stack = []
    first = model._layers[0] if model._layers else None
    if isinstance(first, InputLayer):
        stack.append(("", input_expr(first.get_config())))
    elif model._build_input_shape is not None:
        stack.append(("", input_expr({"batch_shape": list(model._build_input_shape)})))
    for layer in model.layers:
        if _is_model(layer):
            variable = names.new(layer.name)
            lines.extend(model_lines(layer, names, variable))
            lines.append("")
            stack.append(("", variable))
        else:
            stack.append(("", layer_expr(serialize_keras_object(layer))))
    lines.append(statement(target, Call("keras.Sequential", [("", Seq("[", "]", stack)), *_model_kwargs(model)])))
    return lines


def _functional_lines(model, names: Names, target: str) -> list[str]:
    from engine.saving.serialization_lib import serialize_keras_object
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
        if calls[id(layer)] > 1 or _is_model(layer):
            if id(layer) not in layer_var:  # a shared layer or a model: defined once, then called
                layer_var[id(layer)] = names.new(layer.name)
                if _is_model(layer):
                    lines.extend(["", *model_lines(layer, names, layer_var[id(layer)]), ""])
                else:
                    lines.append(statement(layer_var[id(layer)], layer_expr(serialize_keras_object(layer))))
            func = layer_var[id(layer)]
            first_input = var_of.get(id(node.input_tensors[0]), "x") if node.input_tensors else "x"
            hint = f"{layer.name}_{first_input}" if calls[id(layer)] > 1 else f"{layer.name}_output"
        else:
            func, hint = layer_expr(serialize_keras_object(layer)), layer.name
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


def _custom_compile_objects(model) -> list[str]:
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


def _tree_expr(value, where: str, namespace: str):
    if isinstance(value, dict) and not _is_object(value):
        return Seq("{", "}", [(f"{json.dumps(str(k))}: ", _tree_expr(v, where, namespace)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return Seq("[", "]", [("", _tree_expr(v, where, namespace)) for v in value])
    if _is_object(value):
        return object_expr(value, where, namespace=namespace)
    return literal(value, where)


def _optimizer_expr(optimizer, where: str):
    if not _is_object(optimizer):
        return literal(optimizer, where)
    expr = object_expr(optimizer, where)
    if isinstance(expr, Call) and not expr.items:
        return json.dumps(optimizer["class_name"].lower())  # all defaults: Keras's own shortcut
    return expr


def compile_lines(model) -> list[str]:
    """`model.compile(...)` as the model was compiled (a comment if it was not)."""
    config = model.get_compile_config() if hasattr(model, "get_compile_config") else {}
    if not config:
        return ["# The model was not compiled in LayerStudio; call model.compile(...) before training."]
    where = f"the compile settings of model '{model.name}'"
    items = [("optimizer=", _optimizer_expr(config.get("optimizer"), f"{where}, optimizer"))]
    for key, namespace in (("loss", "keras.losses"), ("loss_weights", ""), ("metrics", "keras.metrics"),
                           ("weighted_metrics", "keras.metrics")):
        if config.get(key) is not None:
            items.append((f"{key}=", _tree_expr(config[key], f"{where}, {key}", namespace)))
    return [statement("", Call("model.compile", items))]


# -- code blocks from the studio --------------------------------------------------------------------------------


@dataclass
class Block:
    """A user code block without its top-level imports (which join the script's import block)."""

    code: str
    imports: list[ast.stmt]
    names: set[str]


def parse_block(code: str | None, label: str) -> Block | None:
    if code is None or not code.strip():
        return None
    code = textwrap.dedent(code).strip("\n")
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        raise PythonExportError(f"{label} is not valid Python: line {err.lineno}: {err.msg}") from None
    lines = code.splitlines()
    imports = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
    drop = {i for s in imports for i in range(s.lineno - 1, s.end_lineno)}
    kept = "\n".join(line for i, line in enumerate(lines) if i not in drop).strip("\n")
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    names |= {(a.asname or a.name).split(".")[0] for s in imports for a in s.names}
    return Block(re.sub(r"\n{3,}", "\n\n", kept), imports, names)


def import_block(statements: list[ast.stmt]) -> str:
    """Import statements merged and ordered as isort/ruff order them (future, stdlib, third party; plain
    `import x` before `from x import y` within a section)."""
    plain: set[tuple[str, str | None]] = set()
    members: dict[str, set[tuple[str, str | None]]] = {}
    for s in statements:
        if isinstance(s, ast.Import):
            plain.update((a.name, a.asname) for a in s.names)
        else:
            module = "." * s.level + (s.module or "")
            members.setdefault(module, set()).update((a.name, a.asname) for a in s.names)

    def section(module: str) -> int:
        top = module.lstrip(".").split(".")[0]
        if top == "__future__":
            return 0
        if module.startswith("."):
            return 3
        return 1 if top in sys.stdlib_module_names else 2

    def alias(name: str, asname: str | None) -> str:
        return name if asname is None or asname == name else f"{name} as {asname}"

    def member_key(item):
        name = item[0]
        kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
        return kind, name.lower(), item[1] or ""

    sections: dict[int, list[str]] = {}
    for name, asname in sorted(plain, key=lambda a: (a[0].lower(), a[1] or "")):
        sections.setdefault(section(name), []).append(f"import {alias(name, asname)}")
    for module in sorted(members, key=str.lower):
        names = ", ".join(alias(*m) for m in sorted(members[module], key=member_key))
        line = f"from {module} import {names}"
        if len(line) > WIDTH:
            inner = "".join(f"    {alias(*m)},\n" for m in sorted(members[module], key=member_key))
            line = f"from {module} import (\n{inner})"
        sections.setdefault(section(module), []).append(line)
    return "\n\n".join("\n".join(sections[k]) for k in sorted(sections))


# -- the script --------------------------------------------------------------------------------------------


def _banner(title: str) -> str:
    return f"# -- {title} ".ljust(79, "-")


def _docstring(model, weights_path: str | None, script_name: str, kind: str, data: bool, fit: bool) -> str:
    safe_name = str(model.name).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    steps = [f"defines the architecture ({kind})"]
    if getattr(model, "compiled", False):
        steps.append("compiles it as it was compiled in LayerStudio")
    if weights_path:
        steps.append(f"loads the trained weights from {os.path.basename(weights_path)}")
    steps.append("prints a summary")
    if data:
        steps.append("loads and prepares the data")
    if fit:
        steps.append("trains the model")
    text = "It " + ", ".join(steps[:-1]) + " and " + steps[-1] + "."
    if weights_path and not os.path.isabs(weights_path):
        text += f" Keep {weights_path} next to this script."
    body = textwrap.fill(text, width=WIDTH - 4)
    from engine import __version__
    return (f'"""Keras 3 script for the model "{safe_name}", exported by LayerStudio {__version__}.\n\n'
            f"{body}\n\nRun it with Keras 3 on any backend, for example PyTorch:\n\n"
            f"    pip install keras torch\n    KERAS_BACKEND=torch python {script_name}\n\"\"\"")


def _weights_lines(weights_path: str) -> tuple[list[str], bool]:
    """The `load_weights` call, and whether it needs `pathlib.Path` (a path relative to the script)."""
    if not (weights_path.endswith(".keras") or weights_path.endswith(".weights.h5")):
        raise PythonExportError(f"weights_path must name a .keras or .weights.h5 file; received {weights_path!r}")
    if os.path.isabs(weights_path):
        line = f"model.load_weights({json.dumps(weights_path, ensure_ascii=False)})"
        return [line + ("  # noqa: E501" if len(line) > WIDTH else "")], False
    relative = weights_path.replace(os.sep, "/")
    line = f"model.load_weights(Path(__file__).parent / {json.dumps(relative, ensure_ascii=False)})"
    return [line + ("  # noqa: E501" if len(line) > WIDTH else "")], True


def _predict_example(model) -> list[str]:
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) > 1:
        names = ["x_" + re.sub(r"\W+", "_", t.keras_history[0].name) for t in inputs]
        lines = ["# Predictions for new samples, one NumPy array per input:"]
        lines += [f"#   {n}: shape (n, {', '.join(str(d) for d in t.shape[1:])})" for n, t in zip(names, inputs)]
        struct = getattr(model, "_inputs_struct", None)
        if isinstance(struct, dict):
            keys = {id(t): k for k, t in struct.items()}
            pairs = ", ".join(f"{json.dumps(str(keys[id(t)]))}: {n}" for n, t in zip(names, inputs))
            return lines + [f"# predictions = model.predict({{{pairs}}})"]
        return lines + [f"# predictions = model.predict([{', '.join(names)}])"]
    shape = ", ".join(str(d) for d in inputs[0].shape[1:]) if inputs else None
    described = f" of shape (n, {shape})" if shape is not None else ""
    return [f"# Predictions for new samples (a NumPy array{described}):", "# predictions = model.predict(x)"]


def python_script(model, weights_path: str | None = None, data_code: str | None = None,
                  fit_code: str | None = None, *, script_name: str = "model.py") -> str:
    """A standalone Keras 3 script that rebuilds, compiles and (with `weights_path`, a `.keras` or
    `.weights.h5` file; relative paths are taken next to the script) loads `model`.

    `data_code` (loading and preprocessing data) and `fit_code` (e.g. a `model.fit(...)` call) are Python
    blocks inserted in their own sections, before the model and after it. Raises `PythonExportError`
    naming every layer or setting that a script cannot rebuild.
    """
    from engine.models.sequential import Sequential
    if not getattr(model, "built", False) and weights_path:
        raise PythonExportError(f"Model '{model.name}' is not built, so it has no weights to load; build it (or "
                                "call it on data) first.")
    problems = []
    if _is_model(model):
        problems = unsupported_layers(model)
    problems += _custom_compile_objects(model)
    if problems:
        raise PythonExportError(f"Cannot write a Keras script for model '{model.name}':\n  " + "\n  ".join(problems))
    data = parse_block(data_code, "data_code")
    fit = parse_block(fit_code, "fit_code")
    blocks = [b for b in (data, fit) if b is not None]
    names = Names({"keras", "layers", "model", "Path", "np"}.union(*(b.names for b in blocks)))

    architecture = model_lines(model, names, "model")
    imports = [*ast.parse("import keras\nfrom keras import layers").body, *(s for b in blocks for s in b.imports)]
    parts = []
    if weights_path:
        weights, needs_path = _weights_lines(weights_path)
        if needs_path:
            imports.extend(ast.parse("from pathlib import Path").body)
    kind = "keras.Sequential" if type(model) is Sequential else "Keras functional API"
    parts.append(_docstring(model, weights_path, script_name, kind, data is not None, fit is not None))
    parts.append(import_block(imports))
    if data is not None:
        parts.append(_banner("Data (from LayerStudio's CSV import)") + "\n" + data.code)
    model_part = [_banner("Model"), *architecture, "", *compile_lines(model)]
    if weights_path:
        optimizer = getattr(model, "optimizer", None)
        if getattr(optimizer, "built", False):  # the file holds its state: create the slots that receive it
            model_part += ["", "# The trained weights and the optimizer's state (to continue training),",
                           "# exported by LayerStudio", "model.optimizer.build(model.trainable_variables)"]
        else:
            model_part += ["", "# The trained weights, exported by LayerStudio"]
        model_part += weights
    model_part += ["model.summary()"]
    parts.append("\n".join(model_part))
    if fit is not None:
        parts.append(_banner("Training") + "\n" + fit.code)
    if data is None and fit is None:
        parts.append("\n".join([_banner("Use the model"), *_predict_example(model)]))
    return "\n\n".join(part.rstrip() for part in parts) + "\n"


def export_python_script(model, path, weights_path: str | None = None, data_code: str | None = None,
                         fit_code: str | None = None) -> None:
    """Write `python_script(...)` to `path` atomically (a temporary file in the same folder, then renamed)."""
    path = os.fspath(path)
    text = python_script(model, weights_path=weights_path, data_code=data_code, fit_code=fit_code,
                         script_name=os.path.basename(path))
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".", suffix=".py.tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)  # mkstemp's file is private; a script is an ordinary readable file
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
