"""`SpatialDropout1D` / `SpatialDropout2D`: drop whole feature maps (channels) rather than single entries."""

from __future__ import annotations

from engine import ops
from engine.layers.input_spec import InputSpec
from engine.layers.regularization.dropout import Dropout
from engine.ops.conv import standardize_data_format


class BaseSpatialDropout(Dropout):
    """Dropout whose mask is shared along the spatial axes: one keep/drop decision per sample and channel."""

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)

    def _noise_shape(self, shape) -> tuple:
        raise NotImplementedError

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return ops.dropout(inputs, self.rate, noise_shape=self._noise_shape(inputs.shape), seed=self._generator)
        return inputs

    def get_config(self) -> dict:
        # Keras 3 writes only these keys for spatial dropout layers (no "trainable").
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout1D(BaseSpatialDropout):
    """Input `(batch, steps, channels)`; a dropped channel is zero at every step."""

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.input_spec = InputSpec(ndim=3)

    def _noise_shape(self, shape) -> tuple:
        return (shape[0], 1, shape[2])


class SpatialDropout2D(BaseSpatialDropout):
    """Input `(batch, rows, cols, channels)` (or channels first); a dropped channel is zero everywhere."""

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=4)

    def _noise_shape(self, shape) -> tuple:
        if self.data_format == "channels_first":
            return (shape[0], shape[1], 1, 1)
        return (shape[0], 1, 1, shape[3])

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}
