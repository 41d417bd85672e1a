"""`split_dataset`: Keras's `keras.utils.split_dataset` for in-memory data (arrays, and lists, tuples or dicts of
arrays of one length).

Keras returns `tf.data.Dataset`s (or torch `Subset`s on the torch backend) holding the samples; the engine has no
such dataset type, so it returns the samples in the structure they came in, ready for `fit(x, y)`. The sizes
follow Keras's rules (fractions rounded, the other side its complement, samples beyond both sizes dropped) and
the order follows Keras's TensorFlow path: the first `left_size` samples, then the last `right_size`, after a
shuffle by Python's `random` with `seed` when `shuffle=True`.
"""

from __future__ import annotations

import random
import warnings

import numpy as np

from engine import backend

__all__ = ["split_dataset"]


def split_dataset(dataset, left_size=None, right_size=None, shuffle: bool = False, seed: int | None = None,
                  preferred_backend=None):
    """Splits `dataset` into a left and a right part of the same structure (e.g. train / test)."""
    if preferred_backend is not None:
        warnings.warn(f"split_dataset: preferred_backend={preferred_backend!r} is ignored; this engine returns the "
                      "splits as arrays in the structure of `dataset`", stacklevel=2)
    arrays, rebuild = _columns(dataset)
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. Received: "
                         "left_size=None and right_size=None")
    total = len(arrays[0])
    left, right = split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        if seed is None:
            seed = int(backend.rng().integers(0, int(1e6) + 1))
        random.Random(seed).shuffle(order)
    left_rows, right_rows = np.asarray(order[:left]), np.asarray(order[total - right:])
    return rebuild([a[left_rows] for a in arrays]), rebuild([a[right_rows] for a in arrays])


def _columns(dataset):
    """The arrays in `dataset` and a function that puts arrays back into its structure."""
    if isinstance(dataset, np.ndarray):
        if dataset.ndim == 0 or len(dataset) == 0:
            raise ValueError(f"The `dataset` argument must hold at least one sample. Received shape={dataset.shape}")
        return [dataset], lambda parts: parts[0]
    if isinstance(dataset, dict):
        keys = list(dataset)
        arrays, _ = _columns(tuple(dataset[k] for k in keys))
        return arrays, lambda parts: dict(zip(keys, parts))
    if isinstance(dataset, (list, tuple)):
        kind = "list" if isinstance(dataset, list) else "tuple"
        if not dataset:
            raise ValueError(f"Received an empty {kind} dataset. Please provide a non-empty {kind} of arrays.")
        arrays = []
        for i, element in enumerate(dataset):
            if not isinstance(element, np.ndarray):
                raise ValueError(f"Expected a {kind} of `numpy.ndarray` objects, Received: {type(element)} at "
                                 f"index {i}.")
            if element.ndim == 0 or len(element) != len(dataset[0]) or len(element) == 0:
                raise ValueError(f"Received a {kind} of NumPy arrays with different lengths. Mismatch found at "
                                 f"index {i}, Expected shape={dataset[0].shape} Received shape={element.shape}.")
            arrays.append(element)
        return arrays, (list if kind == "list" else tuple)
    raise TypeError(f"The `dataset` argument must be a NumPy array, or a list, tuple or dict of arrays of the same "
                    f"length (tf.data and torch datasets are not supported by this engine). Received: "
                    f"dataset={dataset!r:.80} of type {type(dataset)}")


def split_sizes(left_size, right_size, total: int) -> tuple[int, int]:
    """(left, right) sample counts from Keras's size arguments: an int is a count (0 < n < total), a float a
    fraction (0 < f < 1, rounded half to even), None the complement of the other side."""
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"Invalid `{name}` Type. Expected: int or float or None, Received: "
                            f"type({name})={type(size)}.")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the split sizes must be "
                         "non-zero.")
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if (type(size) is int and not 0 < size < total) or (type(size) is float and not 0 < size < 1):
            raise ValueError(f"`{name}` should be either a positive integer smaller than {total}, or a float "
                             f"within the range `[0, 1]`. Received: {name}={size}")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be less than or "
                         "equal to 1.")
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the {total}. Received: "
                         f"left_size + right_size = {left + right} and total_length = {total}")
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(f"With `dataset` of length={total}, `left_size`={left} and `right_size`={right}. "
                             f"Resulting {side} side dataset split will be empty. Adjust any of the aforementioned "
                             "parameters")
    return int(left), int(right)
