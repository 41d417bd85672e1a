"""`BasePooling`: max or average over sliding windows (pool_size, strides, padding), for any spatial rank."""

from __future__ import annotations

from engine import ops
from engine.layers.convolutional.base_conv import windows_output_shape
from engine.layers.input_spec import InputSpec
from engine.layers.layer import Layer
from engine.ops.conv import spatial_tuple, standardize_data_format, standardize_padding


class BasePooling(Layer):
    """`strides` defaults to `pool_size`; "same" padding keeps ceil(size / stride) outputs per axis."""

    def __init__(self, pool_size, strides, pool_dimensions: int, pool_mode: str = "max", padding="valid",
                 data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = spatial_tuple(pool_size, pool_dimensions, "pool_size")
        self.strides = spatial_tuple(pool_size if strides is None else strides, pool_dimensions, "strides")
        if pool_mode not in ("max", "average"):
            raise ValueError(f"`pool_mode` must be either 'max' or 'average'. Received: {pool_mode}.")
        self.pool_mode = pool_mode
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)

    def call(self, inputs):
        op = ops.max_pool if self.pool_mode == "max" else ops.average_pool
        try:
            return op(inputs, self.pool_size, self.strides, self.padding, self.data_format)
        except ValueError as err:
            raise ValueError(f'{type(self).__name__} "{self.name}": {err}') from err

    def compute_output_shape(self, input_shape):
        channels = tuple(input_shape)[-1 if self.data_format == "channels_last" else 1]
        return windows_output_shape(input_shape, channels, self.pool_size, self.strides, self.padding,
                                    self.data_format, what="pool")

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}
