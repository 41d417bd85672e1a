"""Hinge losses for maximum-margin classifiers (labels -1/1; 0/1 labels are converted)."""

from __future__ import annotations

import numpy as np

from engine import ops
from engine.autodiff import Tensor
from engine.losses.loss import Loss, LossFunctionWrapper, prepare


def _to_signed_labels(y_true: Tensor) -> Tensor:
    """0/1 labels become -1/1; any other labels are left as they are (Keras's rule)."""
    values = y_true.value
    if np.all((values == 0) | (values == 1)):
        return ops.subtract(ops.multiply(y_true, np.asarray(2.0, dtype=values.dtype)), np.asarray(1.0, values.dtype))
    return y_true


def _margin(y_true: Tensor, y_pred: Tensor) -> Tensor:
    one = np.asarray(1.0, dtype=y_pred.dtype)
    return ops.maximum(ops.subtract(one, ops.multiply(_to_signed_labels(y_true), y_pred)), np.zeros((), y_pred.dtype))


def hinge(y_true, y_pred) -> Tensor:
    """mean(max(1 - y_true * y_pred, 0)) over the last axis."""
    y_true, y_pred = prepare(y_true, y_pred, "hinge", squeeze=False)
    return ops.mean(_margin(y_true, y_pred), axis=-1)


def squared_hinge(y_true, y_pred) -> Tensor:
    """mean(max(1 - y_true * y_pred, 0)^2) over the last axis."""
    y_true, y_pred = prepare(y_true, y_pred, "squared_hinge", squeeze=False)
    return ops.mean(ops.square(_margin(y_true, y_pred)), axis=-1)


def categorical_hinge(y_true, y_pred) -> Tensor:
    """max(max_wrong - score_true + 1, 0), with one-hot y_true."""
    y_true, y_pred = prepare(y_true, y_pred, "categorical_hinge", squeeze=False)
    one = np.asarray(1.0, dtype=y_pred.dtype)
    positive = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    negative = ops.max(ops.multiply(ops.subtract(one, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(negative, positive), one), np.zeros((), y_pred.dtype))


class Hinge(LossFunctionWrapper):
    """Hinge loss between labels (-1/1 or 0/1) and predicted scores."""

    def __init__(self, reduction="sum_over_batch_size", name: str = "hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss between labels (-1/1 or 0/1) and predicted scores."""

    def __init__(self, reduction="sum_over_batch_size", name: str = "squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss between one-hot labels and predicted scores."""

    def __init__(self, reduction="sum_over_batch_size", name: str = "categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)
