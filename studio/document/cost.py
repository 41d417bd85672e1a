"""Multiply-adds per sample for one layer, from its config and shapes alone (no data is run).

A multiply-add is one `a * b + c` in a weighted product (dense, convolution, recurrent gates) or one
scale-and-shift per element in a normalization. Layers that only move, copy, pick or add values count
zero. A layer this module does not know gives None, shown as "—".
"""

from __future__ import annotations

import math
import re

from studio.document.catalog import layer_types

#: Families whose layers do no multiply-adds worth counting.
_FREE_FAMILIES = {"input", "reshaping", "regularization", "activations", "pooling"}
_FREE_LAYERS = {"Activation", "Embedding", "Add", "Subtract", "Maximum", "Minimum", "Average", "Concatenate",
                "Multiply", "Identity", "Masking", "RandomFlip"}
_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}
#: Random image augmentations that compute in training: a weighted read of 4 pixels per value (bilinear) or one
#: scale-and-shift per value (contrast).
_AUGMENTATIONS = {"RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast"}


def _prod(values) -> int:
    return math.prod(int(v) for v in values)


def _known(shape) -> bool:
    return shape is not None and all(d is not None for d in shape[1:])


def multiply_adds(type_name: str, family: str, config: dict, input_shapes: list, output_shape) -> int | None:
    """Multiply-adds for one sample through this layer, or None when unknown."""
    if type_name in _FREE_LAYERS or family in _FREE_FAMILIES:
        return 0
    if type_name == "Resizing" and _known(output_shape):  # bilinear: two weighted reads per axis
        return 4 * _prod(output_shape[1:]) if config.get("interpolation") == "bilinear" else 0
    if type_name in _AUGMENTATIONS and _known(output_shape):  # counted in training; at inference they pass through
        if type_name == "RandomContrast":
            return _prod(output_shape[1:])
        return 4 * _prod(output_shape[1:]) if config.get("interpolation") == "bilinear" else 0
    if not input_shapes or not all(_known(s) for s in input_shapes) or not _known(output_shape):
        return None
    x, out = input_shapes[0], output_shape
    if type_name == "Dense":
        return _prod(x[1:]) * int(config["units"])
    if re.fullmatch(r"Conv[123]D", type_name):
        kernel, cin = _prod(config["kernel_size"]), _channels(x, config)
        return kernel * (cin // int(config.get("groups") or 1)) * int(config["filters"]) * _spatial(out, config)
    if re.fullmatch(r"Conv[123]DTranspose", type_name):
        return _prod(config["kernel_size"]) * _channels(x, config) * int(config["filters"]) * _spatial(x, config)
    if re.fullmatch(r"DepthwiseConv[12]D", type_name):
        return _prod(config["kernel_size"]) * _channels(x, config) * int(config["depth_multiplier"]) * \
            _spatial(out, config)
    if re.fullmatch(r"SeparableConv[12]D", type_name):
        mid = _channels(x, config) * int(config["depth_multiplier"])
        return (_prod(config["kernel_size"]) * mid + mid * int(config["filters"])) * _spatial(out, config)
    if type_name in _GATES:
        return _recurrent(type_name, int(config["units"]), x)
    if type_name == "Bidirectional":
        inner = config.get("layer") or {}
        name, units = inner.get("class_name"), (inner.get("config") or {}).get("units")
        if name in _GATES and units:
            return 2 * _recurrent(name, int(units), x)
        return None
    if type_name in ("BatchNormalization", "LayerNormalization", "GroupNormalization", "RMSNormalization",
                     "UnitNormalization"):
        return _prod(out[1:])
    if type_name == "EinsumDense":
        return _einsum(config["equation"], x, out)
    if type_name == "MultiHeadAttention":
        return _multi_head_attention(config, input_shapes, out)
    if type_name in ("Attention", "AdditiveAttention"):
        query = x
        value = input_shapes[1] if len(input_shapes) > 1 else x
        return _prod(query[1:-1]) * _prod(value[1:-1]) * (int(query[-1]) + int(value[-1]))
    if type_name == "TimeDistributed":
        inner = config.get("layer") or {}
        steps = int(x[1])
        inner_type = layer_types().get(inner.get("class_name", ""))
        inner_cost = multiply_adds(inner.get("class_name", ""), inner_type.family if inner_type else "",
                                   inner.get("config") or {},
                                   [(x[0], *x[2:])], (out[0], *out[2:]))
        return None if inner_cost is None else steps * inner_cost
    return None


def _einsum(equation: str, x, out) -> int:
    """One multiply-add per combination of every letter's size (the batch letter aside)."""
    inputs, output = equation.replace(" ", "").split("->")
    in_spec, kernel_spec = inputs.split(",")
    sizes: dict[str, int] = {}
    elided = 1
    if "..." in in_spec:
        letters = in_spec.replace("...", "")
        count = len(x) - len(letters)
        elided = _prod(x[1:count]) if in_spec.startswith("...") else _prod(x[len(x) - count:])
        x = x[count:] if in_spec.startswith("...") else x[:len(x) - count]
        out_letters = output.replace("...", "")
        out = out[len(out) - len(out_letters):] if output.startswith("...") else out[:len(out_letters)]
        in_spec, output = letters, out_letters
    else:
        x, out = x[1:], out[1:]
        in_spec, output = in_spec[1:], output[1:]
    sizes.update(zip(in_spec, x))
    sizes.update(zip(output, out))
    return elided * _prod(sizes.get(d, 1) for d in set(in_spec) | set(kernel_spec) | set(output))


def _multi_head_attention(config: dict, input_shapes: list, out) -> int:
    query = input_shapes[0]
    value = input_shapes[1] if len(input_shapes) > 1 else query
    key = input_shapes[2] if len(input_shapes) > 2 else value
    heads, key_dim = int(config["num_heads"]), int(config["key_dim"])
    value_dim = int(config.get("value_dim") or key_dim)
    targets, sources = _prod(query[1:-1]), _prod(value[1:-1])
    projections = heads * (targets * int(query[-1]) * key_dim + sources * int(key[-1]) * key_dim
                           + sources * int(value[-1]) * value_dim)
    attention = heads * targets * sources * (key_dim + value_dim)
    output = targets * heads * value_dim * int(out[-1])
    gate = heads * targets * int(query[-1]) * value_dim if config.get("use_gate") else 0
    return projections + attention + output + gate


def _recurrent(type_name: str, units: int, x) -> int:
    steps, features = int(x[1]), int(x[-1])
    return _GATES[type_name] * (features + units) * units * steps


def _channels(shape, config: dict) -> int:
    return int(shape[1] if config.get("data_format") == "channels_first" else shape[-1])


def _spatial(shape, config: dict) -> int:
    dims = shape[2:] if config.get("data_format") == "channels_first" else shape[1:-1]
    return _prod(dims)


def format_count(value: int | None) -> str:
    """12345 -> '12.3K', None -> '—' (unknown)."""
    if value is None:
        return "—"
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return str(int(value))
