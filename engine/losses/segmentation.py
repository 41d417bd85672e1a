"""Overlap losses for segmentation masks: Dice and Tversky."""

from __future__ import annotations

import numpy as np

from engine import backend, ops
from engine.autodiff import Tensor
from engine.losses.loss import Loss, LossFunctionWrapper, prepare


def dice(y_true, y_pred, axis=None) -> Tensor:
    """1 - 2|A∩B| / (|A| + |B|), summed over `axis` (all axes when None)."""
    y_true, y_pred = prepare(y_true, y_pred, "dice", squeeze=False)
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    denominator = ops.add(ops.add(ops.sum(y_true, axis=axis), ops.sum(y_pred, axis=axis)),
                          np.asarray(backend.epsilon(), dtype=y_pred.dtype))
    score = ops.divide(ops.multiply(intersection, np.asarray(2.0, dtype=y_pred.dtype)), denominator)
    return ops.subtract(np.asarray(1.0, dtype=y_pred.dtype), score)


def tversky(y_true, y_pred, alpha: float = 0.5, beta: float = 0.5, axis=None) -> Tensor:
    """1 - TP / (TP + alpha * FP + beta * FN): Dice with separate weights for the two kinds of error."""
    y_true, y_pred = prepare(y_true, y_pred, "tversky", squeeze=False)
    dtype = y_pred.dtype
    one = np.asarray(1.0, dtype=dtype)
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    false_pos = ops.sum(ops.multiply(ops.subtract(one, y_pred), y_true), axis=axis)
    false_neg = ops.sum(ops.multiply(y_pred, ops.subtract(one, y_true)), axis=axis)
    denominator = ops.add(ops.add(ops.add(intersection, ops.multiply(false_pos, np.asarray(alpha, dtype))),
                                  ops.multiply(false_neg, np.asarray(beta, dtype))),
                          np.asarray(backend.epsilon(), dtype=dtype))
    return ops.subtract(one, ops.divide(intersection, denominator))


class Dice(LossFunctionWrapper):
    """Dice loss: one minus the Dice overlap coefficient."""

    def __init__(self, reduction="sum_over_batch_size", name: str = "dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        return {**Loss.get_config(self), "axis": self.axis}


class Tversky(LossFunctionWrapper):
    """Tversky loss: one minus the Tversky index."""

    def __init__(self, alpha: float = 0.5, beta: float = 0.5, reduction="sum_over_batch_size", name: str = "tversky",
                 axis=None, dtype=None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha, beta=beta, axis=axis)
        self.alpha = alpha
        self.beta = beta
        self.axis = axis

    def get_config(self) -> dict:
        return {**Loss.get_config(self), "alpha": self.alpha, "beta": self.beta, "axis": self.axis}
