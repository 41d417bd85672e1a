"""`ZeroPadding1D` / `ZeroPadding2D`: zeros added around the steps of a sequence or the rows and columns of an image."""

from __future__ import annotations

from engine import ops
from engine.layers.input_spec import InputSpec
from engine.layers.layer import Layer
from engine.layers.reshaping.arguments import standardize_tuple
from engine.ops.conv import standardize_data_format


class ZeroPadding1D(Layer):
    """`padding` is an int (both sides) or `(left, right)`; input `(batch, steps, features)`."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = standardize_tuple(padding, 2, "padding", allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        if self.data_format == "channels_first":
            return ops.pad(inputs, ((0, 0), (0, 0), self.padding))
        return ops.pad(inputs, ((0, 0), self.padding, (0, 0)))

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        axis = 2 if self.data_format == "channels_first" else 1
        if shape[axis] is not None:
            shape[axis] += sum(self.padding)
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding2D(Layer):
    """`padding` is an int, `(rows, cols)` or `((top, bottom), (left, right))`."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = _pairs(padding, "padding")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        if self.data_format == "channels_first":
            return ops.pad(inputs, ((0, 0), (0, 0), *self.padding))
        return ops.pad(inputs, ((0, 0), *self.padding, (0, 0)))

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        offset = 2 if self.data_format == "channels_first" else 1
        for i in range(2):
            if shape[offset + i] is not None:
                shape[offset + i] += sum(self.padding[i])
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


def _pairs(value, name: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """An int, 2 ints or 2 pairs of ints as ((top, bottom), (left, right)) — Keras's 2D padding/cropping forms."""
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value}.")
        return ((value, value), (value, value))
    if hasattr(value, "__len__"):
        if len(value) != 2:
            raise ValueError(f"`{name}` should have two elements. Received: {name}={value}.")
        return (standardize_tuple(value[0], 2, f"1st entry of {name}", allow_zero=True),
                standardize_tuple(value[1], 2, f"2nd entry of {name}", allow_zero=True))
    raise ValueError(f"`{name}` should be either an int, a tuple of 2 ints (symmetric_height_{name}, "
                     f"symmetric_width_{name}), or a tuple of 2 tuples of 2 ints ((top_{name}, bottom_{name}), "
                     f"(left_{name}, right_{name})). Received: {name}={value}.")
