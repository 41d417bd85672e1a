"""`Resizing`: resize images to (height, width) by bilinear or nearest interpolation, with Keras's (torch backend)
half-pixel sampling. The resize is a product with one interpolation matrix per axis, so gradients flow."""

from __future__ import annotations

import numpy as np

from engine import ops
from engine.layers.layer import Layer
from engine.ops.conv import standardize_data_format

INTERPOLATIONS = ("bilinear", "nearest")


def interpolation_matrix(out_size: int, in_size: int, interpolation: str) -> np.ndarray:
    """(out, in) weights: output pixel i reads input pixels at the half-pixel position (i + 0.5) * in/out - 0.5."""
    scale = in_size / out_size
    matrix = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    if interpolation == "nearest":
        matrix[rows, np.minimum(np.floor((rows + 0.5) * scale).astype(int), in_size - 1)] = 1.0
        return matrix
    source = np.clip((rows + 0.5) * scale - 0.5, 0, in_size - 1)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, in_size - 1)
    frac = source - low
    np.add.at(matrix, (rows, low), 1 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix


class Resizing(Layer):
    """Resizes (batch, height, width, channels) images (or one image) to `height` x `width`."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                 fill_mode="constant", fill_value=0.0, antialias=False, data_format=None, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("height", height), ("width", width)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Resizing: `{name}` must be a positive integer; received {name}={value!r}")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"Resizing: interpolation {interpolation!r} is not supported by this engine "
                             f"(supported: {', '.join(INTERPOLATIONS)})")
        if crop_to_aspect_ratio or pad_to_aspect_ratio or antialias:
            raise ValueError("Resizing: crop_to_aspect_ratio, pad_to_aspect_ratio and antialias are not supported by "
                             "this engine; resize without them")
        self.height, self.width = height, width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = crop_to_aspect_ratio, pad_to_aspect_ratio
        self.fill_mode, self.fill_value, self.antialias = fill_mode, fill_value, antialias
        self.data_format = standardize_data_format(data_format)
        self.built = True

    def _axes(self, rank: int) -> tuple[int, int]:
        if rank not in (3, 4):
            raise ValueError(f"Resizing '{self.name}': expected images of rank 3 or 4; received rank {rank}")
        return (rank - 3, rank - 2) if self.data_format == "channels_last" else (rank - 2, rank - 1)

    def call(self, inputs):
        h_axis, w_axis = self._axes(inputs.ndim)
        rows = interpolation_matrix(self.height, inputs.shape[h_axis], self.interpolation).astype(inputs.dtype)
        cols = interpolation_matrix(self.width, inputs.shape[w_axis], self.interpolation).astype(inputs.dtype)
        x = ops.moveaxis(inputs, (h_axis, w_axis), (-2, -1))
        x = ops.matmul(ops.matmul(rows, x), cols.T)
        return ops.moveaxis(x, (-2, -1), (h_axis, w_axis))

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        h_axis, w_axis = self._axes(len(shape))
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}
