"""Regression losses: squared, absolute, percentage, logarithmic, Huber, log-cosh and cosine errors."""

from __future__ import annotations

import math

import numpy as np

from engine import backend, ops
from engine.autodiff import Tensor
from engine.losses.loss import Loss, LossFunctionWrapper, prepare


def mean_squared_error(y_true, y_pred) -> Tensor:
    """Mean of squared differences over the last axis, one value per sample."""
    y_true, y_pred = prepare(y_true, y_pred, "mean_squared_error")
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """Mean of absolute differences over the last axis."""
    y_true, y_pred = prepare(y_true, y_pred, "mean_absolute_error")
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred) -> Tensor:
    """100 * mean(|y_true - y_pred| / max(|y_true|, epsilon)) over the last axis."""
    y_true, y_pred = prepare(y_true, y_pred, "mean_absolute_percentage_error")
    eps = np.asarray(backend.epsilon(), dtype=y_pred.dtype)
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred), ops.maximum(ops.abs(y_true), eps)))
    return ops.multiply(ops.mean(diff, axis=-1), np.asarray(100.0, dtype=y_pred.dtype))


def mean_squared_logarithmic_error(y_true, y_pred) -> Tensor:
    """Mean of squared differences of log(1 + max(y, epsilon)) over the last axis."""
    y_true, y_pred = prepare(y_true, y_pred, "mean_squared_logarithmic_error")
    eps = np.asarray(backend.epsilon(), dtype=y_pred.dtype)
    first = ops.log(ops.add(ops.maximum(y_pred, eps), np.asarray(1.0, dtype=y_pred.dtype)))
    second = ops.log(ops.add(ops.maximum(y_true, eps), np.asarray(1.0, dtype=y_pred.dtype)))
    return ops.mean(ops.square(ops.subtract(first, second)), axis=-1)


def l2_normalize(x, axis: int = -1) -> Tensor:
    """x / ||x|| along `axis`, with the norm floored at epsilon (Keras's `normalize`, order 2)."""
    eps = backend.epsilon()
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    # rsqrt(max(s, eps^2)) equals Keras's min(rsqrt(s), 1/eps) and has a finite gradient at s = 0
    floor = np.asarray(eps * eps, dtype=np.asarray(x).dtype)
    return ops.divide(x, ops.sqrt(ops.maximum(square_sum, floor)))


def cosine_similarity(y_true, y_pred, axis: int = -1) -> Tensor:
    """Negative cosine similarity along `axis`: -1 for identical directions, 0 for orthogonal ones."""
    y_true, y_pred = prepare(y_true, y_pred, "cosine_similarity")
    return ops.negative(ops.sum(ops.multiply(l2_normalize(y_true, axis), l2_normalize(y_pred, axis)), axis=axis))


def huber(y_true, y_pred, delta: float = 1.0) -> Tensor:
    """Quadratic for |error| <= delta, linear beyond; averaged over the last axis."""
    y_true, y_pred = prepare(y_true, y_pred, "huber")
    dtype = y_pred.dtype
    delta = np.asarray(delta, dtype=dtype)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    half = np.asarray(0.5, dtype=dtype)
    quadratic = ops.multiply(half, ops.square(error))
    linear = ops.subtract(ops.multiply(delta, abs_error), half * delta * delta)
    return ops.mean(ops.where(abs_error.value <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred) -> Tensor:
    """Mean of log(cosh(y_pred - y_true)) over the last axis, computed stably."""
    y_true, y_pred = prepare(y_true, y_pred, "log_cosh")
    x = ops.subtract(y_pred, y_true)
    log2 = np.asarray(math.log(2.0), dtype=y_pred.dtype)
    # log(cosh(x)) = x + softplus(-2x) - log(2)
    value = ops.subtract(ops.add(x, ops.softplus(ops.multiply(x, np.asarray(-2.0, dtype=y_pred.dtype)))), log2)
    return ops.mean(value, axis=-1)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squares of errors between labels and predictions."""

    def __init__(self, reduction="sum_over_batch_size", name: str = "mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors between labels and predictions."""

    def __init__(self, reduction="sum_over_batch_size", name: str = "mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error between labels and predictions."""

    def __init__(self, reduction="sum_over_batch_size", name: str = "mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error between labels and predictions."""

    def __init__(self, reduction="sum_over_batch_size", name: str = "mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity between labels and predictions."""

    def __init__(self, axis: int = -1, reduction="sum_over_batch_size", name: str = "cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        # Keras 3.15 leaves `axis` out of the config (so it is lost on reload); we keep it
        return {**Loss.get_config(self), "axis": self.axis}


class Huber(LossFunctionWrapper):
    """Huber loss: squared error near zero, absolute error past `delta`."""

    def __init__(self, delta: float = 1.0, reduction="sum_over_batch_size", name: str = "huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)
        self.delta = delta

    def get_config(self) -> dict:
        # Keras 3.15 leaves `delta` out of the config (so it is lost on reload); we keep it
        return {**Loss.get_config(self), "delta": self.delta}


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the prediction error."""

    def __init__(self, reduction="sum_over_batch_size", name: str = "log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)
