"""`Hashing`: strings or integers to `num_bins` buckets with Keras's hash (FarmHash64, or SipHash64 with a salt)."""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.autodiff import Tensor
from engine.layers.preprocessing import categorical
from engine.layers.preprocessing.base import PreprocessingLayer, as_strings, value_of
from engine.layers.preprocessing.hash_functions import hash_to_buckets


class Hashing(PreprocessingLayer):
    """Keras's `Hashing`: the same bucket for the same value on every machine (values are hashed as text;
    floats are first truncated to integers). With `mask_value`, bucket 0 is the mask's."""

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError("The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                             f"Received: num_bins={num_bins}.")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError("When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or 'in64'. "
                             f"Received: dtype={kwargs['dtype']}")
        accepted = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in accepted:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of {accepted}. "
                             f"Received: output_mode={output_mode}")
        if sparse:
            raise ValueError("`sparse=True` needs sparse tensors, which the engine does not have.")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError("The `salt` argument for `Hashing` can only be a tuple of size 2 integers, or a "
                                 f"single integer. Received: salt={salt}.")
        self.built = True

    def hash_values(self, values: np.ndarray) -> np.ndarray:
        """The int64 bucket of each value."""
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        if values.dtype.kind == "f":
            values = values.astype(np.int64)  # TensorFlow truncates floats to int64 before hashing them
        text = as_strings(values) if values.dtype.kind in "USO" else values.astype(np.int64).astype(str)
        buckets = hash_to_buckets(text, bins, tuple(self.salt) if self.salt else None)
        if mask is not None:
            buckets = np.where(mask, 0, buckets + 1)
        return buckets

    def call(self, inputs):
        values = value_of(inputs)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values.reshape(values.shape[:-1])
        indices = self.hash_values(values)
        return Tensor(categorical.encode(indices, self.output_mode, self.num_bins, self.dtype))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if len(input_shape) == 0:
            return (self.num_bins,)
        return input_shape[:-1] + (self.num_bins,)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt, "mask_value": self.mask_value,
                "output_mode": self.output_mode, "sparse": self.sparse}
