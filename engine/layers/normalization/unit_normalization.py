"""`UnitNormalization`: scale each sample to unit L2 norm along `axis`."""

from __future__ import annotations

from engine import ops
from engine.layers.layer import Layer

_EPSILON = 1e-12


class UnitNormalization(Layer):
    """Divides each sample by its L2 norm along `axis` (an int or a list of axes), as `keras.ops.normalize`."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(f"Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                            f"Received: axis={axis}")
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        square_sum = ops.sum(ops.square(inputs), axis=axis, keepdims=True)
        inverse_norm = ops.minimum(ops.divide(1.0, ops.sqrt(square_sum)), 1.0 / _EPSILON)
        return ops.multiply(inputs, inverse_norm)

    def compute_output_shape(self, input_shape):
        for axis in self.axis if isinstance(self.axis, list) else [self.axis]:
            if not -len(input_shape) <= axis < len(input_shape):
                raise ValueError(f"Axis {self.axis} is out of bounds for input shape {tuple(input_shape)}.")
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
