"""`MaxPooling1D`, `MaxPooling2D`: the largest value of each window."""

from __future__ import annotations

from engine.layers.pooling.base_pooling import BasePooling


class MaxPooling1D(BasePooling):
    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, 1, "max", padding, data_format, name=name, **kwargs)


class MaxPooling2D(BasePooling):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, 2, "max", padding, data_format, name=name, **kwargs)
