"""`engine.utils`: reproducibility and small data helpers, named as in `keras.utils`."""

from __future__ import annotations

import numpy as np

from engine.backend import clear_session, set_random_seed
from engine.utils.progbar import Progbar
from engine.variables import shapes_only

__all__ = ["FeatureSpace", "Progbar", "clear_session", "normalize", "set_random_seed", "shapes_only",
           "to_categorical"]


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
