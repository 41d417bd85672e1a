"""`AveragePooling1D`, `AveragePooling2D`: the mean of each window (padding not counted with "same")."""

from __future__ import annotations

from engine.layers.pooling.base_pooling import BasePooling


class AveragePooling1D(BasePooling):
    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, 1, "average", padding, data_format, name=name, **kwargs)


class AveragePooling2D(BasePooling):
    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, 2, "average", padding, data_format, name=name, **kwargs)
