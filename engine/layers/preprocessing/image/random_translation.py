"""`RandomTranslation`: in training, shifts each image by random fractions of its height and width, filling
the uncovered border by `fill_mode`; identity at inference, as Keras."""

from __future__ import annotations

import numpy as np

from engine.layers.preprocessing.image.base import BaseAffineImageLayer, factor_pair

_FACTOR_ERROR = "The `factor` argument should be a number (or a list of two numbers) in the range [-1.0, 1.0]. "


class RandomTranslation(BaseAffineImageLayer):
    """Shifts each image by a random fraction of its height and width in training (positive: down and right)."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = factor_pair(height_factor, "height_factor", _FACTOR_ERROR, True)
        self.width_range = factor_pair(width_factor, "width_factor", _FACTOR_ERROR, True)

    def transform_matrix(self, batch, height, width, generator):
        dy = (generator.uniform(*self.height_range, size=batch) * height).astype(np.float32)
        dx = (generator.uniform(*self.width_range, size=batch) * width).astype(np.float32)
        return translation_matrix(dx, dy)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


def translation_matrix(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Rows that move each image dx pixels right and dy pixels down."""
    ones, zeros = np.ones_like(dx), np.zeros_like(dx)
    return np.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1).astype(np.float32)
