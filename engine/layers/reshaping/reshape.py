"""`Reshape`: gives each sample a new shape (one dimension may be -1)."""

from __future__ import annotations

import math

from engine import ops
from engine.layers.layer import Layer


class Reshape(Layer):
    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if sum(1 for d in self.target_shape if d == -1) > 1:
            raise ValueError(f"Reshape: at most one dimension of target_shape may be -1; got {self.target_shape}")

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0], *self._resolved(inputs.shape[1:])))

    def _resolved(self, sample_shape) -> tuple:
        size = math.prod(sample_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if known == 0 or size % known:
                raise ValueError(f"Reshape '{self.name}': cannot reshape a sample of shape {tuple(sample_shape)} "
                                 f"({size} values) into {self.target_shape}")
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if known != size:
            raise ValueError(f"Reshape '{self.name}': total size of the new shape {self.target_shape} ({known}) "
                             f"must equal the input's {tuple(sample_shape)} ({size})")
        return self.target_shape

    def compute_output_shape(self, input_shape):
        sample = input_shape[1:]
        if any(d is None for d in sample):
            return (input_shape[0], *(None if d == -1 else d for d in self.target_shape))
        return (input_shape[0], *self._resolved(sample))

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}
