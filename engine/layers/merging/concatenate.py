"""`Concatenate`: joins a list of tensors along one axis; every other dimension must match."""

from __future__ import annotations

import numpy as np

from engine import ops
from engine.layers.merging.base_merge import Merge


class Concatenate(Merge):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True

    def _shape_problem(self, shapes) -> str | None:
        first = tuple(shapes[0])
        rank = len(first)
        if not -rank <= self.axis < rank:
            return f"axis {self.axis} is out of bounds for inputs of rank {rank} (shape {first})"
        axis = self.axis % rank
        for other in shapes[1:]:
            other = tuple(other)
            if len(other) != rank:
                return (f"inputs {first} and {other} must have the same rank to be concatenated "
                        f"(axis={self.axis})")
            for i, (a, b) in enumerate(zip(first, other)):
                if i != axis and a is not None and b is not None and a != b:
                    return (f"inputs {first} and {other} must have matching shapes except for the concatenation "
                            f"axis (axis={self.axis})")
        return None

    def build(self, input_shape):
        self._validate(input_shape, prefix=True)
        self.built = True

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: unmasked inputs count as all-true; a position is kept if any joined part is."""
        if not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        parts = []
        for x, m in zip(inputs, mask):
            if m is None:
                parts.append(np.ones(x.shape, dtype=bool))
            elif np.ndim(m) < x.ndim:
                parts.append(np.broadcast_to(np.expand_dims(m, -1), x.shape))
            else:
                parts.append(np.asarray(m, dtype=bool))
        return np.any(np.concatenate(parts, axis=self.axis), axis=-1)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            return super().call(inputs)  # raises the "list of inputs" error
        self._validate([tuple(x.shape) for x in inputs], prefix=True)
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        self._validate(input_shape, prefix=False)
        output = list(input_shape[0])
        axis = self.axis % len(output)
        sizes = [s[axis] for s in input_shape]
        output[axis] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(output)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to `Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
