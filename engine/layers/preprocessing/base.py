"""What the preprocessing layers share: raw inputs (strings, integers) taken as they come, and `adapt` data.

Keras's lookups, hashing and text vectorization run on TensorFlow's string tensors. Here a string tensor
is a `Tensor` over a NumPy unicode array: it flows through `Input(dtype="string")`, functional models and
`predict` like any other value, and the layers that read it return numbers. Nothing about it is
differentiable (these layers sit before the first weight), so numeric paths are untouched.
"""

from __future__ import annotations

import numpy as np

from engine.autodiff import Tensor
from engine.layers.layer import Layer
from engine.symbolic import map_structure


class PreprocessingLayer(Layer):
    """A layer fed with raw values: inputs are not cast to the layer's float dtype, and no gradient flows."""

    def _convert_inputs(self, inputs):
        def convert(x):
            if x is None or isinstance(x, Tensor):
                return x
            return Tensor(x if isinstance(x, np.ndarray) else np.asarray(x))
        return map_structure(convert, inputs)


def as_strings(values, encoding: str = "utf-8") -> np.ndarray:
    """Any array-like of text (str, bytes, numpy unicode or object arrays, a string `Tensor`) as a unicode array."""
    array = values.value if isinstance(values, Tensor) else np.asarray(values)
    if array.dtype.kind == "U":
        return array
    if array.dtype.kind == "S":
        return np.char.decode(array, encoding)
    if array.dtype.kind == "O":
        flat = [v.decode(encoding) if isinstance(v, bytes) else str(v) for v in array.reshape(-1)]
        return np.asarray(flat, dtype=str).reshape(array.shape) if flat else np.zeros(array.shape, dtype="<U1")
    return array.astype(str)


def as_integers(values, layer_name: str) -> np.ndarray:
    """An array of whole numbers as int64; a fractional value is an error naming the layer."""
    array = values.value if isinstance(values, Tensor) else np.asarray(values)
    if array.dtype.kind in "iub":
        return array.astype(np.int64)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError(f"Layer '{layer_name}' expects integer values; received non-integer values such as "
                             f"{array[np.nonzero(~np.isfinite(array) | (array != np.round(array)))][0]}")
        return array.astype(np.int64)
    raise ValueError(f"Layer '{layer_name}' expects integer values; received an array of {array.dtype}")


def adapt_batches(data, steps: int | None = None):
    """The batches `adapt` reads: an array or list is one batch; any other iterable yields batches.

    `(x, y)` batches contribute their x, as in Keras.
    """
    if isinstance(data, (np.ndarray, Tensor, list, tuple)):
        yield data
        return
    if not hasattr(data, "__iter__"):
        raise TypeError(f"adapt() expects an array, a list or an iterable of batches; received "
                        f"{type(data).__name__}")
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        yield batch[0] if isinstance(batch, tuple) else batch


def value_of(x) -> np.ndarray:
    return x.value if isinstance(x, Tensor) else np.asarray(x)
