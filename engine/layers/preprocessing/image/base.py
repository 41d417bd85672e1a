"""What Keras's random image layers share: images of rank 3 or 4, a seed that advances on every call, the
transform applied only in training (at inference the images pass through), factor ranges, and for the
geometric layers an affine transform with `fill_mode`, `interpolation` and `fill_value`."""

from __future__ import annotations

import math

import numpy as np

from engine import ops
from engine.layers.layer import Layer
from engine.ops.conv import standardize_data_format
from engine.random import SeedGenerator


class BaseRandomImageLayer(Layer):
    """A layer that changes images at random in training and passes them through at inference."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self.data_format = standardize_data_format(data_format)
        self.supports_masking = False
        self.built = True

    def image_size(self, shape) -> tuple[int, int]:
        """(height, width) of images of this shape; rank 3 (one image) or 4 (a batch), as Keras."""
        if len(shape) not in (3, 4):
            raise ValueError(f"Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
                             f"Received: data.shape={tuple(shape)}")
        if self.data_format == "channels_last":
            return shape[-3], shape[-2]
        return shape[-2], shape[-1]

    #: Keras's geometric layers return floats even at inference (integer images, e.g. uint8, are cast first).
    CASTS_AT_INFERENCE = True

    def call(self, inputs, training=True):
        self.image_size(inputs.shape)
        if training or self.CASTS_AT_INFERENCE:
            inputs = inputs if inputs.dtype == self.dtype else ops.cast(inputs, self.dtype)
        if not training:
            return inputs
        batched = inputs.ndim == 4
        images = inputs if batched else ops.expand_dims(inputs, 0)
        out = self.transform_images(images, self.generator.next())
        return out if batched else ops.squeeze(out, 0)

    def transform_images(self, images, generator: np.random.Generator):
        """The images (a batch, rank 4) changed with fresh random draws from `generator`."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        self.image_size(input_shape)
        return tuple(input_shape)


def symmetric_range(factor, bounds: tuple[float, float]) -> tuple:
    """Keras's (lower, upper) from a number (-|f|..|f|, the lower end no less than the bound) or a pair (sorted)."""
    error = (f"The `factor` argument should be a number (or a list of two numbers) in the range "
             f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(error)
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(error)
        factor = abs(factor)
        return max(-factor, bounds[0]), factor
    raise ValueError(error)


def factor_pair(factor, name: str, error: str, minus_one_allowed: bool) -> tuple:
    """(lower, upper) of a zoom or shift: a number f gives (-|f|, |f|), a pair is sorted; each in [-1, 1]
    (or (-1, 1] when minus one is not allowed), with Keras's messages."""
    def check(number):
        too_low = number < -1.0 if minus_one_allowed else number <= -1.0
        if not isinstance(number, (int, float)) or isinstance(number, bool) or number > 1.0 or too_low:
            raise ValueError(error + f"Received: input_number={number}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(error + f"Received: {name}={factor}")
        check(factor[0]), check(factor[1])
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        check(factor)
        return -abs(factor), abs(factor)
    raise ValueError(error + f"Received: {name}={factor}")


class BaseAffineImageLayer(BaseRandomImageLayer):
    """A random geometric change (rotation, zoom, translation): an affine transform per image, with the
    points that fall outside the image filled by `fill_mode`."""

    FILL_MODES = ("reflect", "wrap", "constant", "nearest")
    INTERPOLATIONS = ("nearest", "bilinear")

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if fill_mode not in self.FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {self.FILL_MODES}.")
        if interpolation not in self.INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one "
                                      f"{self.INTERPOLATIONS}.")
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def transform_images(self, images, generator):
        height, width = self.image_size(images.shape)
        matrix = self.transform_matrix(images.shape[0], height, width, generator)
        return ops.image.affine_transform(images, matrix, interpolation=self.interpolation,
                                          fill_mode=self.fill_mode, fill_value=self.fill_value,
                                          data_format=self.data_format)

    def transform_matrix(self, batch: int, height: int, width: int, generator) -> np.ndarray:
        """(batch, 8) float32 rows for `ops.image.affine_transform`."""
        raise NotImplementedError

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "interpolation": self.interpolation, "seed": self.seed}


def rotation_matrix(angles_degrees: np.ndarray, height: int, width: int) -> np.ndarray:
    """Rows that rotate each image about its centre by its angle (counter-clockwise for a positive angle), as
    Keras's `_compute_affine_matrix` with no translation, shear or scaling."""
    angle = np.asarray(angles_degrees, np.float32) * np.float32(math.pi / 180.0)
    cx, cy = np.float32(0.5 * (width - 1)), np.float32(0.5 * (height - 1))
    cos, sin = np.cos(angle), np.sin(angle)
    a0, a1, b0, b1 = cos, -sin, sin, cos
    zeros = np.zeros_like(angle)
    return np.stack([a0, a1, cx - cx * a0 - cy * a1, b0, b1, cy - cx * b0 - cy * b1, zeros, zeros],
                    axis=1).astype(np.float32)
