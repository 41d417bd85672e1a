"""Activation functions as ONNX nodes.

An activation is recognized by identity: a function of `engine.activations` (what a layer's
`activation="..."` resolves to), the same-named function of `engine.ops` (with the ops' defaults: its
`gelu` is the tanh approximation), or a `functools.partial` of one of them with keyword arguments
(`partial(activations.gelu, approximate=True)`, `partial(activations.leaky_relu, negative_slope=0.1)`).
Any other callable cannot be exported: its computation is unknown until it runs.
"""

from __future__ import annotations

import functools
import math

from engine import activations, ops
from engine.export.graph import GraphBuilder, Value
from engine.export.registry import unsupported

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_NOT_ELEMENTWISE = {"softmax", "log_softmax"}
_OPS_NAMES = {"exp": "exponential", "swish": "silu", "hard_swish": "hard_silu"}


@functools.cache
def _known() -> dict:
    """Function object -> (canonical name, default keyword arguments)."""
    table = {}
    for name, fn in activations.REGISTRY.items():
        table.setdefault(fn, ({"swish": "silu", "hard_swish": "hard_silu"}.get(name, name), {}))
    for name in ("relu", "relu6", "leaky_relu", "elu", "selu", "softmax", "log_softmax", "softplus", "softsign",
                 "silu", "swish", "gelu", "tanh", "sigmoid", "exp", "hard_sigmoid", "hard_silu", "hard_swish",
                 "mish"):
        fn = getattr(ops, name, None)
        if fn is not None:
            table.setdefault(fn, (_OPS_NAMES.get(name, name), {"approximate": True} if name == "gelu" else {}))
    return table


def identify(function) -> tuple[str, dict] | None:
    """(name, keyword arguments) of an exportable activation, or None."""
    if function is None:
        return "linear", {}
    table = _known()
    if isinstance(function, functools.partial) and not function.args and function.func in table:
        name, defaults = table[function.func]
        return name, {**defaults, **(function.keywords or {})}
    try:
        return table.get(function)
    except TypeError:  # an unhashable callable
        return None


def describe(function) -> str:
    return getattr(function, "__name__", None) or repr(function)


def is_elementwise(function) -> bool:
    found = identify(function)
    return found is None or found[0] not in _NOT_ELEMENTWISE


def is_linear(function) -> bool:
    return identify(function) == ("linear", {})


def apply_activation(graph: GraphBuilder, function, x: Value, layer) -> Value:
    """`function(x)` as nodes; an activation ONNX cannot express raises an error naming `layer`."""
    found = identify(function)
    if found is None:
        raise unsupported(layer, f"its activation {describe(function)!r} is not a built-in activation (custom "
                                 "callables cannot be exported).")
    name, kwargs = found
    emit = _EMITTERS[name]
    try:
        return emit(graph, x, **kwargs)
    except TypeError as err:
        raise unsupported(layer, f"activation {name!r} with arguments {kwargs}: {err}") from err


# -- one emitter per activation ------------------------------------------------------------

def _relu(g: GraphBuilder, x: Value, negative_slope=0.0, max_value=None, threshold=0.0) -> Value:
    if threshold == 0.0 and max_value is None:
        return g.unary("Relu", x) if negative_slope == 0.0 else g.unary("LeakyRelu", x, alpha=float(negative_slope))
    below = g.op("Less", [x, g.scalar(threshold, x.dtype)], x.shape, "bool")
    if negative_slope:
        low = g.binary("Mul", g.binary("Sub", x, g.scalar(threshold, x.dtype)), g.scalar(negative_slope, x.dtype))
    else:
        low = Value(g.scalar(0.0, x.dtype), (), x.dtype)
    out = g.op("Where", [below, low, x], x.shape, x.dtype)
    if max_value is not None:
        out = g.binary("Min", out, g.scalar(max_value, x.dtype))
    return out


def _relu6(g, x):
    return g.op("Clip", [x, g.scalar(0.0, x.dtype), g.scalar(6.0, x.dtype)], x.shape)


def _leaky_relu(g, x, negative_slope=0.2):
    return g.unary("LeakyRelu", x, alpha=float(negative_slope))


def _elu(g, x, alpha=1.0):
    return g.unary("Elu", x, alpha=float(alpha))


def _selu(g, x):
    return g.unary("Selu", x, alpha=_SELU_ALPHA, gamma=_SELU_SCALE)


def _softmax(g, x, axis=-1):
    return g.unary("Softmax", x, axis=x.axis(axis))


def _log_softmax(g, x, axis=-1):
    return g.unary("LogSoftmax", x, axis=x.axis(axis))


def _silu(g, x):
    return g.binary("Mul", x, g.unary("Sigmoid", x))


def _gelu(g, x, approximate=False):
    if approximate:  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.binary("Mul", g.binary("Mul", x, x), x)
        inner = g.binary("Add", x, g.binary("Mul", cube, g.scalar(0.044715, x.dtype)))
        core = g.unary("Tanh", g.binary("Mul", inner, g.scalar(math.sqrt(2 / math.pi), x.dtype)))
    else:  # 0.5 x (1 + erf(x / sqrt(2)))
        core = g.unary("Erf", g.binary("Mul", x, g.scalar(1 / math.sqrt(2), x.dtype)))
    half_x = g.binary("Mul", x, g.scalar(0.5, x.dtype))
    return g.binary("Mul", half_x, g.binary("Add", core, g.scalar(1.0, x.dtype)))


def _mish(g, x):
    return g.binary("Mul", x, g.unary("Tanh", g.unary("Softplus", x)))


def _simple(op_type: str, **attributes):
    return lambda g, x: g.unary(op_type, x, **attributes)


_EMITTERS = {
    "relu": _relu,
    "relu6": _relu6,
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "selu": _selu,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "softplus": _simple("Softplus"),
    "softsign": _simple("Softsign"),
    "silu": _silu,
    "gelu": _gelu,
    "tanh": _simple("Tanh"),
    "sigmoid": _simple("Sigmoid"),
    "exponential": _simple("Exp"),
    "hard_sigmoid": _simple("HardSigmoid", alpha=1 / 6, beta=0.5),
    "hard_silu": _simple("HardSwish"),
    "mish": _mish,
    "linear": lambda g, x: x,
}


def recurrent_activation(function, layer) -> tuple[str, float | None, float | None]:
    """The ONNX name (with alpha and beta where it takes them) of an activation inside LSTM/GRU/RNN ops."""
    found = identify(function)
    name, kwargs = found if found is not None else (describe(function), None)
    simple = {"tanh": "Tanh", "sigmoid": "Sigmoid", "softsign": "Softsign", "softplus": "Softplus"}
    if kwargs == {} and name in simple:
        return simple[name], None, None
    if kwargs == {} and name == "relu":
        return "Relu", None, None
    if kwargs == {} and name == "linear":
        return "Affine", 1.0, 0.0
    if kwargs == {} and name == "hard_sigmoid":
        return "HardSigmoid", 1 / 6, 0.5
    if found is not None and name == "elu" and set(kwargs) <= {"alpha"}:
        return "Elu", float(kwargs.get("alpha", 1.0)), None
    if found is not None and name == "leaky_relu" and set(kwargs) <= {"negative_slope"}:
        return "LeakyRelu", float(kwargs.get("negative_slope", 0.2)), None
    raise unsupported(layer, f"the activation {name!r} has no equivalent inside ONNX's recurrent operators "
                             "(supported: tanh, sigmoid, relu, linear, hard_sigmoid, softsign, softplus, elu, "
                             "leaky_relu).")
