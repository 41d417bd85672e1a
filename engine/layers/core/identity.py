"""`Identity`: returns its input unchanged (a placeholder that keeps a model's structure)."""

from __future__ import annotations

from engine.layers.layer import Layer


class Identity(Layer):
    """Passes its input through unchanged, mask included."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
