"""Probabilistic losses: the cross-entropies (on the fused ops in `engine.ops.nn`), focal variants, KL, Poisson."""

from __future__ import annotations

import warnings

import numpy as np

from engine import backend, ops
from engine.autodiff import Tensor
from engine.losses.loss import Loss, LossFunctionWrapper, prepare, squeeze_or_expand_to_same_rank
from engine.ops.core import value_of


def _check_axis(axis) -> None:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"`axis` must be an int. Received: axis={axis!r} of type {type(axis).__name__}")


def _as_prediction(y_pred) -> Tensor:
    y_pred = ops.convert_to_tensor(y_pred)
    if not np.issubdtype(y_pred.dtype, np.floating):
        y_pred = ops.cast(y_pred, backend.floatx())
    return y_pred


def _warn_single_class(name: str, y_pred: Tensor) -> None:
    if y_pred.ndim and y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {name}, expected y_pred.shape to be (batch_size, num_classes) with num_classes > 1. "
            f"Received: y_pred.shape={y_pred.shape}. Consider using 'binary_crossentropy' if you only have "
            "2 classes.", SyntaxWarning, stacklevel=3)


def _smooth(y_true: Tensor, label_smoothing: float, num_classes: float) -> Tensor:
    """y_true * (1 - s) + s / num_classes: targets pulled towards uniform."""
    dtype = y_true.dtype
    scaled = ops.multiply(y_true, np.asarray(1.0 - label_smoothing, dtype=dtype))
    return ops.add(scaled, np.asarray(label_smoothing / num_classes, dtype=dtype))


def binary_crossentropy(y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0,
                        axis: int = -1) -> Tensor:
    """Binary cross-entropy averaged over `axis`; predictions are probabilities unless `from_logits`."""
    y_pred = _as_prediction(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = _smooth(y_true, label_smoothing, 2.0)
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing: bool = False, alpha: float = 0.25,
                              gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1) -> Tensor:
    """Binary cross-entropy scaled by (1 - p_t)^gamma, which down-weights easy examples."""
    y_pred = _as_prediction(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    dtype = y_pred.dtype
    if label_smoothing:
        y_true = _smooth(y_true, label_smoothing, 2.0)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=False)
    one = np.asarray(1.0, dtype=dtype)
    # p_t: the probability the model gives to the true label
    p_t = ops.add(ops.multiply(y_true, y_pred), ops.multiply(ops.subtract(one, y_true), ops.subtract(one, y_pred)))
    focal = ops.multiply(ops.power(ops.subtract(one, p_t), np.asarray(gamma, dtype=dtype)), bce)
    if apply_class_balancing:
        a = np.asarray(alpha, dtype=dtype)
        weight = ops.add(ops.multiply(y_true, a), ops.multiply(ops.subtract(one, y_true), one - a))
        focal = ops.multiply(weight, focal)
    return ops.mean(focal, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0,
                             axis: int = -1) -> Tensor:
    """Cross-entropy between one-hot (or soft) targets and class probabilities (or logits), per sample."""
    _check_axis(axis)
    y_pred = _as_prediction(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    _warn_single_class("categorical_crossentropy", y_pred)
    if label_smoothing:
        y_true = _smooth(y_true, label_smoothing, float(y_true.shape[-1]))
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha: float = 0.25, gamma: float = 2.0,
                                   from_logits: bool = False, label_smoothing: float = 0.0,
                                   axis: int = -1) -> Tensor:
    """Categorical cross-entropy with each class term scaled by alpha * (1 - p)^gamma."""
    _check_axis(axis)
    y_pred = _as_prediction(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    dtype = y_pred.dtype
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    if label_smoothing:
        y_true = _smooth(y_true, label_smoothing, float(y_true.shape[-1]))
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    output = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    eps = backend.epsilon()
    output = ops.clip(output, eps, 1.0 - eps)
    cce = ops.multiply(ops.negative(y_true), ops.log(output))
    one = np.asarray(1.0, dtype=dtype)
    modulating = ops.power(ops.subtract(one, output), np.asarray(gamma, dtype=dtype))
    focal = ops.multiply(ops.multiply(modulating, np.asarray(alpha, dtype=dtype)), cce)
    return ops.sum(focal, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False, ignore_class: int | None = None,
                                    axis: int = -1) -> Tensor:
    """Cross-entropy between integer labels and class probabilities (or logits), per sample.

    With `ignore_class`, positions labelled with it get a loss of 0 (the `Loss` class also leaves them out
    of the average, as Keras does).
    """
    y_pred = _as_prediction(y_pred)
    labels = np.asarray(value_of(y_true))
    if labels.ndim == y_pred.ndim and labels.shape[axis] == 1:
        labels = np.squeeze(labels, axis=axis)
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = np.where(valid, labels, 0)
    losses = ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits, axis=axis)
    if valid is not None:
        losses = ops.where(valid.reshape(losses.shape), losses, np.asarray(0.0, dtype=losses.dtype))
    return losses


def kl_divergence(y_true, y_pred) -> Tensor:
    """Kullback-Leibler divergence sum(y_true * log(y_true / y_pred)) over the last axis, inputs clipped."""
    y_true, y_pred = prepare(y_true, y_pred, "kl_divergence", squeeze=False)
    eps = backend.epsilon()
    y_true = ops.clip(y_true, eps, 1.0)
    y_pred = ops.clip(y_pred, eps, 1.0)
    return ops.sum(ops.multiply(y_true, ops.log(ops.divide(y_true, y_pred))), axis=-1)


def poisson(y_true, y_pred) -> Tensor:
    """Mean of y_pred - y_true * log(y_pred + epsilon) over the last axis."""
    y_true, y_pred = prepare(y_true, y_pred, "poisson", squeeze=False)
    eps = np.asarray(backend.epsilon(), dtype=y_pred.dtype)
    return ops.mean(ops.subtract(y_pred, ops.multiply(y_true, ops.log(ops.add(y_pred, eps)))), axis=-1)


class BinaryCrossentropy(LossFunctionWrapper):
    """Cross-entropy between binary labels and predicted probabilities (or logits)."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction="sum_over_batch_size", name: str = "binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self) -> dict:
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy focused on hard examples by the factor (1 - p_t)^gamma."""

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25, gamma: float = 2.0,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction="sum_over_batch_size", name: str = "binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self) -> dict:
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis, "apply_class_balancing": self.apply_class_balancing, "alpha": self.alpha,
                "gamma": self.gamma}


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy between one-hot labels and predicted class probabilities (or logits)."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction="sum_over_batch_size", name: str = "categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self) -> dict:
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy focused on hard examples by alpha * (1 - p)^gamma."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1, reduction="sum_over_batch_size",
                 name: str = "categorical_focal_crossentropy", dtype=None):
        super().__init__(categorical_focal_crossentropy, name=name, reduction=reduction, dtype=dtype, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self) -> dict:
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis, "alpha": self.alpha, "gamma": self.gamma}


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy between integer labels and predicted class probabilities (or logits)."""

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None, reduction="sum_over_batch_size",
                 axis: int = -1, name: str = "sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def _mask(self, y_true, y_pred):
        if self.ignore_class is None:
            return None
        labels, _ = squeeze_or_expand_to_same_rank(np.asarray(value_of(y_true)), np.asarray(value_of(y_pred)))
        if labels.ndim == np.ndim(value_of(y_pred)) and labels.shape[-1] == 1:
            labels = labels[..., 0]
        return labels != self.ignore_class

    def get_config(self) -> dict:
        return {**Loss.get_config(self), "from_logits": self.from_logits, "ignore_class": self.ignore_class}


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence between label and prediction distributions."""

    def __init__(self, reduction="sum_over_batch_size", name: str = "kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class Poisson(LossFunctionWrapper):
    """Poisson negative log-likelihood (up to a constant) of labels given predicted rates."""

    def __init__(self, reduction="sum_over_batch_size", name: str = "poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)
