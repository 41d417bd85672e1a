"""Short human text for a node: its key settings ("16 units · relu"), for the canvas card."""

from __future__ import annotations

from studio.document.graph import LayerNode

#: Arguments worth a place on the card, most telling first, with how to show them.
_KEY_ARGUMENTS = ("shape", "units", "filters", "num_heads", "key_dim", "equation", "kernel_size", "pool_size", "size",
                  "height", "width", "strides", "rate", "stddev", "mode",
                  "groups", "target_shape", "dims", "n", "output_dim", "axis", "padding", "cropping", "activation",
                  "negative_slope", "max_value", "threshold", "alpha", "score_mode", "return_sequences", "merge_mode",
                  "layer", "num_tokens", "bin_boundaries", "scale", "offset", "output_mode")
_DEFAULTS_HIDDEN = {"strides": None, "padding": "valid", "activation": "linear", "return_sequences": False,
                    "axis": -1, "max_value": None, "threshold": 0.0, "score_mode": "dot", "offset": 0.0,
                    "output_mode": "int"}


def _ints(value) -> str:
    if isinstance(value, list):
        if value and all(v == value[0] for v in value) and len(value) > 1 and not isinstance(value[0], list):
            return "×".join(str(v) for v in value)
        return "(" + ", ".join(_ints(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return "None" if value is None else str(value)


def _one(name: str, value, config: dict) -> str | None:
    if isinstance(value, bool) and name in ("scale", "center"):
        return None  # a normalization's switches, not Rescaling's factor
    if name in _DEFAULTS_HIDDEN and value == _DEFAULTS_HIDDEN[name]:
        return None
    if name == "strides" and (value == config.get("pool_size") or value == 1
                              or isinstance(value, list) and all(v == 1 for v in value)):
        return None
    if name == "num_heads":
        return f"{value} head" + ("" if value == 1 else "s")
    if name == "key_dim":
        return f"key {value}"
    if name in ("equation", "mode", "score_mode"):
        return str(value)
    if name == "negative_slope":
        return f"slope {value}"
    if name in ("height", "width"):
        return f"{name} {value}"
    if name == "units":
        return f"{value} unit" + ("" if value == 1 else "s")
    if name == "filters":
        return f"{value} filters"
    if name in ("kernel_size", "pool_size", "size"):
        return _ints(value)
    if name == "strides":
        return f"stride {_ints(value)}"
    if name in ("activation", "padding", "merge_mode"):
        return str(value)
    if name == "return_sequences":
        return "sequences"
    if name == "layer" and isinstance(value, dict):
        inner = value.get("config", {})
        size = inner.get("units", inner.get("filters", ""))
        return f"{value.get('class_name', '?')} {'' if size is None else size}".strip()
    if name == "shape":
        return f"shape {_ints(value)}"
    if name == "num_tokens":
        return f"{value} tokens"
    if name == "bin_boundaries" and isinstance(value, list):
        return f"{len(value) + 1} bins"
    if name == "scale":
        return f"× {value}"
    if name == "offset":
        return f"+ {value}"
    if name == "output_mode":
        return str(value).replace("_", "-")
    return f"{name}={_ints(value)}"


def _span(value, scale: float = 1.0, unit: str = "", shift: float = 0.0) -> str:
    """A random range as "±36°" (symmetric) or "-10%..20%", from a number f (meaning ±f) or a [low, high] pair."""
    low, high = (value if isinstance(value, list) and len(value) == 2 else (-abs(value), abs(value)))
    low, high = shift + low * scale, shift + high * scale
    if shift == 0 and low == -high:
        return f"±{high:g}{unit}"
    return f"{low:g}{unit}..{high:g}{unit}"


def _augmentation(node: LayerNode) -> str | None:
    """The range a random image layer draws from, in the user's units (degrees, percent, contrast factor)."""
    config = node.config
    if node.type == "RandomRotation":
        return _span(config["factor"], 360, "°")
    if node.type == "RandomContrast":
        low, high = config["factor"]
        return f"contrast ×{1 - low:g}..{1 + high:g}"
    if node.type in ("RandomZoom", "RandomTranslation"):
        verb = "zoom" if node.type == "RandomZoom" else "shift"
        height, width = config["height_factor"], config.get("width_factor")
        if width is None:
            return f"{verb} {_span(height, 100, '%')}"
        return f"{verb} h {_span(height, 100, '%')} · w {_span(width, 100, '%')}"
    return None


def key_settings(node: LayerNode, limit: int = 3) -> str:
    """The few settings that say what this layer does, joined with ' · '."""
    augmentation = _augmentation(node)
    if augmentation:
        return augmentation
    parts = []
    for name in _KEY_ARGUMENTS:
        if name in node.config and len(parts) < limit:
            text = _one(name, node.config[name], node.config)
            if text:
                parts.append(text)
    return " · ".join(parts)
