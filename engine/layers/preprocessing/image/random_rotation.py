"""`RandomRotation`: in training, rotates each image about its centre by a random angle (a fraction of a full
turn drawn from `factor`), filling the corners by `fill_mode`; at inference the images pass through, as Keras."""

from __future__ import annotations

import numpy as np

from engine.layers.preprocessing.image.base import BaseAffineImageLayer, rotation_matrix, symmetric_range


class RandomRotation(BaseAffineImageLayer):
    """Rotates each image by a random angle in training (factor 0.1: up to 36 degrees either way)."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.factor = symmetric_range(factor or 0.0, (-1, 1))

    def transform_matrix(self, batch, height, width, generator):
        angles = generator.uniform(self.factor[0] * 360.0, self.factor[1] * 360.0, size=batch)
        return rotation_matrix(angles.astype(np.float32), height, width)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}
