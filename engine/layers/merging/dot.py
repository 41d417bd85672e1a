"""`Dot`: per-sample dot products between two tensors along given axes (optionally of L2-normalized inputs)."""

from __future__ import annotations

import string

from engine import backend, ops
from engine.layers.merging.base_merge import Merge


class Dot(Merge):
    """`Dot(axes=1)([x, y])` on `(batch, n)` inputs gives `(batch, 1)`; `normalize=True` gives cosine similarity."""

    max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Invalid type for argument `axes`: it should be a list or an int. Received: "
                                f"axes={axes}")
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes`: it should contain two elements. Received: "
                                 f"axes={axes}")
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError(f"Invalid format for argument `axes`: list elements should be integers. Received: "
                                 f"axes={axes}")
        self.axes = axes
        self.normalize = normalize
        self.supports_masking = True

    def _resolved_axes(self, rank1: int, rank2: int) -> tuple[int, int]:
        axes = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        return axes[0] % rank1 if axes[0] < 0 else axes[0], axes[1] % rank2 if axes[1] < 0 else axes[1]

    def _shape_problem(self, shapes) -> str | None:
        shape1, shape2 = tuple(shapes[0]), tuple(shapes[1])
        if len(shape1) < 2 or len(shape2) < 2:
            return f"inputs {shape1} and {shape2} must have rank 2 or more (a batch axis and a feature axis)"
        a1, a2 = self._resolved_axes(len(shape1), len(shape2))
        if not (0 <= a1 < len(shape1) and 0 <= a2 < len(shape2)):
            return f"axes={self.axes} are out of bounds for inputs {shape1} and {shape2}"
        if a1 == 0 or a2 == 0:
            return f"cannot take the dot product over the batch axis 0 (axes={self.axes})"
        d1, d2 = shape1[a1], shape2[a2]
        if d1 is not None and d2 is not None and d1 != d2:
            return (f"inputs {shape1} and {shape2} must have the same size along the dot axes {self.axes}: "
                    f"{d1} (axis {a1}) != {d2} (axis {a2})")
        if shape1[0] is not None and shape2[0] is not None and shape1[0] != shape2[0]:
            return f"cannot merge tensors with different batch sizes; received shapes {shape1}, {shape2}"
        return None

    def build(self, input_shape):
        self._validate(input_shape, prefix=True)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            return super().call(inputs)  # raises the "list of inputs" error
        self._validate([tuple(x.shape) for x in inputs], prefix=True)
        x1, x2 = inputs
        a1, a2 = self._resolved_axes(x1.ndim, x2.ndim)
        if self.normalize:
            x1, x2 = _l2_normalize(x1, a1), _l2_normalize(x2, a2)
        return _batch_dot(x1, x2, a1, a2)

    def compute_output_shape(self, input_shape):
        self._validate(input_shape, prefix=False)
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        a1, a2 = self._resolved_axes(len(shape1), len(shape2))
        shape1.pop(a1)
        shape2.pop(a2)
        shape2.pop(0)
        output = shape1 + shape2
        if len(output) == 1:
            output.append(1)
        return tuple(output)

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x, axis: int):
    """`x / max(||x||, epsilon)` along `axis`, as `keras.ops.normalize` (safe gradient at zero)."""
    eps = backend.epsilon()
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.power(ops.maximum(squares, eps * eps), -0.5))


def _batch_dot(x, y, axis_x: int, axis_y: int):
    """Contract `x` along `axis_x` with `y` along `axis_y`, sample by sample; remaining axes of x, then of y."""
    letters = iter(string.ascii_letters[2:])
    x_spec = ["a"] + [next(letters) for _ in range(x.ndim - 1)]
    x_spec[axis_x] = "b"
    y_spec = ["a"] + [next(letters) for _ in range(y.ndim - 1)]
    y_spec[axis_y] = "b"
    out_spec = ["a"] + [c for c in x_spec[1:] if c != "b"] + [c for c in y_spec[1:] if c != "b"]
    out = ops.einsum(f"{''.join(x_spec)},{''.join(y_spec)}->{''.join(out_spec)}", x, y)
    return ops.expand_dims(out, -1) if out.ndim == 1 else out


def dot(inputs, axes=-1, **kwargs):
    """Functional interface to `Dot`."""
    return Dot(axes=axes, **kwargs)(inputs)
