"""`Normalization`: the preprocessing layer that standardizes features with a mean and variance.

The statistics are given (`mean=`, `variance=`) or learned from data by `adapt(data)`; either way the
layer computes `(x - mean) / max(sqrt(variance), epsilon)` (or the inverse with `invert=True`), so
feature scaling can live inside a model and travel with it.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from engine import backend, ops
from engine.autodiff import Tensor
from engine.layers.layer import Layer


class Normalization(Layer):
    """Keras 3's `Normalization`; after `adapt` its non-trainable weights are mean, variance and count."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self._build_input_shape = None
        self._fixed_mean = self._fixed_variance = None
        self.adapt_mean = self.adapt_variance = self.count = None
        if (mean is not None) != (variance is not None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be set. "
                             f"Received: mean={mean} and variance={variance}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError("When setting values directly, `mean` and `variance` must have the same shape. "
                                 f"Received: mean shape {np.shape(mean)} and variance shape {np.shape(variance)}")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(f"The rank of `mean` must be less than or equal to the number of axes "
                                 f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis {self.axis}")

    def build(self, input_shape):
        if input_shape is None:
            return
        ndim = len(input_shape)
        self._build_input_shape = tuple(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                             f"ndim={ndim}, while axis={self.axis}")
        self._keep_axis = tuple(sorted(d % ndim for d in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f"All `axis` values to be kept must have a known shape. Received axis={self.axis}, "
                                 f"inputs.shape={tuple(input_shape)}, with unknown axis at index {d}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = [input_shape[d] if d in self._keep_axis else 1 for d in range(ndim)]
        self._mean_and_var_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._mean_and_var_shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=self._mean_and_var_shape,
                                                  initializer="ones", trainable=False)
            # Kept for compatibility with Keras files; Keras never updates it either.
            self.count = self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros",
                                         trainable=False)
        else:
            self._fixed_mean = self._broadcast_given(self.input_mean, ndim)
            self._fixed_variance = self._broadcast_given(self.input_variance, ndim)
        self.built = True

    def _broadcast_given(self, value, ndim: int) -> np.ndarray:
        """Align a given mean/variance with the kept axes, right to left, then broadcast."""
        value = np.asarray(value, dtype=self.dtype)
        expanded = [1] * ndim
        for i in range(1, value.ndim + 1):
            expanded[self._keep_axis[-i]] = value.shape[-i]
        return np.broadcast_to(value.reshape(expanded), self._broadcast_shape).copy()

    @property
    def mean(self) -> Tensor | None:
        """The mean in the input's broadcast shape (None before the layer is built)."""
        if self._fixed_mean is not None:
            return Tensor(self._fixed_mean)
        if self.adapt_mean is None:
            return None
        return Tensor(self.adapt_mean.value.reshape(self._broadcast_shape).astype(self.dtype))

    @property
    def variance(self) -> Tensor | None:
        if self._fixed_variance is not None:
            return Tensor(self._fixed_variance)
        if self.adapt_variance is None:
            return None
        return Tensor(self.adapt_variance.value.reshape(self._broadcast_shape).astype(self.dtype))

    def finalize_state(self) -> None:
        """Kept for Keras compatibility: `mean`/`variance` always read the current weights."""

    def adapt(self, data) -> None:
        """Compute the mean and variance of `data` (an array, a tensor, or an iterable of batches)."""
        if isinstance(data, (np.ndarray, Tensor)):
            input_shape = tuple(data.shape)
            batches = None
        elif hasattr(data, "__iter__"):
            iterator = iter(data)
            first = next(iterator, None)
            if first is None:
                raise ValueError("adapt() received an empty iterable (no batches). Expected at least one batch. "
                                 "Pass a non-empty iterable of arrays or tensors, e.g. layer.adapt([x]).")
            first = _extract_batch(first)
            if not hasattr(first, "shape"):
                raise TypeError("adapt() expects an iterable that yields arrays or tensors with a `.shape` "
                                f"attribute (e.g. numpy arrays). Got an element of type {type(first).__name__}.")
            input_shape = tuple(first.shape)
            batches = itertools.chain([first], iterator)
        else:
            raise TypeError(f"Unsupported data type: {type(data)}. `adapt` supports `np.ndarray`, tensors and "
                            "iterables of batches (e.g. a list of arrays, a generator).")
        if not self.built:
            self._build(input_shape)
        elif self.input_mean is not None:
            raise ValueError("This Normalization layer was given `mean` and `variance`; it cannot be adapted.")
        else:
            for d in self._keep_axis:
                if input_shape[d] != self._build_input_shape[d]:
                    raise ValueError(f"The layer was built with input_shape={self._build_input_shape}, but adapt() "
                                     f"is being called with data with an incompatible shape, data.shape={input_shape}")
        if batches is None:
            values = np.asarray(ops.value_of(data))
            total_mean = np.mean(values, axis=self._reduce_axis)
            total_var = np.var(values, axis=self._reduce_axis)
        else:
            total_mean, total_var = self._streamed_moments(batches)
        self.adapt_mean.assign(np.asarray(total_mean, dtype=self.adapt_mean.dtype))
        self.adapt_variance.assign(np.asarray(total_var, dtype=self.adapt_variance.dtype))

    def _streamed_moments(self, batches):
        """Combine per-batch means and variances (the lack-of-fit sum of squares form Keras uses)."""
        total_mean = np.zeros(self._mean_and_var_shape, dtype=self.dtype)
        total_var = np.zeros(self._mean_and_var_shape, dtype=self.dtype)
        total_count = 0
        for batch in batches:
            batch = np.asarray(ops.value_of(_extract_batch(batch)), dtype=self.dtype)
            for d in self._keep_axis:
                if batch.ndim != len(self._build_input_shape) or batch.shape[d] != self._build_input_shape[d]:
                    raise ValueError(f"adapt() yielded a batch with incompatible shape. Expected "
                                     f"{self._build_input_shape}, got {tuple(batch.shape)}.")
            batch_mean = np.mean(batch, axis=self._reduce_axis)
            batch_var = np.var(batch, axis=self._reduce_axis)
            batch_count = math.prod(batch.shape[d] for d in self._reduce_axis) if self._reduce_axis else 1
            total_count += batch_count
            batch_weight = float(batch_count) / total_count
            existing_weight = 1.0 - batch_weight
            new_mean = total_mean * existing_weight + batch_mean * batch_weight
            total_var = ((total_var + (total_mean - new_mean) ** 2) * existing_weight
                         + (batch_var + (batch_mean - new_mean) ** 2) * batch_weight)
            total_mean = new_mean
        return total_mean, total_var

    def call(self, inputs):
        mean, variance = self.mean, self.variance
        if mean is None:
            raise ValueError("You must call `.build(input_shape)` on the layer before using it.")
        x = inputs if inputs.dtype == self.dtype else ops.cast(inputs, self.dtype)
        mean, variance = ops.cast(mean, x.dtype), ops.cast(variance, x.dtype)
        scale = ops.maximum(ops.sqrt(variance), backend.epsilon())
        if self.invert:
            return ops.add(mean, ops.multiply(x, scale))
        return ops.divide(ops.subtract(x, mean), scale)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }

    def get_build_config(self) -> dict | None:
        if self._build_input_shape:
            return {"input_shape": list(self._build_input_shape)}
        return None


def _extract_batch(batch):
    """`(x, y)` batches contribute their x."""
    return batch[0] if isinstance(batch, tuple) else batch
