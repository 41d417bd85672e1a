"""Metrics that reduce values: `Sum`, `Mean`, and `MeanMetricWrapper` (the mean of any per-sample function)."""

from __future__ import annotations

import numpy as np

from engine.autodiff import no_grad
from engine.losses.loss import squeeze_or_expand_to_same_rank
from engine.metrics.metric import Metric, as_array, to_result
from engine.serialization import serialize_object


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype) -> tuple[np.ndarray, np.ndarray | None]:
    """Weighted values reduced to one per sample (Keras's rules for weights of lower rank than values)."""
    values = as_array(values).astype(dtype, copy=False)
    if sample_weight is not None:
        sample_weight = as_array(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        if values.ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values.ndim)))
        try:
            sample_weight = np.broadcast_to(sample_weight, values.shape)
        except ValueError:
            raise ValueError(f"sample_weight of shape {sample_weight.shape} does not fit values of shape "
                             f"{values.shape}: give one weight per sample") from None
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def divide_no_nan(numerator, denominator) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0."""
    numerator, denominator = np.asarray(numerator), np.asarray(denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.true_divide(numerator, denominator)
    return np.where(denominator == 0, np.zeros((), out.dtype), out)


class Sum(Metric):
    """The (weighted) sum of the values seen."""

    def __init__(self, name: str = "sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")

    def update_state(self, values, sample_weight=None) -> None:
        values, _ = reduce_to_samplewise_values(values, sample_weight, np.sum, self.dtype)
        self.total.value += np.sum(values, dtype=self.dtype)

    def result(self) -> float:
        return to_result(self.total.value)


class Mean(Metric):
    """The (weighted) mean of the values seen: total / count."""

    def __init__(self, name: str = "mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")
        self.count = self.add_variable(shape=(), name="count")

    def update_state(self, values, sample_weight=None) -> None:
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, np.mean, self.dtype)
        self.total.value += np.sum(values, dtype=self.dtype)
        if sample_weight is not None:
            count = np.sum(sample_weight, dtype=self.dtype)
        else:
            count = values.shape[0] if values.ndim >= 1 else 1
        self.count.value += np.asarray(count, dtype=self.dtype)

    def result(self) -> float:
        return to_result(divide_no_nan(self.total.value, self.count.value))


class MeanMetricWrapper(Mean):
    """The mean of `fn(y_true, y_pred, **kwargs)`; `fn` may be written with `engine.ops` or NumPy."""

    def __init__(self, fn, name: str | None = None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        with no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(as_array(values), sample_weight=sample_weight)

    def get_config(self) -> dict:
        return {**super().get_config(), "fn": serialize_object(self._fn, "keras.metrics"), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        config = dict(config)
        if isinstance(config.get("fn"), (dict, str)):
            from engine.metrics import deserialize_function

            config["fn"] = deserialize_function(config["fn"], custom_objects=custom_objects)
        return cls(**config)
