"""`RandomFlip`: in training, flips each image left-right and/or up-down with probability 1/2; at inference
it passes images through unchanged, as Keras."""

from __future__ import annotations

import numpy as np

from engine import backend, ops
from engine.layers.layer import Layer
from engine.ops.conv import standardize_data_format

MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(Layer):
    """Random horizontal and/or vertical flips of (batch, height, width, channels) images, in training only."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument {mode}")
        self.mode = mode
        self.seed = seed
        self.data_format = standardize_data_format(data_format)
        self._generator = np.random.default_rng(seed) if seed is not None else None
        self.supports_masking = False
        self.built = True

    def call(self, inputs, training=True):
        if inputs.dtype != self.dtype:  # integer images (e.g. uint8) come back as floats, as in Keras
            inputs = ops.cast(inputs, self.dtype)
        if not training:
            return inputs
        rank = inputs.ndim
        if rank not in (3, 4):
            raise ValueError(f"RandomFlip '{self.name}': expected images of rank 3 or 4; received rank {rank}")
        batched = inputs if rank == 4 else ops.expand_dims(inputs, 0)
        h_axis, w_axis = (1, 2) if self.data_format == "channels_last" else (2, 3)
        generator = self._generator or backend.rng()
        out = batched
        for flip, axis in (("horizontal", w_axis), ("vertical", h_axis)):
            if flip in self.mode:
                chosen = generator.random(batched.shape[0]) < 0.5
                shape = (batched.shape[0],) + (1,) * 3
                out = ops.where(chosen.reshape(shape), ops.flip(out, axis=axis), out)
        return out if rank == 4 else ops.squeeze(out, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "seed": self.seed, "mode": self.mode}
