"""Weights that are finite: a cheap snapshot of a model's state between batches, and the check that refuses
NaN or infinite weights before they are saved, exported or used to predict. Plain Python and NumPy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def all_finite(arrays: Sequence[np.ndarray]) -> bool:
    return all(np.isfinite(a).all() for a in arrays if np.asarray(a).dtype.kind == "f")


def non_finite_weight(model) -> str | None:
    """The path of the model's first weight holding NaN or infinity (e.g. "dense_1/kernel"), or None."""
    for variable in model.weights:
        value = np.asarray(variable.value)
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            return str(getattr(variable, "path", None) or getattr(variable, "name", "?"))
    return None


def refuse_non_finite(model, what: str) -> None:
    """Raise ValueError naming the weight when the model holds NaN or infinite weights; `what` says whose."""
    bad = non_finite_weight(model)
    if bad is not None:
        raise ValueError(f"The weights of {what} are not finite (NaN or infinity in {bad}): the model cannot be "
                         "used. Train it again, with a lower learning rate.")


class StateSnapshot:
    """Copies of a set of variables (the model's weights and the optimizer's state), taken into buffers that
    are allocated once: taking one every batch costs a memory copy, not an allocation."""

    def __init__(self, variables: Callable[[], list]):
        self._variables = variables
        self._buffers: list[np.ndarray] = []
        self._taken: list = []
        self.empty = True

    def take(self) -> None:
        variables = self._variables()
        if len(variables) != len(self._buffers) or any(b.shape != v.value.shape or b.dtype != v.value.dtype
                                                       for b, v in zip(self._buffers, variables)):
            self._buffers = [np.empty_like(v.value) for v in variables]  # the optimizer built its slots
        for buffer, variable in zip(self._buffers, variables):
            np.copyto(buffer, variable.value)
        self._taken = list(variables)
        self.empty = False

    def swap(self, other: StateSnapshot) -> None:
        """Exchange contents with `other` (no copy)."""
        self._buffers, other._buffers = other._buffers, self._buffers
        self._taken, other._taken = other._taken, self._taken
        self.empty, other.empty = other.empty, self.empty

    def restore(self) -> None:
        """Put the copied values back into the variables they were taken from."""
        for buffer, variable in zip(self._buffers, self._taken):
            variable.assign(buffer)


class CopySnapshot:
    """`StateSnapshot` for variables whose values are not NumPy arrays (Keras on torch, JAX or TensorFlow): copies
    made by `copy` (e.g. `keras.ops.copy`, which keeps them on the device the model trains on)."""

    def __init__(self, variables: Callable[[], list], copy: Callable):
        self._variables = variables
        self._copy = copy
        self._values: list = []
        self._taken: list = []
        self.empty = True

    def take(self) -> None:
        self._taken = list(self._variables())
        self._values = [self._copy(v.value) for v in self._taken]
        self.empty = False

    def swap(self, other: CopySnapshot) -> None:
        self._values, other._values = other._values, self._values
        self._taken, other._taken = other._taken, self._taken
        self.empty, other.empty = other.empty, self.empty

    def restore(self) -> None:
        for value, variable in zip(self._values, self._taken):
            variable.assign(value)
