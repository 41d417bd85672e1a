"""The `Loss` base class: per-sample losses from `call`, then sample weights and a reduction to one number.

Reductions follow Keras 3: "sum_over_batch_size" (the default) and "mean" divide the weighted sum by the
number of loss values, "sum" does not divide, "mean_with_sample_weight" divides by the sum of the weights,
"none"/None keep the per-sample values.
"""

from __future__ import annotations

import numpy as np

from engine import backend, ops
from engine.autodiff import Tensor, make
from engine.ops.core import value_of

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`: {reduction!r}. Expected one of {REDUCTIONS}")
    return reduction


def _ndim(x) -> int:
    return np.ndim(value_of(x))


def _last_dim(x) -> int:
    return np.shape(value_of(x))[-1]


def _squeeze_last(x):
    return ops.squeeze(x, -1) if isinstance(x, Tensor) else np.squeeze(x, -1)


def _expand_last(x):
    return ops.expand_dims(x, -1) if isinstance(x, Tensor) else np.expand_dims(x, -1)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1: bool = True):
    """Make ranks equal when they differ by one trailing 1 (`(32,)` vs `(32, 1)`), as Keras does."""
    rank1, rank2 = _ndim(x1), _ndim(x2)
    if rank1 == rank2 + 1 and _last_dim(x1) == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = _expand_last(x2)
        else:
            x1 = _squeeze_last(x1)
    elif rank2 == rank1 + 1 and _last_dim(x2) == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = _expand_last(x1)
        else:
            x2 = _squeeze_last(x2)
    return x1, x2


def check_shapes(y_true, y_pred, where: str) -> None:
    """Raise a ValueError naming both shapes when they cannot be broadcast together."""
    true_shape, pred_shape = np.shape(value_of(y_true)), np.shape(value_of(y_pred))
    try:
        np.broadcast_shapes(true_shape, pred_shape)
    except ValueError:
        raise ValueError(
            f"{where}: y_true and y_pred have incompatible shapes: y_true.shape={true_shape}, "
            f"y_pred.shape={pred_shape}") from None


def prepare(y_true, y_pred, where: str, squeeze: bool = True) -> tuple[Tensor, Tensor]:
    """y_pred as a tensor, y_true as a tensor of y_pred's dtype, ranks aligned and shapes checked."""
    y_pred = ops.convert_to_tensor(y_pred)
    if not np.issubdtype(y_pred.dtype, np.floating):
        y_pred = ops.cast(y_pred, backend.floatx())
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    if squeeze:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_shapes(y_true, y_pred, where)
    return y_true, y_pred


def _sum_divided(values: Tensor, divisor) -> Tensor:
    """`sum(values) / divisor` in the values' dtype, as one recorded op (Keras's divide_no_nan: times 0 when
    the divisor is 0)."""
    v = values.value
    divisor = v.dtype.type(divisor)

    def divide(a):
        return a / divisor if divisor != 0 else a * v.dtype.type(0)

    return make(np.asarray(divide(np.sum(v)), v.dtype), (values,), lambda g: (np.broadcast_to(divide(g), v.shape),))


def reduce_values(values: Tensor, sample_weight=None, reduction="sum_over_batch_size") -> Tensor:
    """Sum, or average, already weighted loss values."""
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return _sum_divided(values, np.sum(sample_weight))
    return _sum_divided(values, values.size)


def _mask_to_weights(mask, reduction, dtype) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool)
    if reduction in ("mean", "sum_over_batch_size"):
        # masked-out entries weigh 0, the rest total/valid, so the mean is over valid entries only
        valid = mask.sum()
        scale = mask.size / valid if valid else 0.0
        return np.where(mask, scale, 0).astype(dtype)
    return mask.astype(dtype)


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size",
                           dtype=None) -> Tensor:
    """Multiply per-sample losses by their sample weights (and mask), then reduce as `reduction` says."""
    reduction = standardize_reduction(reduction)
    dtype = dtype or backend.floatx()
    values = ops.convert_to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = np.asarray(value_of(sample_weight), dtype=dtype)
    if mask is not None:
        mask_weights = _mask_to_weights(mask, reduction, dtype)
        if sample_weight is None:
            sample_weight = mask_weights
        else:
            mask_weights, sample_weight = squeeze_or_expand_to_same_rank(mask_weights, sample_weight)
            sample_weight = sample_weight * mask_weights
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        try:
            np.broadcast_shapes(values.shape, sample_weight.shape)
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {sample_weight.shape} does not fit losses of shape {values.shape}: "
                "give one weight per sample (or per loss value)") from None
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class of losses: subclasses implement `call(y_true, y_pred)` returning per-sample losses."""

    def __init__(self, name: str | None = None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or backend.unique_name(backend.to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype = str(np.dtype(dtype or backend.floatx()))

    @property
    def dtype(self) -> str:
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        prediction_mask = getattr(y_pred, "_keras_mask", None)  # masked timesteps do not count, as in Keras
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
        losses = self.call(y_true, y_pred)
        mask = self._mask(y_true, y_pred)
        if prediction_mask is not None:
            mask = prediction_mask if mask is None else (mask & prediction_mask)
        return reduce_weighted_values(losses, sample_weight=sample_weight, mask=mask,
                                      reduction=self.reduction, dtype=self.dtype)

    def call(self, y_true, y_pred) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def _mask(self, y_true, y_pred) -> np.ndarray | None:
        """Which loss values count (None: all). Keras attaches this to the tensor; we ask the loss."""
        return None

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """A `Loss` around a function `fn(y_true, y_pred, **kwargs)` that returns per-sample losses."""

    def __init__(self, fn, reduction="sum_over_batch_size", name: str | None = None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred) -> Tensor:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        from engine.serialization import serialize_object

        config = super().get_config()
        config["fn"] = serialize_object(self.fn, "keras.losses")
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        config = dict(config)
        if isinstance(config.get("fn"), (dict, str)):
            from engine.losses import deserialize

            config["fn"] = deserialize(config["fn"], custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"
