"""`GaussianNoise` and `GaussianDropout`: noise added or multiplied during training only."""

from __future__ import annotations

import math

import numpy as np

from engine import backend, ops
from engine.autodiff import Tensor
from engine.layers.layer import Layer


def _check_unit_interval(value, name: str) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"Invalid value received for argument `{name}`. Expected a float value between 0 and 1. "
                         f"Received: {name}={value}")


class _NoiseLayer(Layer):
    """Shared seeding: a seeded layer draws from its own generator, others from the engine's."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = np.random.default_rng(seed) if seed is not None else None
        self.supports_masking = True
        self.built = True

    def _normal(self, shape, mean: float, stddev: float, dtype) -> Tensor:
        generator = self._generator or backend.rng()
        return Tensor((mean + stddev * generator.standard_normal(shape)).astype(dtype))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class GaussianNoise(_NoiseLayer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` in training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_unit_interval(stddev, "stddev")
        self.stddev = stddev

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            return ops.add(inputs, self._normal(inputs.shape, 0.0, self.stddev, inputs.dtype))
        return inputs

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_NoiseLayer):
    """Multiplies by Gaussian noise of mean 1 and standard deviation `sqrt(rate / (1 - rate))` in training."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_unit_interval(rate, "rate")
        self.rate = rate

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            return ops.multiply(inputs, self._normal(inputs.shape, 1.0, stddev, inputs.dtype))
        return inputs

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
