"""Global pooling: the mean or maximum over every spatial axis, one value per channel (`keepdims` keeps
the spatial axes as size 1)."""

from __future__ import annotations

from engine import ops
from engine.layers.input_spec import InputSpec
from engine.layers.layer import Layer
from engine.ops.conv import standardize_data_format


class BaseGlobalPooling(Layer):
    def __init__(self, pool_dimensions: int, data_format=None, keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.pool_dimensions = pool_dimensions
        self.data_format = standardize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)

    def _spatial_axes(self) -> tuple[int, ...]:
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.pool_dimensions))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if not self.keepdims:
            return (input_shape[0], channels)
        ones = (1,) * self.pool_dimensions
        if self.data_format == "channels_last":
            return (input_shape[0], *ones, channels)
        return (input_shape[0], channels, *ones)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps; with a `mask` (batch, steps) only the unmasked steps count."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        axis = self._spatial_axes()
        if mask is None:
            return ops.mean(inputs, axis=axis, keepdims=self.keepdims)
        keep = ops.cast(ops.expand_dims(mask, 2 if self.data_format == "channels_last" else 1), "bool")
        kept = ops.where(keep, inputs, 0.0)  # as Keras: a masked step's NaN or inf is left out, not multiplied by 0
        total = ops.sum(kept, axis=axis, keepdims=self.keepdims)
        return ops.divide(total, ops.sum(ops.cast(keep, inputs.dtype), axis=axis, keepdims=self.keepdims))

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        return ops.mean(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


class GlobalMaxPooling1D(BaseGlobalPooling):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        return ops.max(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


class GlobalMaxPooling2D(BaseGlobalPooling):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        return ops.max(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)
