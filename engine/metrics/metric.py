"""The `Metric` base class: state kept in non-trainable variables, updated batch by batch.

Metrics need no gradients, so they compute with plain NumPy on `np.asarray` of their inputs.
`result()` gives a Python float for a scalar and an ndarray otherwise (e.g. Precision with a list of
thresholds).
"""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.backend import to_snake_case
from engine.ops.core import value_of
from engine.variables import Variable


def as_array(x, dtype=None) -> np.ndarray:
    """The ndarray behind a Tensor, array or list; Python floats become float32 like Keras tensors."""
    value = value_of(x)
    if dtype is not None:
        return np.asarray(value, dtype=dtype)
    array = np.asarray(value)
    if array.dtype == np.float64 and not isinstance(value, np.ndarray):
        array = array.astype(backend.floatx())
    return array


def to_result(value):
    """A Python float for a scalar result, an ndarray copy otherwise."""
    array = np.asarray(value)
    return float(array) if array.ndim == 0 else array.copy()


def _initial_value(initializer, shape: tuple, dtype) -> np.ndarray:
    if initializer is None or initializer == "zeros":
        return np.zeros(shape, dtype=dtype)
    if initializer == "ones":
        return np.ones(shape, dtype=dtype)
    if callable(initializer):
        return np.asarray(initializer(shape, dtype=dtype), dtype=dtype)
    return np.broadcast_to(np.asarray(initializer, dtype=dtype), shape).copy()


class Metric:
    """Base class of metrics: `update_state` accumulates, `result` reads, `reset_state` clears."""

    def __init__(self, dtype=None, name: str | None = None):
        self.name = name or backend.unique_name(to_snake_case(type(self).__name__))
        self._dtype = str(np.dtype(dtype or backend.floatx()))
        self._variables: list[Variable] = []
        self._metrics: list[Metric] = []

    @property
    def dtype(self) -> str:
        return self._dtype

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation: str = "sum",
                     name: str | None = None) -> Variable:
        """A non-trainable state variable, reset to zero by `reset_state` (`aggregation` is accepted for
        Keras compatibility; with one device there is nothing to aggregate)."""
        if not hasattr(self, "_variables"):
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before adding variables")
        dtype = dtype or self.dtype
        shape = tuple(shape)
        variable = Variable(_initial_value(initializer, shape, dtype), shape=shape, dtype=dtype, trainable=False,
                            name=name or "variable")
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name: str | None = None) -> Variable:
        """Alias of `add_variable` kept by Keras for older code."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list[Variable]:
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    def __setattr__(self, name, value):
        if isinstance(value, Metric) and hasattr(self, "_metrics") and value is not self:
            self._metrics.append(value)
        object.__setattr__(self, name, value)

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def reset_state(self) -> None:
        for variable in self.variables:
            variable.value[...] = 0

    def __call__(self, *args, **kwargs):
        """Update with one batch and return the result so far."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

