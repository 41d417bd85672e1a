"""`Rescaling`: `x * scale + offset`, e.g. pixel values from [0, 255] to [0, 1]."""

from __future__ import annotations

import numpy as np

from engine import ops
from engine.layers.layer import Layer


class Rescaling(Layer):
    """Keras's `Rescaling`: multiplies by `scale` and adds `offset` (scalars or per-channel arrays)."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True

    def call(self, inputs):
        x = inputs if inputs.dtype == self.dtype else ops.cast(inputs, self.dtype)
        scale = np.asarray(self.scale, dtype=self.dtype)
        offset = np.asarray(self.offset, dtype=self.dtype)
        return ops.add(ops.multiply(x, scale), offset)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": _serialize_number(self.scale),
                "offset": _serialize_number(self.offset)}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key in ("scale", "offset"):
            config[key] = _deserialize_number(config.get(key, 0.0))
        return super().from_config(config)


def _serialize_number(value):
    """A scalar as a JSON number; an array as Keras writes one (`__numpy__` with its value and dtype)."""
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _deserialize_number(value):
    if isinstance(value, dict) and value.get("class_name") in ("__numpy__", "__tensor__"):
        inner = value.get("config", {})
        return np.asarray(inner.get("value"), dtype=inner.get("dtype") or None)
    if isinstance(value, list):
        return np.asarray(value)
    return value
