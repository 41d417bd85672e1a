"""The layer catalog: every layer class `engine.layers` exports, discovered at run time.

Each `LayerType` knows its family (from the module it lives in), a one-line summary (its docstring),
its editable arguments (from `inspect.signature` and `get_config()`), how many inputs it takes, and
how to turn a node's config into an engine layer. New engine layers appear here with no change.
"""

from __future__ import annotations

import functools
import inspect
import json
from dataclasses import dataclass

import engine
from engine import layers as engine_layers

#: Palette order of the families; the key is the package under `engine.layers`.
FAMILIES = {
    "input": "Input", "core": "Core", "activations": "Activation", "convolutional": "Convolution",
    "pooling": "Pooling", "rnn": "Recurrent", "normalization": "Normalization", "preprocessing": "Preprocessing",
    "merging": "Merge",
    "reshaping": "Reshape", "regularization": "Regularization", "attention": "Attention", "other": "Other",
}

#: Exported layers that are not placed from the palette, and why: bases, code-running layers, the Input
#: machinery, pieces of other layers.
NOT_IN_PALETTE = {
    "Layer": "the base class every layer derives from: custom layers are written in code",
    "InputLayer": "placed as the Input node",
    "Lambda": "it runs a Python function, which is written in code (a project file never holds code)",
    "RNN": "it runs a cell object written in code; the palette offers SimpleRNN, LSTM and GRU",
    "SimpleRNNCell": "a cell is one step inside a recurrent layer; the palette offers SimpleRNN",
    "LSTMCell": "a cell is one step inside a recurrent layer; the palette offers LSTM",
    "GRUCell": "a cell is one step inside a recurrent layer; the palette offers GRU",
}
_EXCLUDED = {*NOT_IN_PALETTE, "InputSpec", "Wrapper", "Merge", "TFSMLayer"}

#: Layers the canvas does not offer, and why (they stay in the engine for code and for exported models).
NOT_ON_CANVAS = {
    name: "its input is raw text or ids and its vocabulary or buckets come from the data, not from a value "
          "typed on the canvas; the studio builds it from the project's fitted preprocessing when it exports "
          "a model that takes raw columns"
    for name in ("StringLookup", "IntegerLookup", "TextVectorization", "Hashing", "HashedCrossing")
}

#: Values for required arguments, so that a layer dropped from the palette is valid at once.
STARTING_VALUES = {
    "units": 32, "filters": 32, "kernel_size": 3, "pool_size": 2, "rate": 0.5, "target_shape": [-1],
    "dims": [2, 1], "n": 3, "axes": -1,
    "input_dim": 1000, "output_dim": 64, "stddev": 0.1, "num_heads": 2, "key_dim": 16, "groups": 1,
    "depth_multiplier": 1, "axis": -1, "max_value": None, "scale": 1.0, "equation": "...b,bc->...c",
    "output_shape": 32, "height": 32, "width": 32, "factor": 0.1, "height_factor": 0.1, "width_factor": 0.1,
}

#: Optional arguments a layer is not valid without (Discretization: its bins; CategoryEncoding: its size).
STARTING_OPTIONS = {"Discretization": {"bin_boundaries": [0.0]}, "CategoryEncoding": {"num_tokens": 10}}

#: Arguments a user does not edit on the canvas (the node's own name is edited apart).
HIDDEN_ARGUMENTS = {"self", "name", "dtype", "trainable", "autocast", "input_shape", "input_dim_arg",
                    "batch_input_shape", "lora_rank", "lora_alpha", "quantization_config", "kwargs",
                    "input_tensor", "sparse", "ragged", "batch_shape", "optional", "cell", "backward_layer"}

#: Arguments hidden for one layer type only, by type name.
HIDDEN_FOR = {
    # Resizing options the engine refuses (it resizes without cropping, padding or antialiasing)
    "Resizing": {"crop_to_aspect_ratio", "pad_to_aspect_ratio", "fill_mode", "fill_value", "antialias"},
}

#: Fixed choices for string arguments, by argument name.
CHOICES = {
    "padding": ("valid", "same"),
    "data_format": ("channels_last", "channels_first"),
    "interpolation": ("nearest", "bilinear"),
    "fill_mode": ("reflect", "wrap", "constant", "nearest"),
    "merge_mode": ("concat", "sum", "mul", "ave", None),
    "score_mode": ("dot", "concat"),
    "mode": ("horizontal", "vertical", "horizontal_and_vertical"),
    "dtype": ("float32", "float64", "int32", "int64"),
    "output_mode": ("int", "one_hot", "multi_hot", "count"),
}

#: String arguments that may also be None (blank in the editor).
_OPTIONAL_TEXT = {"bias_axes"}

#: Merge layers that take exactly two inputs.
_TWO_INPUTS = {"Subtract", "Dot"}

#: Layers that attend from a query to a value (and optional key): one wire is self-attention.
ATTENTION_PORTS = ("query", "value", "key")


class CatalogError(ValueError):
    """A node's type is not an engine layer, or its config does not make one."""


@dataclass(frozen=True)
class Argument:
    """One editable constructor argument and the kind of editor it needs."""

    name: str
    kind: str  # int, float, bool, choice, ints, shape, optional_int, text, optional_text, activation,
    #           initializer, regularizer, constraint, layer, literal
    default: object = None
    choices: tuple = ()


@dataclass(frozen=True)
class LayerType:
    """A placeable layer: its palette name, engine class, family and one-line summary."""

    name: str
    cls: type
    family: str
    summary: str
    is_merge: bool = False

    @property
    def is_input(self) -> bool:
        return self.name == "Input"

    @property
    def is_attention(self) -> bool:
        """Takes a query, a value and an optional key (one wire: the query attends to itself)."""
        return issubclass(self.cls, (engine_layers.MultiHeadAttention, engine_layers.Attention))

    @property
    def arity(self) -> tuple[int, int | None]:
        """(fewest, most) inputs; None for 'any number'."""
        if self.is_input:
            return 0, 0
        if self.is_merge:
            return (2, 2) if self.name in _TWO_INPUTS else (2, None)
        if self.is_attention:
            return 1, len(ATTENTION_PORTS)
        return 1, 1

    @property
    def takes_one_tensor(self) -> bool:
        """Called on exactly one tensor, so it can stand in a `Sequential` stack."""
        return not self.is_input and self.arity == (1, 1)

    def call(self, layer, tensors: list):
        """Call `layer` on the tensors wired into it, in port order (merges get a list; attention layers get
        query, value (the query if unwired) and key)."""
        if self.is_merge:
            return layer(list(tensors))
        if self.is_attention:
            query = tensors[0]
            value = tensors[1] if len(tensors) > 1 else query
            if issubclass(self.cls, engine_layers.MultiHeadAttention):
                return layer(query, value, key=tensors[2] if len(tensors) > 2 else None)
            return layer([query, value, *tensors[2:]])
        return layer(tensors[0])

    def default_config(self) -> dict:
        if self.is_input:
            return normalize_config(self.name, {"shape": [4], "batch_size": None, "dtype": "float32"})
        signature = inspect.signature(self.cls.__init__)
        args = {p.name: STARTING_VALUES.get(p.name) for p in signature.parameters.values()
                if p.default is inspect.Parameter.empty and p.name != "self"
                and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        args.update(STARTING_OPTIONS.get(self.name, {}))
        if "layer" in args:
            args["layer"] = engine_layers.Dense(32) if self.name == "TimeDistributed" else engine_layers.LSTM(32)
        return _plain(_config_of(self.cls(**args)))

    def arguments(self, config: dict) -> list[Argument]:
        """The arguments shown in the property editor, in signature order."""
        if self.is_input:
            return [Argument("shape", "shape", [4]), Argument("batch_size", "optional_int", None),
                    Argument("dtype", "choice", "float32", CHOICES["dtype"])]
        out = []
        for p in inspect.signature(self.cls.__init__).parameters.values():
            if (p.name in HIDDEN_ARGUMENTS or p.name in HIDDEN_FOR.get(self.name, ()) or p.name not in config
                    or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL)):
                continue
            default = None if p.default is inspect.Parameter.empty else p.default
            out.append(_argument(self.name, p.name, default, config[p.name]))
        return out

    def create(self, config: dict, name: str):
        """A fresh engine layer (an `InputLayer` for Input) from a node's config."""
        if self.is_input:
            return engine_layers.InputLayer(shape=tuple(config["shape"]), batch_size=config.get("batch_size"),
                                            dtype=config.get("dtype"), name=name)
        return self.cls.from_config({**config, "name": name})


def _argument(type_name: str, name: str, default, value) -> Argument:
    if name in ("activation", "recurrent_activation"):
        return Argument(name, "activation", default)
    for suffix in ("initializer", "regularizer", "constraint"):
        if name.endswith("_" + suffix):
            return Argument(name, suffix, default)
    if name == "layer" and isinstance(value, dict):
        return Argument(name, "layer", default, wrappable_layers(type_name))
    if name in CHOICES and (isinstance(value, str) or value is None):
        choices = CHOICES[name]
        if name == "padding" and "1D" in type_name and "Conv" in type_name:
            choices = (*choices, "causal")
        return Argument(name, "choice", default, choices)
    if isinstance(value, bool):
        return Argument(name, "bool", default)
    if isinstance(value, int):
        return Argument(name, "int", default)
    if isinstance(value, float):
        return Argument(name, "float", default)
    if isinstance(value, list) and all(isinstance(v, int) or v is None for v in value) and name != "value_range":
        return Argument(name, "ints", default)
    if isinstance(value, str) or (value is None and name in _OPTIONAL_TEXT):
        return Argument(name, "text" if isinstance(value, str) and name not in _OPTIONAL_TEXT else "optional_text",
                        default)
    if value is None and name in ("seed", "max_value", "sliding_window"):
        return Argument(name, "literal" if name == "max_value" else "optional_int", default)
    return Argument(name, "literal", default)


def _config_of(layer) -> dict:
    config = layer.get_config()
    config.pop("name", None)
    return config


def _plain(config: dict) -> dict:
    """The config as JSON would give it back (tuples become lists), so saved files round-trip exactly."""
    try:
        return json.loads(json.dumps(config))
    except (TypeError, ValueError) as err:
        raise CatalogError(f"the layer config cannot be saved as JSON: {err}") from err


def _family(cls: type) -> str:
    parts = cls.__module__.split(".")
    if len(parts) >= 3 and parts[:2] == ["engine", "layers"]:
        return parts[2] if parts[2] in FAMILIES else "other"
    return "other"


def _first_line(cls: type) -> str:
    """The first line of the class docstring, else of its module's docstring."""
    import sys
    for doc in (cls.__doc__, getattr(sys.modules.get(cls.__module__), "__doc__", None)):
        lines = [line.strip() for line in (doc or "").strip().splitlines() if line.strip()]
        if lines:
            return lines[0].replace("`", "")
    return ""


def _is_merge(cls: type) -> bool:
    return any(base.__name__ == "Merge" for base in cls.__mro__[1:]) or ".merging." in cls.__module__


@functools.lru_cache(maxsize=1)
def layer_types() -> dict[str, LayerType]:
    """Every placeable layer by name: "Input" first, then `engine.layers` exports in family order."""
    found = {"Input": LayerType("Input", engine_layers.InputLayer, "input",
                                "A model input: the shape of one sample (without the batch).")}
    names = getattr(engine_layers, "__all__", None) or dir(engine_layers)
    for name in sorted(names):
        cls = getattr(engine_layers, name, None)
        if (not inspect.isclass(cls) or not issubclass(cls, engine_layers.Layer) or name in _EXCLUDED
                or name in NOT_ON_CANVAS
                or name.startswith("Base") or name.endswith("Cell") or inspect.isabstract(cls)
                or name != cls.__name__):
            continue
        ltype = LayerType(name, cls, _family(cls), _first_line(cls), _is_merge(cls))
        try:
            ltype.default_config()
        except Exception:  # a layer we cannot build with starting values is not offered
            continue
        found[name] = ltype
    order = list(FAMILIES)
    return dict(sorted(found.items(), key=lambda kv: (order.index(kv[1].family), kv[0])))


#: Wrappers, which the palette does not offer inside a wrapper.
_WRAPPERS = {"Bidirectional", "TimeDistributed"}


def wrappable_layers(wrapper: str) -> tuple[str, ...]:
    """The layer types a wrapper can hold, in palette order: Bidirectional a recurrent layer, TimeDistributed
    any layer called on one tensor (applied to every step)."""
    types = layer_types()
    if wrapper == "Bidirectional":
        return tuple(n for n, t in types.items() if t.family == "rnn" and n not in _WRAPPERS)
    return tuple(n for n, t in types.items() if t.takes_one_tensor and n not in _WRAPPERS)


def inner_arguments(type_name: str, config: dict) -> list[Argument]:
    """The arguments of a wrapped layer edited beside its type: the required ones (units, filters, rate...),
    a pooling size and the activation."""
    ltype = layer_type(type_name)
    signature = inspect.signature(ltype.cls.__init__).parameters
    wanted = [n for n, p in signature.items() if p.default is inspect.Parameter.empty and n != "self"
              and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    wanted += [n for n in ("pool_size", "activation") if n in signature]
    return [a for a in ltype.arguments(config) if a.name in wanted]


def layer_type(name: str) -> LayerType:
    try:
        return layer_types()[name]
    except KeyError:
        raise CatalogError(f"'{name}' is not a layer of this engine (engine {engine.__version__})") from None


def input_arity(type_name: str) -> tuple[int, int | None]:
    """(fewest, most) inputs of a layer type; unknown types take one."""
    ltype = layer_types().get(type_name)
    return ltype.arity if ltype else (1, 1)


def normalize_config(type_name: str, config: dict) -> dict:
    """The full, JSON-plain config the engine makes of `config`; CatalogError with the engine's reason if it
    makes no layer (e.g. units=0)."""
    ltype = layer_type(type_name)
    if ltype.is_input:
        shape = config.get("shape")
        if not isinstance(shape, (list, tuple)) or not shape or not all(
                d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in shape):
            raise CatalogError(f"Input shape must be one or more positive sizes (or None), e.g. [28, 28, 1]; "
                               f"got {shape!r}")
        batch = config.get("batch_size")
        if batch is not None and (not isinstance(batch, int) or batch <= 0):
            raise CatalogError(f"batch_size must be a positive integer or empty; got {batch!r}")
        layer = ltype.create(config, "probe")
        return {"shape": list(shape), "batch_size": batch, "dtype": layer.dtype}
    try:
        layer = ltype.create(config, "probe")
    except Exception as err:  # the engine's message is the most precise reason we can give
        raise CatalogError(str(err)) from err
    return _plain(_config_of(layer))
