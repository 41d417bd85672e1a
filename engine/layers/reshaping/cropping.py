"""`Cropping1D` / `Cropping2D`: remove steps from the ends of a sequence, or rows and columns from an image."""

from __future__ import annotations

import numpy as np

from engine.autodiff import make
from engine.layers.input_spec import InputSpec
from engine.layers.layer import Layer
from engine.layers.reshaping.arguments import standardize_tuple
from engine.layers.reshaping.zero_padding import _pairs
from engine.ops.conv import standardize_data_format
from engine.ops.core import value_of


def crop(x, index: tuple):
    """`x[index]` for basic slices; the gradient is written into a zero array (no scatter needed)."""
    a = np.asarray(value_of(x))

    def vjp(g):
        grad = np.zeros(a.shape, dtype=g.dtype)
        grad[index] = g
        return (grad,)

    return make(a[index], (x,), vjp)


def _span(size, before: int, after: int):
    return None if size is None else size - before - after


class Cropping1D(Layer):
    """`cropping` is an int (both ends) or `(start, end)`; input `(batch, steps, features)`."""

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = standardize_tuple(cropping, 2, "cropping", allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    def _check(self, shape, what: str) -> None:
        if shape[1] is not None and sum(self.cropping) >= shape[1]:
            raise ValueError(f"`cropping` parameter of `Cropping1D` layer must be smaller than the input length. "
                             f"Received: {what}={tuple(shape)}, cropping={self.cropping}")

    def call(self, inputs):
        self._check(inputs.shape, "inputs.shape")
        start, end = self.cropping
        return crop(inputs, (slice(None), slice(start, inputs.shape[1] - end), slice(None)))

    def compute_output_shape(self, input_shape):
        self._check(input_shape, "input_shape")
        return (input_shape[0], _span(input_shape[1], *self.cropping), input_shape[2])

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self.cropping}


class Cropping2D(Layer):
    """`cropping` is an int, `(rows, cols)` or `((top, bottom), (left, right))`."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.cropping = _pairs(cropping, "cropping")
        self.input_spec = InputSpec(ndim=4)

    def _spatial(self) -> tuple[int, int]:
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def _check(self, shape, what: str) -> None:
        h, w = self._spatial()
        if (shape[h] is not None and sum(self.cropping[0]) >= shape[h]) or \
                (shape[w] is not None and sum(self.cropping[1]) >= shape[w]):
            raise ValueError("Values in `cropping` argument should be smaller than the corresponding spatial "
                             f"dimension of the input. Received: {what}={tuple(shape)}, cropping={self.cropping}")

    def call(self, inputs):
        self._check(inputs.shape, "inputs.shape")
        h, w = self._spatial()
        index = [slice(None)] * 4
        (top, bottom), (left, right) = self.cropping
        index[h] = slice(top, inputs.shape[h] - bottom)
        index[w] = slice(left, inputs.shape[w] - right)
        return crop(inputs, tuple(index))

    def compute_output_shape(self, input_shape):
        self._check(input_shape, "input_shape")
        h, w = self._spatial()
        shape = list(input_shape)
        shape[h] = _span(input_shape[h], *self.cropping[0])
        shape[w] = _span(input_shape[w], *self.cropping[1])
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}
