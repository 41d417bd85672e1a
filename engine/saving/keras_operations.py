"""The Keras operations that Keras writes into functional configs to carry masks, as graph nodes.

When a mask flows through a Keras functional model (after `Masking` or `Embedding(mask_zero=True)`),
Keras records how it was computed as operation nodes (`keras.src.ops.numpy.NotEqual`, `Any`,
`LogicalOr`, ...) and passes the result explicitly as `mask=` to the next layers. Loading such a
file replays those nodes with these small layers (NumPy, no gradients: masks are booleans), and
saving writes them back under Keras's names. They hold no weights, and `model.layers` in Keras does
not list them, so the weights file skips them.
"""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.autodiff import Tensor
from engine.layers.layer import Layer, shape_of


def _value(x) -> np.ndarray:
    return np.asarray(x.value if isinstance(x, Tensor) else x)


def _broadcast(a: tuple, b: tuple) -> tuple:
    a, b = tuple(a), tuple(b)
    width = max(len(a), len(b))
    a, b = (1,) * (width - len(a)) + a, (1,) * (width - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x == 1:
            out.append(y)
        elif y == 1 or y == x or y is None:
            out.append(x)
        elif x is None:
            out.append(y)
        else:
            raise ValueError(f"Cannot broadcast shapes {a} and {b}")
    return tuple(out)


def _axis(axis, ndim: int) -> list[int]:
    axes = range(ndim) if axis is None else ([axis] if isinstance(axis, int) else axis)
    return sorted(a % ndim for a in axes)


class KerasOperation(Layer):
    """Base of the operation nodes: remembers every argument's shape for `compute_output_shape`."""

    _keras_module = "keras.src.ops.numpy"
    is_keras_operation = True

    def __init__(self, name: str | None = None):
        super().__init__(name=name or backend.unique_name(backend.to_snake_case(type(self).__name__)))
        self.supports_masking = True  # passes no mask on, and warns about none
        self._argument_shapes: list = []

    def __call__(self, *args, **kwargs):
        self._argument_shapes = [shape_of(a) if hasattr(a, "shape") or isinstance(a, list) else ()
                                 for a in args]
        return super().__call__(*args, **kwargs)

    def compute_mask(self, inputs, previous_mask):
        return None

    def _output_dtype(self, inputs) -> str:
        return "bool"

    def get_config(self) -> dict:
        return {"name": self.name}

    def get_build_config(self) -> None:
        return None  # Keras's operations have no build step

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


class _Comparison(KerasOperation):
    def call(self, x1, x2=None):
        return Tensor(self._compare(_value(x1), _value(x2)))

    def compute_output_shape(self, input_shape):
        other = self._argument_shapes[1] if len(self._argument_shapes) > 1 else ()
        return _broadcast(input_shape, other)


class NotEqual(_Comparison):
    _compare = staticmethod(np.not_equal)


class Equal(_Comparison):
    _compare = staticmethod(np.equal)


class LogicalOr(_Comparison):
    _compare = staticmethod(np.logical_or)


class LogicalAnd(_Comparison):
    _compare = staticmethod(np.logical_and)


class _Reduction(KerasOperation):
    def __init__(self, axis=None, keepdims: bool = False, name: str | None = None):
        super().__init__(name=name)
        self.axis = [axis] if isinstance(axis, int) else axis
        self.keepdims = keepdims

    def call(self, x):
        axis = None if self.axis is None else tuple(self.axis)
        return Tensor(self._reduce(_value(x), axis=axis, keepdims=self.keepdims))

    def compute_output_shape(self, input_shape):
        axes = _axis(self.axis, len(input_shape))
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self) -> dict:
        axis = self.axis[0] if isinstance(self.axis, list) and len(self.axis) == 1 else self.axis
        return {"name": self.name, "axis": axis, "keepdims": self.keepdims}


class Any(_Reduction):
    _reduce = staticmethod(np.any)


class All(_Reduction):
    _reduce = staticmethod(np.all)


class ExpandDims(KerasOperation):
    def __init__(self, axis, name: str | None = None):
        super().__init__(name=name)
        self.axis = axis

    def call(self, x):
        return Tensor(np.expand_dims(_value(x), self.axis))

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape.insert(self.axis % (len(shape) + 1), 1)
        return tuple(shape)

    def get_config(self) -> dict:
        return {"name": self.name, "axis": self.axis}


class _Fill(KerasOperation):
    def __init__(self, dtype=None, name: str | None = None):
        super().__init__(name=name)
        self.fill_dtype = dtype

    def call(self, x):
        value = _value(x)
        return Tensor(np.full(value.shape, self._fill, dtype=self.fill_dtype or value.dtype))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _output_dtype(self, inputs) -> str:
        return self.fill_dtype or getattr(inputs, "dtype", self.dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.fill_dtype}


class OnesLike(_Fill):
    _fill = 1


class ZerosLike(_Fill):
    _fill = 0


class Concatenate(KerasOperation):
    def __init__(self, axis=0, name: str | None = None):
        super().__init__(name=name)
        self.axis = axis

    def call(self, xs):
        return Tensor(np.concatenate([_value(x) for x in xs], axis=self.axis))

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        axis = self.axis % len(shapes[0])
        sizes = [s[axis] for s in shapes]
        out = list(shapes[0])
        out[axis] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(out)

    def get_config(self) -> dict:
        return {"name": self.name, "axis": self.axis}


OPERATIONS: dict[str, type[KerasOperation]] = {
    cls.__name__: cls for cls in (NotEqual, Equal, LogicalOr, LogicalAnd, Any, All, ExpandDims, OnesLike,
                                  ZerosLike, Concatenate)}
