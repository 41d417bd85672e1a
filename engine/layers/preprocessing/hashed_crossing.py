"""`HashedCrossing`: two categorical features crossed into one of `num_bins` buckets, with Keras's hash.

Keras calls `tf.sparse.cross_hashed`: starting from the key 0xDECAFCAFFE, each feature's value (a string's
FarmHash Fingerprint64, an integer as it is) is folded in with FarmHash's `FingerprintCat64`, and the result
taken modulo `num_bins`; so the same pair lands in the same bucket on every machine.
"""

from __future__ import annotations

import numpy as np

from engine.autodiff import Tensor
from engine.layers.preprocessing import categorical
from engine.layers.preprocessing.base import PreprocessingLayer, as_strings, value_of
from engine.layers.preprocessing.hash_functions import fingerprint64

_MASK = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
_CROSS_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default hash_key


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def fingerprint_cat64(fp1: int, fp2: int) -> int:
    """FarmHash's FingerprintCat64: two 64-bit fingerprints combined, order-dependent."""
    result = fp1 ^ _MUL
    result ^= (_shift_mix((fp2 * _MUL) & _MASK) * _MUL) & _MASK
    result = (result * _MUL) & _MASK
    result = (_shift_mix(result) * _MUL) & _MASK
    return _shift_mix(result)


class HashedCrossing(PreprocessingLayer):
    """Keras's `HashedCrossing`: called on a list of two (or more) same-shaped integer or string inputs, one value
    per sample (shape (batch,) or (batch, 1)), it gives the bucket of each sample's combination."""

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("`sparse=True` needs sparse tensors, which the engine does not have.")
        if output_mode not in ("int", "one_hot"):
            raise ValueError("Invalid value for argument `output_mode`. Expected one of ('int', 'one_hot'). "
                             f"Received: output_mode={output_mode}")
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse
        self.built = True

    def _check(self, inputs) -> list[np.ndarray]:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError("`HashedCrossing` should be called on a list or tuple of inputs. "
                             f"Received: inputs={inputs}")
        if len(inputs) < 2:
            raise ValueError(f"`HashedCrossing` should be called on at least two inputs. Received: inputs={inputs}")
        values = [np.asarray(value_of(x)) for x in inputs]
        shapes = {v.shape for v in values}
        if len(shapes) > 1:
            raise ValueError(f"All `HashedCrossing` inputs should have the same shape. Received: inputs={inputs}")
        if values[0].ndim > 2 or (values[0].ndim == 2 and values[0].shape[-1] != 1):
            raise ValueError("All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or `(batch_size, 1)`. "
                             f"Received: inputs={inputs}")
        for v in values:
            if v.dtype.kind not in "iuUSO":
                raise ValueError("All `HashedCrossing` inputs should have an integer or string dtype. "
                                 f"Received: inputs={inputs}")
        return values

    def cross(self, values: list[np.ndarray]) -> np.ndarray:
        """The int64 bucket of each sample's combination of `values` (same-shaped arrays)."""
        columns = [[fingerprint64(s.encode("utf-8")) for s in as_strings(v).reshape(-1).tolist()]
                   if v.dtype.kind in "USO" else [int(i) & _MASK for i in v.reshape(-1).tolist()] for v in values]
        buckets = []
        for parts in zip(*columns):
            hashed = _CROSS_KEY
            for part in parts:
                hashed = fingerprint_cat64(hashed, part)
            buckets.append(hashed % self.num_bins)
        return np.asarray(buckets, dtype=np.int64).reshape(values[0].shape)

    def call(self, inputs):
        values = self._check(inputs)
        buckets = self.cross(values)
        return Tensor(categorical.encode(buckets, self.output_mode, self.num_bins, self.dtype))

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if not first:
            return (self.num_bins,)
        if first[-1] != 1:
            return first + (self.num_bins,)
        return first[:-1] + (self.num_bins,)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse}
