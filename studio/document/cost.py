"""Multiply-adds per sample for one layer, from its config and shapes alone (no data is run).

A multiply-add is one `a * b + c` in a weighted product (dense, convolution, recurrent gates) or one
scale-and-shift per element in a normalization. Layers that only move, copy, pick or add values count
zero. A layer this module does not know gives None, shown as "—".
"""

from __future__ import annotations

import math
import re

#: Families whose layers do no multiply-adds worth counting.
_FREE_FAMILIES = {"input", "reshaping", "regularization", "activations", "pooling"}
_FREE_LAYERS = {"Activation", "Embedding", "Add", "Subtract", "Maximum", "Minimum", "Average", "Concatenate",
                "Multiply", "Identity", "Masking"}
_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


def _prod(values) -> int:
    return math.prod(int(v) for v in values)


def _known(shape) -> bool:
    return shape is not None and all(d is not None for d in shape[1:])


def multiply_adds(type_name: str, family: str, config: dict, input_shapes: list, output_shape) -> int | None:
    """Multiply-adds for one sample through this layer, or None when unknown."""
    if type_name in _FREE_LAYERS or family in _FREE_FAMILIES:
        return 0
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
    if type_name in ("BatchNormalization", "LayerNormalization", "GroupNormalization", "RMSNormalization"):
        return _prod(out[1:])
    return None


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
