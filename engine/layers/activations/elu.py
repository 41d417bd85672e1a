"""`ELU`: x for x > 0, `alpha * (exp(x) - 1)` below."""

from __future__ import annotations

from engine import activations
from engine.layers.layer import Layer


class ELU(Layer):
    """Exponential linear unit."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}
