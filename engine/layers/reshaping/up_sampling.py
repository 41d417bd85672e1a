"""`UpSampling1D` / `UpSampling2D`: repeat steps, or enlarge images (nearest neighbour or bilinear)."""

from __future__ import annotations

import numpy as np

from engine import ops
from engine.layers.input_spec import InputSpec
from engine.layers.layer import Layer
from engine.layers.reshaping.arguments import standardize_tuple
from engine.ops.conv import standardize_data_format

INTERPOLATIONS = ("nearest", "bilinear")


class UpSampling1D(Layer):
    """Repeats each time step `size` times along the steps axis."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"Expected an integer value for `size`, got {type(size)}.")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
        self.size = size
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return ops.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        steps = None if input_shape[1] is None else self.size * input_shape[1]
        return (input_shape[0], steps, input_shape[2])

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Enlarges rows by `size[0]` and columns by `size[1]`; "bilinear" uses half-pixel centres like Keras."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.size = standardize_tuple(size, 2, "size")
        self.interpolation = interpolation.lower()
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(f"UpSampling2D supports interpolation {INTERPOLATIONS} in this engine. "
                             f"Received: interpolation={interpolation!r}")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        x = inputs
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 2, 3, 1))
        if self.interpolation == "nearest":
            x = ops.repeat(ops.repeat(x, self.size[0], axis=1), self.size[1], axis=2)
        else:
            rows = _linear_weights(x.shape[1], self.size[0], x.dtype)
            cols = _linear_weights(x.shape[2], self.size[1], x.dtype)
            x = ops.einsum("hH,bHwc->bhwc", rows, x)
            x = ops.einsum("wW,bhWc->bhwc", cols, x)
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 3, 1, 2))
        return x

    def compute_output_shape(self, input_shape):
        h, w = (2, 3) if self.data_format == "channels_first" else (1, 2)
        shape = list(input_shape)
        shape[h] = None if shape[h] is None else shape[h] * self.size[0]
        shape[w] = None if shape[w] is None else shape[w] * self.size[1]
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


def _linear_weights(n_in: int, factor: int, dtype) -> np.ndarray:
    """The (n_in * factor, n_in) matrix of linear interpolation with half-pixel centres (edges clamped)."""
    n_out = n_in * factor
    source = np.maximum((np.arange(n_out) + 0.5) / factor - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(int), n_in - 1)
    high = np.minimum(low + 1, n_in - 1)
    frac = source - low
    weights = np.zeros((n_out, n_in), dtype=dtype)
    rows = np.arange(n_out)
    np.add.at(weights, (rows, low), 1.0 - frac)
    np.add.at(weights, (rows, high), frac)
    return weights
