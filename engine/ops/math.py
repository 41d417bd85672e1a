"""Differentiable NumPy ops: arithmetic, elementwise math, reductions, comparisons; Tensor's operators."""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.autodiff import Tensor, make, unbroadcast
from engine.ops.core import as_array as _as_array
from engine.ops.core import value_of

# The ops `engine.ops` exports (not the modules and helpers imported here).
__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "negative", "power", "square", "sqrt", "abs",
    "absolute", "exp", "log", "log1p", "expm1", "sin", "cos", "sign", "floor", "ceil", "round", "maximum",
    "minimum", "clip", "where", "matmul", "dot", "sum", "mean", "max", "min", "amax", "amin", "var", "std",
    "prod", "logsumexp", "cumsum", "argmax", "argmin", "all", "any", "equal", "not_equal", "greater",
    "greater_equal", "less", "less_equal", "logical_and", "logical_or", "mod", "floor_divide",
    "logical_not", "isnan", "isfinite",
]


def _shape(x) -> tuple:
    return np.shape(value_of(x))


def _float_operand(x):
    """The array behind x for a float function: integers and booleans become floatx, as in Keras."""
    a = _as_array(x)
    if np.asarray(a).dtype.kind in "iub":
        return np.asarray(a, dtype=backend.floatx())
    return a




# -- arithmetic ------------------------------------------------------------------------------

def add(x1, x2) -> Tensor:
    a, b = _as_array(x1), _as_array(x2)
    out = np.add(a, b)
    return make(out, (x1, x2), lambda g: (unbroadcast(g, np.shape(a)), unbroadcast(g, np.shape(b))))


def subtract(x1, x2) -> Tensor:
    a, b = _as_array(x1), _as_array(x2)
    out = np.subtract(a, b)
    return make(out, (x1, x2), lambda g: (unbroadcast(g, np.shape(a)), unbroadcast(-g, np.shape(b))))


def multiply(x1, x2) -> Tensor:
    a, b = _as_array(x1), _as_array(x2)
    out = np.multiply(a, b)
    return make(out, (x1, x2), lambda g: (unbroadcast(g * b, np.shape(a)), unbroadcast(g * a, np.shape(b))))


def divide(x1, x2) -> Tensor:
    a, b = _as_array(x1), _as_array(x2)
    out = np.true_divide(a, b)
    return make(out, (x1, x2),
                lambda g: (unbroadcast(g / b, np.shape(a)), unbroadcast(-g * out / b, np.shape(b))))


true_divide = divide


def negative(x) -> Tensor:
    return make(np.negative(_as_array(x)), (x,), lambda g: (-g,))


def power(x1, x2) -> Tensor:
    a, b = _as_array(x1), _as_array(x2)
    out = np.power(a, b)

    def vjp(g):
        ga = unbroadcast(g * b * np.power(a, np.subtract(b, 1)), np.shape(a))
        gb = None
        if isinstance(x2, Tensor) and x2.requires_grad:
            safe = np.where(np.asarray(a) > 0, a, 1)
            gb = unbroadcast(g * out * np.log(safe), np.shape(b))
        return ga, gb

    return make(out, (x1, x2), vjp)


def square(x) -> Tensor:
    a = _as_array(x)
    return make(np.square(a), (x,), lambda g: (g * 2 * a,))


def sqrt(x) -> Tensor:
    out = np.sqrt(_float_operand(x))
    return make(out, (x,), lambda g: (g / (2 * out),))


def abs(x) -> Tensor:  # noqa: A001 - Keras name
    a = _as_array(x)
    return make(np.abs(a), (x,), lambda g: (g * np.sign(a),))


absolute = abs


def exp(x) -> Tensor:
    out = np.exp(_float_operand(x))
    return make(out, (x,), lambda g: (g * out,))


def log(x) -> Tensor:
    a = _float_operand(x)
    return make(np.log(a), (x,), lambda g: (g / a,))


def log1p(x) -> Tensor:
    a = _float_operand(x)
    return make(np.log1p(a), (x,), lambda g: (g / (1 + a),))


def expm1(x) -> Tensor:
    out = np.expm1(_float_operand(x))
    return make(out, (x,), lambda g: (g * (out + 1),))


def sin(x) -> Tensor:
    a = _float_operand(x)
    return make(np.sin(a), (x,), lambda g: (g * np.cos(a),))


def cos(x) -> Tensor:
    a = _float_operand(x)
    return make(np.cos(a), (x,), lambda g: (-g * np.sin(a),))


def sign(x) -> Tensor:
    return Tensor(np.sign(_as_array(x)))


def floor(x) -> Tensor:
    return Tensor(np.floor(_as_array(x)))


def ceil(x) -> Tensor:
    return Tensor(np.ceil(_as_array(x)))


def round(x, decimals: int = 0) -> Tensor:  # noqa: A001 - Keras name
    return Tensor(np.round(_as_array(x), decimals))


def maximum(x1, x2) -> Tensor:
    a, b = _as_array(x1), _as_array(x2)
    out = np.maximum(a, b)
    take_a = np.asarray(a) >= np.asarray(b)
    return make(out, (x1, x2), lambda g: (unbroadcast(g * take_a, np.shape(a)),
                                          unbroadcast(g * ~take_a, np.shape(b))))


def minimum(x1, x2) -> Tensor:
    a, b = _as_array(x1), _as_array(x2)
    out = np.minimum(a, b)
    take_a = np.asarray(a) <= np.asarray(b)
    return make(out, (x1, x2), lambda g: (unbroadcast(g * take_a, np.shape(a)),
                                          unbroadcast(g * ~take_a, np.shape(b))))


def clip(x, x_min, x_max) -> Tensor:
    a = _as_array(x)
    out = np.clip(a, value_of(x_min), value_of(x_max))
    inside = (a >= value_of(x_min)) & (a <= value_of(x_max))
    return make(out, (x,), lambda g: (g * inside,))


def where(condition, x1=None, x2=None) -> Tensor:
    cond = np.asarray(value_of(condition)).astype(bool)
    if x1 is None and x2 is None:
        return Tensor(np.stack(np.nonzero(cond)))
    a, b = _as_array(x1), _as_array(x2)
    out = np.where(cond, a, b)
    return make(out, (x1, x2), lambda g: (unbroadcast(np.where(cond, g, 0).astype(g.dtype), np.shape(a)),
                                          unbroadcast(np.where(cond, 0, g).astype(g.dtype), np.shape(b))))


def matmul(x1, x2) -> Tensor:
    a, b = _as_array(x1), _as_array(x2)
    out = np.matmul(a, b)

    def vjp(g):
        ga = gb = None
        if isinstance(x1, Tensor) and x1.requires_grad:
            ga = g @ np.swapaxes(b, -1, -2) if np.ndim(b) > 1 else np.multiply.outer(g, b)
            ga = unbroadcast(ga, np.shape(a))
        if isinstance(x2, Tensor) and x2.requires_grad:
            if np.ndim(a) == 1:
                gb = np.multiply.outer(a, g)
            elif np.ndim(b) == 1:
                gb = np.tensordot(g, a, axes=np.ndim(g))
            elif np.ndim(b) == 2 and np.ndim(a) > 2:
                gb = a.reshape(-1, a.shape[-1]).T @ g.reshape(-1, g.shape[-1])
            else:
                gb = unbroadcast(np.swapaxes(a, -1, -2) @ g, np.shape(b))
        return ga, gb

    return make(out, (x1, x2), vjp)


def dot(x1, x2) -> Tensor:
    if np.ndim(_as_array(x1)) == 0 or np.ndim(_as_array(x2)) == 0:
        return multiply(x1, x2)
    return matmul(x1, x2)


# -- reductions -----------------------------------------------------------------------------

def _normalize_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(a % ndim for a in axis)


def _expand_back(g, in_shape, axis, keepdims):
    if not keepdims:
        g = np.expand_dims(g, _normalize_axis(axis, len(in_shape)))
    return np.broadcast_to(g, in_shape)


def sum(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras name
    a = _as_array(x)
    out = np.sum(a, axis=axis, keepdims=keepdims)
    return make(np.asarray(out), (x,), lambda g: (_expand_back(g, np.shape(a), axis, keepdims),))


def mean(x, axis=None, keepdims: bool = False) -> Tensor:
    a = np.asarray(_as_array(x))
    out = np.mean(a, axis=axis, keepdims=keepdims)
    count = a.size // np.asarray(out).size if np.asarray(out).size else 1
    return make(np.asarray(out, dtype=a.dtype if a.dtype.kind == "f" else None), (x,),
                lambda g: (_expand_back(g / count, a.shape, axis, keepdims),))


def _extreme(fn, x, axis, keepdims):
    a = np.asarray(_as_array(x))
    out = fn(a, axis=axis, keepdims=keepdims)

    def vjp(g):
        full = _expand_back(np.asarray(out), a.shape, axis, keepdims)
        mask = (a == full)
        counts = np.sum(mask, axis=axis, keepdims=True)
        return (_expand_back(g, a.shape, axis, keepdims) * mask / counts,)

    return make(np.asarray(out), (x,), vjp)


def max(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras name
    return _extreme(np.max, x, axis, keepdims)


def min(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras name
    return _extreme(np.min, x, axis, keepdims)


amax, amin = max, min


def var(x, axis=None, keepdims: bool = False) -> Tensor:
    centered = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centered), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims: bool = False) -> Tensor:
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def prod(x, axis=None, keepdims: bool = False) -> Tensor:
    a = np.asarray(_as_array(x))
    out = np.prod(a, axis=axis, keepdims=keepdims)
    return make(np.asarray(out), (x,),
                lambda g: (_expand_back(g, a.shape, axis, keepdims)
                           * _expand_back(np.asarray(out), a.shape, axis, keepdims) / a,))


def logsumexp(x, axis=None, keepdims: bool = False) -> Tensor:
    a = np.asarray(_as_array(x))
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    s = np.sum(np.exp(a - m), axis=axis, keepdims=True)
    out_k = np.log(s) + m
    out = out_k if keepdims else np.squeeze(out_k, axis=_normalize_axis(axis, a.ndim))
    return make(np.asarray(out), (x,),
                lambda g: (_expand_back(g, a.shape, axis, keepdims) * np.exp(a - out_k),))


def cumsum(x, axis=None) -> Tensor:
    a = np.asarray(_as_array(x))
    if axis is None:
        flat = np.cumsum(a.ravel())
        return make(flat, (x,), lambda g: (np.flip(np.cumsum(np.flip(g))).reshape(a.shape),))
    out = np.cumsum(a, axis=axis)
    return make(out, (x,), lambda g: (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),))


def argmax(x, axis=None, keepdims: bool = False) -> Tensor:
    return Tensor(np.argmax(_as_array(x), axis=axis, keepdims=keepdims))


def argmin(x, axis=None, keepdims: bool = False) -> Tensor:
    return Tensor(np.argmin(_as_array(x), axis=axis, keepdims=keepdims))


def all(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras name
    return Tensor(np.all(_as_array(x), axis=axis, keepdims=keepdims))


def any(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras name
    return Tensor(np.any(_as_array(x), axis=axis, keepdims=keepdims))


# -- comparisons and logic (no gradient) ---------------------------------------------------

def _no_grad_binary(fn):
    def op(x1, x2):
        return Tensor(np.asarray(fn(_as_array(x1), _as_array(x2))))
    op.__name__ = fn.__name__
    return op


equal = _no_grad_binary(np.equal)
not_equal = _no_grad_binary(np.not_equal)
greater = _no_grad_binary(np.greater)
greater_equal = _no_grad_binary(np.greater_equal)
less = _no_grad_binary(np.less)
less_equal = _no_grad_binary(np.less_equal)
logical_and = _no_grad_binary(np.logical_and)
logical_or = _no_grad_binary(np.logical_or)
mod = _no_grad_binary(np.mod)
floor_divide = _no_grad_binary(np.floor_divide)


def logical_not(x) -> Tensor:
    return Tensor(np.logical_not(_as_array(x)))


def isnan(x) -> Tensor:
    return Tensor(np.isnan(_as_array(x)))


def isfinite(x) -> Tensor:
    return Tensor(np.isfinite(_as_array(x)))


# -- operators on Tensor ---------------------------------------------------------------------

from engine.ops.array import get_item, reshape, transpose  # noqa: E402 - the operators need the shape ops


def _swap(fn):
    return lambda self, other: fn(other, self)


def _bitwise_or_logical(bitwise, logical):
    """`&`, `|`, `^` as torch: bitwise on booleans and integers, logical (a boolean result) otherwise."""
    def op(a, b):
        a, b = np.asarray(a), np.asarray(b)
        return bitwise(a, b) if a.dtype.kind in "biu" and b.dtype.kind in "biu" else logical(a, b)
    return op


def _compare(fn):
    return lambda self, other: Tensor(np.asarray(fn(self.value, _as_array(other))))


Tensor.__add__ = add
Tensor.__radd__ = _swap(add)
Tensor.__sub__ = subtract
Tensor.__rsub__ = _swap(subtract)
Tensor.__mul__ = multiply
Tensor.__rmul__ = _swap(multiply)
Tensor.__truediv__ = divide
Tensor.__rtruediv__ = _swap(divide)
Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = _swap(matmul)
Tensor.__pow__ = power
Tensor.__rpow__ = _swap(power)
Tensor.__neg__ = negative
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = abs
Tensor.__getitem__ = get_item
Tensor.__lt__ = _compare(np.less)
Tensor.__le__ = _compare(np.less_equal)
Tensor.__gt__ = _compare(np.greater)
Tensor.__ge__ = _compare(np.greater_equal)
Tensor.__eq__ = _compare(np.equal)  # elementwise, as Keras and torch tensors (hash stays the object's)
Tensor.__ne__ = _compare(np.not_equal)
Tensor.__and__ = Tensor.__rand__ = _compare(_bitwise_or_logical(np.bitwise_and, np.logical_and))
Tensor.__or__ = Tensor.__ror__ = _compare(_bitwise_or_logical(np.bitwise_or, np.logical_or))
Tensor.__xor__ = Tensor.__rxor__ = _compare(_bitwise_or_logical(np.bitwise_xor, np.logical_xor))
Tensor.__invert__ = lambda self: Tensor(np.invert(self.value) if self.dtype.kind in "biu"
                                        else np.logical_not(self.value))
Tensor.__floordiv__ = lambda self, other: Tensor(np.floor_divide(self.value, _as_array(other)))
Tensor.__mod__ = lambda self, other: Tensor(np.mod(self.value, _as_array(other)))
Tensor.T = property(lambda self: transpose(self))
Tensor.reshape = lambda self, *shape: reshape(self, shape[0] if len(shape) == 1 else shape)
