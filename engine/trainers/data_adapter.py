"""Arrays in, batches out: checks sizes and values, splits off validation data, shuffles, slices."""

from __future__ import annotations

import math

import numpy as np

from engine import backend
from engine.autodiff import Tensor
from engine.symbolic import flatten, pack_like


def to_arrays(structure):
    """NumPy arrays for every leaf (tensors unwrapped, lists of numbers made arrays, floats as float32)."""
    if structure is None:
        return None

    def convert(x):
        if x is None:
            return None
        if isinstance(x, Tensor):
            x = x.value
        elif hasattr(x, "to_numpy"):  # a pandas frame or series
            x = x.to_numpy()
        arr = np.asarray(x)
        if arr.dtype == np.float64:
            arr = arr.astype(backend.floatx())
        return arr

    if isinstance(structure, (list, tuple)) and structure and not _is_array_like_list(structure):
        return pack_like(structure, [convert(x) for x in flatten(structure)])
    if isinstance(structure, dict):
        return {k: to_arrays(v) for k, v in structure.items()}
    return convert(structure)


def _is_array_like_list(value) -> bool:
    """A list of numbers (one array) rather than a list of arrays (several inputs)."""
    first = value[0]
    return isinstance(first, (int, float, np.number)) or (
        isinstance(first, (list, tuple)) and first and isinstance(first[0], (int, float, np.number)))


def num_samples(x, y=None, sample_weight=None) -> int:
    """The shared number of rows, or a clear error listing the sizes that disagree."""
    sizes = {}
    for label, structure in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        leaves = [leaf for leaf in flatten(structure) if leaf is not None] if structure is not None else []
        for leaf in leaves:
            if np.ndim(leaf) == 0:
                raise ValueError(f"`{label}` must be an array with one row per sample; received a scalar.")
        if leaves:
            sizes[label] = [len(leaf) for leaf in leaves]
    all_sizes = {n for values in sizes.values() for n in values}
    if len(all_sizes) > 1:
        detail = " ".join(f"'{label}' sizes: {', '.join(map(str, values))}" for label, values in sizes.items())
        raise ValueError(
            f"Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. {detail}")
    if not all_sizes:
        raise ValueError("No data: `x` is empty or None.")
    return all_sizes.pop()


def check_finite(structure, label: str) -> None:
    """Raise if a float array holds NaN or inf, naming the row (and column) of the first one."""
    for i, leaf in enumerate(flatten(structure) if structure is not None else []):
        if leaf is None or leaf.dtype.kind != "f":
            continue
        bad = ~np.isfinite(leaf)
        if bad.any():
            position = np.argwhere(bad)[0]
            what = "NaN" if np.isnan(leaf[tuple(position)]) else "an infinite value"
            where = f"row {position[0]}" + (f", column {position[1]}" if len(position) > 1 else "")
            part = f"{label}[{i}]" if len(flatten(structure)) > 1 else label
            raise ValueError(f"`{part}` contains {what} at {where} ({int(bad.sum())} bad value(s) in all). "
                             "Remove or fill missing values before training.")


def take_rows(structure, index):
    if structure is None:
        return None
    return pack_like(structure, [None if leaf is None else leaf[index] for leaf in flatten(structure)]) \
        if isinstance(structure, (list, tuple, dict)) else structure[index]


def split_validation(x, y, sample_weight, validation_split: float):
    """Keras's rule: the last `validation_split` fraction of the rows, taken before any shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1; received {validation_split}")
    n = num_samples(x, y, sample_weight)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to split it into a "
                         f"validation and training set as specified by `validation_split={validation_split}`.")
    train = slice(0, split_at)
    val = slice(split_at, n)
    return ((take_rows(x, train), take_rows(y, train), take_rows(sample_weight, train)),
            (take_rows(x, val), take_rows(y, val), take_rows(sample_weight, val)))


class ArrayBatches:
    """Iterates (x, y, sample_weight) batches over in-memory arrays, reshuffled each epoch if asked."""

    def __init__(self, x, y=None, sample_weight=None, batch_size: int | None = 32, shuffle=False,
                 steps: int | None = None):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.num_samples = num_samples(x, y, sample_weight)
        self.batch_size = batch_size or 32
        if self.batch_size <= 0:
            raise ValueError(f"`batch_size` must be a positive integer; received {batch_size}")
        self.shuffle = shuffle
        self.num_batches = math.ceil(self.num_samples / self.batch_size)
        if steps is not None:
            self.num_batches = min(self.num_batches, steps)

    def __iter__(self):
        n = self.num_samples
        if self.shuffle == "batch":
            order = np.arange(n)
            starts = backend.rng().permutation(math.ceil(n / self.batch_size)) * self.batch_size
        elif self.shuffle:
            order = backend.rng().permutation(n)
            starts = np.arange(0, n, self.batch_size)
        else:
            order = None
            starts = np.arange(0, n, self.batch_size)
        for start in starts[: self.num_batches]:
            index = slice(start, start + self.batch_size) if order is None else order[start:start + self.batch_size]
            yield pack_x_y_sample_weight(take_rows(self.x, index), take_rows(self.y, index),
                                         take_rows(self.sample_weight, index))


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """What a training step receives, as Keras packs it: `x`, `(x,)` for a tuple x, `(x, y)` or
    `(x, y, sample_weight)`."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from a step's `data`, missing parts None (Keras's utility)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
                     f"found: {data}")


def class_weights_to_sample_weights(y, class_weight: dict) -> np.ndarray:
    """Each row weighted by its class (integer labels, or the argmax of one-hot rows)."""
    labels = np.asarray(y)
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    labels = labels.reshape(len(labels), -1)[:, 0].astype(np.int64)
    return np.array([class_weight.get(int(c), 1.0) for c in labels], dtype=backend.floatx())
