"""Activation functions by Keras name (`"relu"`, `"softmax"`, `"gelu"`...), with `get` and `serialize`."""

from __future__ import annotations

from engine import ops
from engine.serialization import unknown_identifier


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    x = ops.convert_to_tensor(x)
    below = ops.less(x, threshold)
    out = ops.where(below, ops.multiply(ops.subtract(x, threshold), negative_slope) if negative_slope else 0.0, x)
    if max_value is not None:
        out = ops.minimum(out, max_value)
    return out


def relu6(x):
    return ops.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    return ops.leaky_relu(x, negative_slope=negative_slope)


def elu(x, alpha=1.0):
    return ops.elu(x, alpha=alpha)


def selu(x):
    return ops.selu(x)


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis=axis)


def softplus(x):
    return ops.softplus(x)


def softsign(x):
    return ops.softsign(x)


def silu(x):
    return ops.silu(x)


swish = silu


def gelu(x, approximate=False):
    return ops.gelu(x, approximate=approximate)


def tanh(x):
    return ops.tanh(x)


def sigmoid(x):
    return ops.sigmoid(x)


def exponential(x):
    return ops.exp(x)


def hard_sigmoid(x):
    return ops.hard_sigmoid(x)


def hard_silu(x):
    return ops.hard_silu(x)


hard_swish = hard_silu


def mish(x):
    return ops.mish(x)


def linear(x):
    return x


_ALL = [relu, relu6, leaky_relu, elu, selu, softmax, log_softmax, softplus, softsign, silu, gelu, tanh, sigmoid,
        exponential, hard_sigmoid, hard_silu, mish, linear]
REGISTRY = {fn.__name__: fn for fn in _ALL}
REGISTRY.update({"swish": silu, "hard_swish": hard_silu})


def get(identifier):
    """An activation function from its name (built-in, registered or in a `custom_object_scope`), a
    Keras function config, None (linear) or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        identifier = identifier.get("config", identifier.get("class_name"))
    if isinstance(identifier, str):
        fn = REGISTRY.get(identifier)
        if fn is None:
            from engine.saving.serialization_lib import registered_and_scoped_objects
            fn = registered_and_scoped_objects().get(identifier)
        if fn is None or not callable(fn):
            raise unknown_identifier(identifier, REGISTRY, "activation function")
        return fn
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation):
    """The Keras name of a built-in activation; another function as Keras writes it (a function config
    holding its registered name, or its `__name__`)."""
    for name, fn in REGISTRY.items():
        if fn is activation:
            return name
    registered = getattr(activation, "_registered_name", None) or getattr(activation, "__name__", str(activation))
    return {"module": "builtins", "class_name": "function", "config": registered, "registered_name": "function"}


def deserialize(config):
    return get(config)
