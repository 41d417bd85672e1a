"""`Merge`: the base of layers that combine a list of tensors, with their shape checks.

Shape problems are found when the graph is built (a symbolic call) and when a layer is called
eagerly, and the message names the layer and the shapes that clash.
"""

from __future__ import annotations

import numpy as np

from engine import ops
from engine.layers.layer import Layer


def is_shape_list(value) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(s, (list, tuple)) for s in value)


class Merge(Layer):
    """Elementwise merge of two or more inputs; dimensions of size 1 broadcast, ranks may differ (as in Keras)."""

    min_inputs = 2
    max_inputs: int | None = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    def _merge_function(self, inputs):
        raise NotImplementedError

    # -- validation -----------------------------------------------------------------------------
    def _where(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def _count_problem(self, shapes) -> str | None:
        """A message when `shapes` is not a list of the right number of shapes."""
        if not is_shape_list(shapes):
            return f"should be called on a list of inputs; received a single input of shape {shapes}"
        n = len(shapes)
        if self.max_inputs is not None and self.max_inputs == self.min_inputs and n != self.min_inputs:
            return f"requires exactly {self.min_inputs} inputs, received {n}"
        if n < self.min_inputs:
            return f"requires at least {self.min_inputs} inputs, received {n}"
        return None

    def _shape_problem(self, shapes) -> str | None:
        """A message when the shapes cannot be merged; None when they can."""
        batch = {s[0] for s in shapes if len(s)} - {None}
        if len(batch) > 1:
            return f"cannot merge tensors with different batch sizes; received shapes {_fmt(shapes)}"
        first = tuple(shapes[0])
        for other in shapes[1:]:
            if _broadcast_samples(first[1:], tuple(other)[1:]) is None:
                return f"inputs {tuple(first)} and {tuple(other)} must have the same shape"
        return None

    def _validate(self, shapes, prefix: bool) -> None:
        """Raise a ValueError for a bad count or clashing shapes; `prefix` adds the layer's class and name."""
        problem = self._count_problem(shapes) or self._shape_problem(shapes)
        if problem:
            raise ValueError(f"{self._where()}: {problem}" if prefix else problem)

    # -- the protocol -----------------------------------------------------------------------------
    def build(self, input_shape):
        self._validate(input_shape, prefix=True)
        self._reshape_required = len({len(s) for s in input_shape}) > 1
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{self._where()}: should be called on a list of inputs; received a single input of "
                             f"shape {tuple(np.shape(inputs))}")
        self._validate([tuple(x.shape) for x in inputs], prefix=True)
        inputs = list(inputs)
        ranks = [x.ndim for x in inputs]
        if len(set(ranks)) > 1:
            # Lower-rank inputs get new axes after the batch axis, as in Keras.
            top = max(ranks)
            for i, x in enumerate(inputs):
                for _ in range(top - x.ndim):
                    x = ops.expand_dims(x, 1)
                inputs[i] = x
        return self._merge_function(inputs)

    def compute_output_shape(self, input_shape):
        self._validate(input_shape, prefix=False)
        sample = tuple(input_shape[0])[1:]
        for shape in input_shape[1:]:
            sample = _broadcast_samples(sample, tuple(shape)[1:])
        batch = {s[0] for s in input_shape if len(s)} - {None}
        return (batch.pop() if len(batch) == 1 else None, *sample)

    def compute_mask(self, inputs, mask=None):
        """The OR of the inputs' masks (None unless every input has one), as Keras's elementwise merges."""
        if not isinstance(mask, (list, tuple)) or any(m is None for m in mask):
            return None
        output = np.asarray(mask[0], dtype=bool)
        for m in mask[1:]:
            output = np.logical_or(output, m)
        return output

    def get_config(self) -> dict:
        return super().get_config()


def _broadcast_samples(shape1: tuple, shape2: tuple) -> tuple | None:
    """The elementwise result shape of two per-sample shapes (right-aligned, 1 broadcasts), or None if they clash."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    if not shape2:
        return tuple(shape1)
    out = list(shape1[: len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            return None
    return tuple(out)


def _fmt(shapes) -> str:
    return ", ".join(str(tuple(s)) for s in shapes)
