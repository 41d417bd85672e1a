"""`Masking`: marks timesteps whose features all equal `mask_value` as skipped by later layers."""

from __future__ import annotations

import numpy as np

from engine import ops
from engine.layers.layer import Layer


class Masking(Layer):
    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return np.any(np.asarray(ops.value_of(inputs)) != self.mask_value, axis=-1)

    def call(self, inputs):
        keep = np.any(np.asarray(ops.value_of(inputs)) != self.mask_value, axis=-1, keepdims=True)
        outputs = ops.multiply(inputs, keep.astype(inputs.dtype))
        outputs._keras_mask = keep[..., 0]
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
