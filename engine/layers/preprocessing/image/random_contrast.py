"""`RandomContrast`: in training, scales each image's deviations from its per-channel mean by a random factor
in [1 - lower, 1 + upper] and clips to `value_range`; identity at inference, as Keras."""

from __future__ import annotations

from engine import ops
from engine.layers.preprocessing.image.base import BaseRandomImageLayer, symmetric_range


class RandomContrast(BaseRandomImageLayer):
    """Changes each image's contrast by a random factor in training, clipped to `value_range`."""

    CASTS_AT_INFERENCE = False  # as Keras: at inference the images come back as they were given

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, data_format=kwargs.pop("data_format", None), **kwargs)
        self.factor = symmetric_range(factor, (0, 1))
        self.value_range = value_range

    def transform_images(self, images, generator):
        low, high = 1.0 - self.factor[0], 1.0 + self.factor[1]
        factor = generator.uniform(low, high, size=(images.shape[0], 1, 1, 1)).astype(images.dtype)
        h_axis, w_axis = (-3, -2) if self.data_format == "channels_last" else (-2, -1)
        mean = ops.mean(ops.mean(images, axis=h_axis, keepdims=True), axis=w_axis, keepdims=True)
        adjusted = (images - mean) * factor + mean
        return ops.clip(adjusted, self.value_range[0], self.value_range[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "factor": self.factor,
                "value_range": self.value_range, "seed": self.seed}
