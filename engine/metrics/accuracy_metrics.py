"""Accuracy metrics: exact match, binary with a threshold, categorical, sparse categorical and top-k.

The functions return one float32 match (1.0 or 0.0) per sample, computed with NumPy.
"""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.losses.loss import squeeze_or_expand_to_same_rank
from engine.metrics.metric import as_array
from engine.metrics.reduction_metrics import MeanMetricWrapper


def _prediction(y_pred) -> np.ndarray:
    y_pred = as_array(y_pred)
    return y_pred if np.issubdtype(y_pred.dtype, np.floating) else y_pred.astype(backend.floatx())


def _matches(a, b) -> np.ndarray:
    return np.equal(a, b).astype(backend.floatx())


def accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where y_true equals y_pred exactly."""
    y_pred = _prediction(y_pred)
    y_true = as_array(y_true).astype(y_pred.dtype, copy=False)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _matches(y_true, y_pred)


def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> np.ndarray:
    """1.0 where (y_pred > threshold) equals the binary label."""
    y_pred = as_array(y_pred)
    y_true = as_array(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _matches(y_true, (y_pred > threshold).astype(y_true.dtype))


def categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where the arg-max of y_pred is the arg-max of the one-hot y_true."""
    y_pred = _prediction(y_pred)
    labels = np.argmax(as_array(y_true), axis=-1).astype(y_pred.dtype)
    original_shape = labels.shape
    reshape = labels.ndim == y_pred.ndim
    if reshape:
        labels = np.squeeze(labels, -1)
    matches = _matches(labels, np.argmax(y_pred, axis=-1).astype(labels.dtype))
    return matches.reshape(original_shape) if reshape else matches


def sparse_categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where the arg-max of y_pred is the integer label."""
    y_pred = _prediction(y_pred)
    labels = as_array(y_true).astype(y_pred.dtype, copy=False)
    original_shape = labels.shape
    reshape = labels.ndim == y_pred.ndim and labels.shape[-1] == 1
    if reshape:
        labels = np.squeeze(labels, -1)
    matches = _matches(labels, np.argmax(y_pred, axis=-1).astype(labels.dtype))
    if reshape:
        matches = matches.reshape(original_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = np.squeeze(matches, -1)
    return matches


def in_top_k(targets: np.ndarray, predictions: np.ndarray, k: int) -> np.ndarray:
    """Whether each target's score is at least the k-th largest score of its row (ties count as in)."""
    num_classes = predictions.shape[-1]
    if k >= num_classes:
        return np.ones(targets.shape, dtype=bool)
    kth_largest = np.partition(predictions, num_classes - k, axis=-1)[:, num_classes - k]
    target_scores = np.take_along_axis(predictions, targets.astype(np.int64)[:, None], axis=-1)[:, 0]
    return target_scores >= kth_largest


def _flatten_for_top_k(labels: np.ndarray, y_pred: np.ndarray):
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    return labels.reshape(-1), y_pred


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> np.ndarray:
    """1.0 where the one-hot label's class is among the k highest predictions."""
    y_pred = _prediction(y_pred)
    labels = np.argmax(as_array(y_true), axis=-1)
    original_shape = labels.shape
    labels, y_pred = _flatten_for_top_k(labels, y_pred)
    return in_top_k(labels, y_pred, k).astype(backend.floatx()).reshape(original_shape)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5, from_sorted_ids: bool = False) -> np.ndarray:
    """1.0 where the integer label is among the k highest predictions.

    With `from_sorted_ids`, y_pred holds class ids already sorted by score and only its first k are read.
    """
    y_pred = _prediction(y_pred)
    labels = as_array(y_true)
    labels = labels.astype(y_pred.dtype) if from_sorted_ids else labels.astype(np.int32)
    original_shape = labels.shape
    labels, y_pred = _flatten_for_top_k(labels, y_pred)
    if from_sorted_ids:
        matches = np.any(labels[:, None] == y_pred[:, :k], axis=1)
    else:
        matches = in_top_k(labels, y_pred, k)
    return matches.astype(backend.floatx()).reshape(original_shape)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""

    def __init__(self, name: str = "accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded predictions match binary labels."""

    def __init__(self, name: str = "binary_accuracy", dtype=None, threshold: float = 0.5):
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class matches the one-hot label."""

    def __init__(self, name: str = "categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class matches the integer label."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the top `k` predictions."""

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype=None):
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the top `k` predictions."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids: bool = False):
        super().__init__(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self) -> dict:
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
