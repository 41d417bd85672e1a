"""`Softmax`: normalized exponentials along one axis or several, with an optional mask."""

from __future__ import annotations

from engine.layers.layer import Layer
from engine.ops.attention import masked_softmax


class Softmax(Layer):
    """Softmax along `axis` (an int or a list of axes); where `mask` is False the output is 0, as in Keras."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs, mask=None):
        return masked_softmax(inputs, mask, self.axis)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
