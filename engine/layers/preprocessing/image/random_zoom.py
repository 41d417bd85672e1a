"""`RandomZoom`: in training, zooms each image in or out about its centre by random amounts (height and width
apart, or together when `width_factor` is None), filling the border by `fill_mode`; identity at inference."""

from __future__ import annotations

import numpy as np

from engine.layers.preprocessing.image.base import BaseAffineImageLayer, factor_pair

_FACTOR_ERROR = ("The `height_factor` and `width_factor` arguments should be a number (or a list of two numbers) "
                 "in the range (-1.0, 1.0]. ")


class RandomZoom(BaseAffineImageLayer):
    """Zooms each image in or out at random in training (a positive factor zooms out, a negative one in)."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = factor_pair(height_factor, "height_factor", _FACTOR_ERROR, False)
        self.width_range = (None if width_factor is None
                            else factor_pair(width_factor, "width_factor", _FACTOR_ERROR, False))

    def transform_matrix(self, batch, height, width, generator):
        low, high = self.height_range
        height_zoom = generator.uniform(1.0 + low, 1.0 + high, size=(batch, 1)).astype(np.float32)
        if self.width_range is None:
            width_zoom = height_zoom
        else:
            low, high = self.width_range
            width_zoom = generator.uniform(1.0 + low, 1.0 + high, size=(batch, 1)).astype(np.float32)
        return zoom_matrix(width_zoom[:, 0], height_zoom[:, 0], height, width)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


def zoom_matrix(width_zoom: np.ndarray, height_zoom: np.ndarray, height: int, width: int) -> np.ndarray:
    """Rows that scale each image about its centre: zoom > 1 shows more of it (zooms out), < 1 zooms in."""
    zeros = np.zeros_like(width_zoom)
    x_offset = np.float32((width - 1.0) / 2.0) * (np.float32(1.0) - width_zoom)
    y_offset = np.float32((height - 1.0) / 2.0) * (np.float32(1.0) - height_zoom)
    return np.stack([width_zoom, zeros, x_offset, zeros, height_zoom, y_offset, zeros, zeros],
                    axis=1).astype(np.float32)
