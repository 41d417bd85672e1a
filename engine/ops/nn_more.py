"""More of `keras.ops.nn`: the newer activations (celu, glu, shrinks, sparse_*, sparsemax, squareplus...),
multi-hot encoding, L-p and RMS normalization, PSNR and depth/space rearrangement, with Keras's formulas."""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.autodiff import Tensor, make
from engine.ops.core import value_of
from engine.ops.elementwise import float_array, unary
from engine.ops.nn import _sigmoid

__all__ = ["celu", "depth_to_space", "glu", "hard_shrink", "hard_tanh", "log_sigmoid", "multi_hot", "normalize",
           "polar", "psnr", "rms_normalization", "soft_shrink", "space_to_depth", "sparse_plus", "sparse_sigmoid",
           "sparsemax", "squareplus", "tanh_shrink", "threshold"]


def celu(x, alpha: float = 1.0) -> Tensor:
    return unary(x, lambda a: np.maximum(a, 0) + np.minimum(0, alpha * np.expm1(np.minimum(a, 0) / alpha)),
                 lambda a, y: np.where(a > 0, 1, np.exp(np.minimum(a, 0) / alpha)))


def glu(x, axis: int = -1) -> Tensor:
    """Gated linear unit: the first half of `axis` times the sigmoid of the second half."""
    from engine.ops.array import split
    from engine.ops.math import multiply
    from engine.ops.nn import sigmoid
    if np.shape(value_of(x))[axis] % 2:
        raise ValueError(f"glu needs an even size along axis {axis}, got shape {np.shape(value_of(x))}")
    a, b = split(x, 2, axis=axis)
    return multiply(a, sigmoid(b))


def hard_shrink(x, threshold: float = 0.5) -> Tensor:
    return unary(x, lambda a: np.where(np.abs(a) > threshold, a, 0), lambda a, y: np.abs(a) > threshold)


def soft_shrink(x, threshold: float = 0.5) -> Tensor:
    return unary(x, lambda a: np.where(a > threshold, a - threshold, np.where(a < -threshold, a + threshold, 0)),
                 lambda a, y: np.abs(a) > threshold)


def hard_tanh(x) -> Tensor:
    return unary(x, lambda a: np.clip(a, -1, 1), lambda a, y: (a > -1) & (a < 1))


def tanh_shrink(x) -> Tensor:
    return unary(x, lambda a: a - np.tanh(a), lambda a, y: np.tanh(a) ** 2)


def log_sigmoid(x) -> Tensor:
    return unary(x, lambda a: -np.logaddexp(0, -a), lambda a, y: _sigmoid(-a))


def sparse_plus(x) -> Tensor:
    return unary(x, lambda a: np.where(a <= -1, 0, np.where(a >= 1, a, (a + 1) ** 2 / 4)),
                 lambda a, y: np.where(a <= -1, 0, np.where(a >= 1, 1, (a + 1) / 2)))


def sparse_sigmoid(x) -> Tensor:
    return unary(x, lambda a: np.where(a <= -1, 0, np.where(a >= 1, 1, (a + 1) / 2)),
                 lambda a, y: np.where((a > -1) & (a < 1), 0.5, 0))


def squareplus(x, b: float = 4) -> Tensor:
    return unary(x, lambda a: (a + np.sqrt(a * a + b)) / 2, lambda a, y: (1 + a / np.sqrt(a * a + b)) / 2)


def threshold(x, threshold: float, default_value: float) -> Tensor:  # noqa: A002 - Keras names
    return unary(x, lambda a: np.where(a > threshold, a, default_value), lambda a, y: a > threshold)


def sparsemax(x, axis: int = -1) -> Tensor:
    """Euclidean projection onto the simplex (Martins & Astudillo 2016): sparse probabilities."""
    a = float_array(x)
    ordered = -np.sort(-a, axis=axis)
    k = np.arange(1, a.shape[axis] + 1, dtype=a.dtype).reshape([-1 if i == axis % a.ndim else 1
                                                              for i in range(a.ndim)])
    cumulative = np.cumsum(ordered, axis=axis)
    support = (1 + k * ordered) > cumulative
    size = np.sum(support, axis=axis, keepdims=True)
    tau = (np.take_along_axis(cumulative, size - 1, axis=axis) - 1) / size
    out = np.maximum(a - tau, 0).astype(a.dtype)
    active = out > 0

    def vjp(g):
        mean_active = np.sum(g * active, axis=axis, keepdims=True) / np.maximum(np.sum(active, axis=axis,
                                                                                       keepdims=True), 1)
        return (active * (g - mean_active),)

    return make(out, (x,), vjp)


def multi_hot(inputs, num_classes=None, axis: int = -1, dtype=None, sparse: bool = False, **kwargs) -> Tensor:
    """One row per sample with 1 at each class it lists (a 1-D input is one sample)."""
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified.")
    labels = np.asarray(value_of(inputs)).astype(np.int64)
    single = labels.ndim == 1
    rows = labels[None] if single else labels
    out = np.zeros(rows.shape[:-1] + (num_classes,), dtype=dtype or backend.floatx())
    index = np.indices(rows.shape[:-1] + (1,), sparse=False)[:-1]
    valid = (rows >= 0) & (rows < num_classes)
    lead = tuple(np.broadcast_to(i, rows.shape)[valid] for i in index)
    out[lead + (rows[valid],)] = 1
    if single:
        out = out[0]
    elif axis != -1:
        out = np.moveaxis(out, -1, axis)
    return Tensor(out)


def normalize(x, axis: int = -1, order: int = 2, epsilon=None) -> Tensor:
    """x divided by its L-`order` norm along `axis` (at least `epsilon`), as Keras."""
    from engine import ops
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    epsilon = backend.epsilon() if epsilon is None else epsilon
    if order == 2:
        inverse = ops.rsqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
        return ops.multiply(x, ops.minimum(inverse, 1.0 / epsilon))
    return ops.divide(x, ops.maximum(ops.norm(x, ord=order, axis=axis, keepdims=True), epsilon))


def rms_normalization(x, scale=None, axis=-1, epsilon=None) -> Tensor:
    """x / sqrt(mean(x**2) + epsilon) along `axis`, times `scale`."""
    from engine import ops
    epsilon = backend.epsilon() if epsilon is None else epsilon
    out = ops.multiply(x, ops.rsqrt(ops.add(ops.mean(ops.square(x), axis=axis, keepdims=True), epsilon)))
    return out if scale is None else ops.multiply(out, scale)


def psnr(x1, x2, max_val) -> Tensor:
    """Peak signal-to-noise ratio, in decibels."""
    from engine import ops
    mse = ops.mean(ops.square(ops.subtract(x1, x2)))
    return ops.subtract(20 * float(np.log10(float(value_of(max_val)))), ops.multiply(10.0, ops.log10(mse)))


def _blocks(x, block_size: int, data_format: str, to_depth: bool) -> Tensor:
    from engine.ops.array import reshape, transpose
    a = np.asarray(value_of(x))
    b = block_size
    if data_format == "channels_first":
        x = transpose(x, (0, 2, 3, 1))
        a = a.transpose(0, 2, 3, 1)
    n, h, w, c = a.shape
    if to_depth:
        out = transpose(reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
        out = reshape(out, (n, h // b, w // b, b * b * c))
    else:
        out = transpose(reshape(x, (n, h, w, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5))
        out = reshape(out, (n, h * b, w * b, c // (b * b)))
    return transpose(out, (0, 3, 1, 2)) if data_format == "channels_first" else out


def depth_to_space(x, block_size: int, data_format: str = "channels_last") -> Tensor:
    return _blocks(x, block_size, data_format, to_depth=False)


def space_to_depth(x, block_size: int, data_format: str = "channels_last") -> Tensor:
    return _blocks(x, block_size, data_format, to_depth=True)


def polar(abs_, angle) -> Tensor:
    r, theta = float_array(abs_), float_array(angle)
    return Tensor(r * np.exp(1j * theta))
