"""`engine.utils`: reproducibility and small data helpers, named as in `keras.utils`."""

from __future__ import annotations

import numpy as np

from engine.backend import clear_session, set_random_seed
from engine.trainers.data_adapter import pack_x_y_sample_weight, unpack_x_y_sample_weight
from engine.utils.dataset_utils import split_dataset
from engine.utils.progbar import Progbar
from engine.utils.py_dataset import PyDataset
from engine.variables import shapes_only

__all__ = ["FeatureSpace", "Progbar", "PyDataset", "clear_session", "normalize", "pack_x_y_sample_weight",
           "pad_sequences", "set_random_seed", "shapes_only", "split_dataset", "to_categorical",
           "unpack_x_y_sample_weight"]


def __getattr__(name: str):
    if name == "FeatureSpace":  # imported on first use: engine.utils loads before engine.layers
        from engine.layers.preprocessing.feature_space import FeatureSpace
        return FeatureSpace
    raise AttributeError(f"module 'engine.utils' has no attribute {name!r}")


def to_categorical(x, num_classes: int | None = None) -> np.ndarray:
    """Integer labels to one-hot rows (float32)."""
    labels = np.asarray(x).astype(np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"Labels must be in 0..{num_classes - 1}; found {labels.min()}..{labels.max()}")
    return np.eye(num_classes, dtype="float32")[labels]


def normalize(x, axis: int = -1, order: int = 2) -> np.ndarray:
    """Scale rows to unit norm."""
    x = np.asarray(x)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def pad_sequences(sequences, maxlen: int | None = None, dtype="int32", padding: str = "pre",
                  truncating: str = "pre", value=0.0) -> np.ndarray:
    """Lists of varying length to one array `(len(sequences), maxlen)`: cut to `maxlen` and filled with
    `value`, at the start ("pre", Keras's default) or the end ("post")."""
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood')
    rows = []
    for i, sequence in enumerate(sequences):
        try:
            rows.append(np.asarray(list(sequence) if not isinstance(sequence, np.ndarray) else sequence))
        except TypeError:
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: {sequence!r} "
                             f"(sequence {i})") from None
    lengths = [len(r) for r in rows]
    maxlen = max(lengths, default=0) if maxlen is None else int(maxlen)
    sample_shape = next((r.shape[1:] for r in rows if len(r)), ())
    out = np.full((len(rows), maxlen) + sample_shape, value, dtype=dtype)
    for i, row in enumerate(rows):
        if not len(row) or maxlen == 0:
            continue
        kept = row[-maxlen:] if truncating == "pre" else row[:maxlen]
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"Shape of sample {kept.shape[1:]} of sequence at position {i} is different from "
                             f"expected shape {sample_shape}")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, -len(kept):] = kept
    return out
