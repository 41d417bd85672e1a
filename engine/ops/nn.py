"""Neural-network ops: activations, the fused dense layer, cross-entropies, dropout.

The hot paths have hand-written backward passes: `dense` (matmul + bias + activation in one node) and
the cross-entropies, which differentiate straight to the logits when the probabilities came from a
softmax or sigmoid (the output tensor carries `_keras_logits` = (activation, logits), as in Keras's
TensorFlow backend).
"""

from __future__ import annotations

import math

import numpy as np

from engine import backend, config
from engine.autodiff import Tensor, make, needs_grad
from engine.kernels.crossentropy import (
    binary_crossentropy_of_sigmoid,
    sparse_crossentropy_of_logits,
    sparse_crossentropy_of_softmax,
)
from engine.kernels.dense_relu import add_bias_relu, relu_gradient
from engine.ops.core import value_of

# The ops (`can_fuse`, a helper of the layers, is imported by name in engine/ops/__init__.py).
__all__ = [
    "relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softplus", "softsign", "silu", "swish", "elu",
    "selu", "gelu", "hard_sigmoid", "hard_silu", "hard_swish", "mish", "softmax", "log_softmax", "dense",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy", "dropout",
]


def _arr(x) -> np.ndarray:
    return np.asarray(value_of(x))


def _elementwise(x, forward, derivative) -> Tensor:
    """An op y = f(x) whose gradient is g * derivative(x, y)."""
    a = _arr(x)
    out = forward(a)
    return make(out, (x,), lambda g: (g * derivative(a, out),))


# -- activations ----------------------------------------------------------------------------

def relu(x) -> Tensor:
    return _elementwise(x, lambda a: np.maximum(a, 0), lambda a, y: a > 0)


def relu6(x) -> Tensor:
    return _elementwise(x, lambda a: np.clip(a, 0, 6), lambda a, y: (a > 0) & (a < 6))


def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    return _elementwise(x, lambda a: np.where(a > 0, a, a * negative_slope),
                        lambda a, y: np.where(a > 0, 1, negative_slope).astype(a.dtype))


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # exp of a negative number only, so large |a| neither overflows nor warns
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


def sigmoid(x) -> Tensor:
    out = _elementwise(x, _sigmoid, lambda a, y: y * (1 - y))
    out._keras_logits = ("sigmoid", x if isinstance(x, Tensor) else Tensor(_arr(x)))
    return out


def tanh(x) -> Tensor:
    return _elementwise(x, np.tanh, lambda a, y: 1 - y * y)


def softplus(x) -> Tensor:
    return _elementwise(x, lambda a: np.logaddexp(a, 0).astype(a.dtype, copy=False), lambda a, y: _sigmoid(a))


def softsign(x) -> Tensor:
    return _elementwise(x, lambda a: a / (1 + np.abs(a)), lambda a, y: 1 / np.square(1 + np.abs(a)))


def silu(x) -> Tensor:
    return _elementwise(x, lambda a: a * _sigmoid(a),
                        lambda a, y: _sigmoid(a) * (1 + a * (1 - _sigmoid(a))))


swish = silu


def elu(x, alpha: float = 1.0) -> Tensor:
    return _elementwise(x, lambda a: np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0))),
                        lambda a, y: np.where(a > 0, 1, y + alpha).astype(a.dtype))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x) -> Tensor:
    return _elementwise(
        x,
        lambda a: (_SELU_SCALE * np.where(a > 0, a, _SELU_ALPHA * np.expm1(np.minimum(a, 0)))).astype(a.dtype),
        lambda a, y: np.where(a > 0, _SELU_SCALE, y + _SELU_SCALE * _SELU_ALPHA).astype(a.dtype),
    )


def _erf(a: np.ndarray) -> np.ndarray:
    """Error function to ~1e-7 (Abramowitz & Stegun 7.1.26 refined), vectorized, computed in float64."""
    z = np.abs(a.astype(np.float64))
    t = 1.0 / (1.0 + 0.5 * z)
    # Numerical Recipes' erfc approximation, fractional error below 1.2e-7 everywhere
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    erfc = t * np.exp(poly)
    return np.where(a >= 0, 1 - erfc, erfc - 1)


def gelu(x, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit; `approximate` uses the tanh form (ops default, as Keras)."""
    if approximate:
        c = math.sqrt(2 / math.pi)

        def forward(a):
            return (0.5 * a * (1 + np.tanh(c * (a + 0.044715 * a ** 3)))).astype(a.dtype)

        def derivative(a, y):
            inner = c * (a + 0.044715 * a ** 3)
            th = np.tanh(inner)
            return (0.5 * (1 + th) + 0.5 * a * (1 - th * th) * c * (1 + 3 * 0.044715 * a * a)).astype(a.dtype)

        return _elementwise(x, forward, derivative)

    def forward_exact(a):
        return (0.5 * a * (1 + _erf(a / math.sqrt(2)))).astype(a.dtype)

    def derivative_exact(a, y):
        cdf = 0.5 * (1 + _erf(a / math.sqrt(2)))
        pdf = np.exp(-0.5 * a.astype(np.float64) ** 2) / math.sqrt(2 * math.pi)
        return (cdf + a * pdf).astype(a.dtype)

    return _elementwise(x, forward_exact, derivative_exact)


def hard_sigmoid(x) -> Tensor:
    return _elementwise(x, lambda a: np.clip(a / 6 + 0.5, 0, 1), lambda a, y: ((a > -3) & (a < 3)) / 6)


def hard_silu(x) -> Tensor:
    return _elementwise(x, lambda a: a * np.clip(a / 6 + 0.5, 0, 1),
                        lambda a, y: np.where(a < -3, 0, np.where(a > 3, 1, a / 3 + 0.5)).astype(a.dtype))


hard_swish = hard_silu


def mish(x) -> Tensor:
    def forward(a):
        return a * np.tanh(np.logaddexp(a, 0)).astype(a.dtype)

    def derivative(a, y):
        th = np.tanh(np.logaddexp(a, 0))
        return (th + a * (1 - th * th) * _sigmoid(a)).astype(a.dtype)

    return _elementwise(x, forward, derivative)


def _softmax(a: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def softmax(x, axis: int = -1) -> Tensor:
    a = _arr(x)
    out = _softmax(a, axis)
    result = make(out, (x,), lambda g: (out * (g - np.sum(g * out, axis=axis, keepdims=True)),))
    if axis in (-1, a.ndim - 1):
        result._keras_logits = ("softmax", x if isinstance(x, Tensor) else Tensor(a))
    return result


def log_softmax(x, axis: int = -1) -> Tensor:
    a = _arr(x)
    shifted = a - np.max(a, axis=axis, keepdims=True)
    out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return make(out, (x,), lambda g: (g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),))


# -- fused dense ----------------------------------------------------------------------------

_FUSED = {
    "linear": (lambda z: z, None),
    "relu": (lambda z: np.maximum(z, 0, out=z), lambda g, y: g * (y > 0)),
    "sigmoid": (_sigmoid, lambda g, y: g * y * (1 - y)),
    "tanh": (lambda z: np.tanh(z, out=z), lambda g, y: g * (1 - y * y)),
    "softmax": (lambda z: _softmax(z, -1), lambda g, y: y * (g - np.sum(g * y, axis=-1, keepdims=True))),
}


def can_fuse(activation_name) -> bool:
    return isinstance(activation_name, str) and activation_name in _FUSED


def dense(x, kernel, bias=None, activation: str = "linear") -> Tensor:
    """activation(x @ kernel + bias) as one recorded op (x of any rank >= 2)."""
    xv, kv = _arr(x), _arr(kernel)
    if xv.dtype.kind in "iubO" and kv.dtype.kind == "f":
        # Keras promotes int x float32 to float32 (NumPy would give float64); numbers in an object array too
        xv = xv.astype(kv.dtype)
    with config.blas_threads_for(xv.size * kv.shape[-1]):
        z = xv @ kv
    relu = activation == "relu"
    if bias is not None or relu:
        _add_bias_relu(z, None if bias is None else _arr(bias), relu)
    if relu:
        return _dense_node(x, kernel, bias, xv, kv, z, relu=True)
    forward, derivative = _FUSED[activation]
    if activation in ("sigmoid", "softmax"):  # (out of place: z stays the logits)
        logits = _dense_node(x, kernel, bias, xv, kv, z)
        out = forward(z)
        result = make(out, (logits,), lambda g: (derivative(g, out),))
        result._keras_logits = (activation, logits)
        return result
    return _dense_node(x, kernel, bias, xv, kv, forward(z), derivative)


def _dense_node(x, kernel, bias, xv, kv, out, derivative=None, relu: bool = False) -> Tensor:
    def vjp(g):
        want_bias = bias is not None and needs_grad(bias)
        if relu:
            g2, gb = _relu_gradient(g.reshape(-1, g.shape[-1]), out.reshape(-1, out.shape[-1]), want_bias)
            g = g2.reshape(out.shape)
        else:
            if derivative is not None:
                g = derivative(g, out)
            g2 = g.reshape(-1, g.shape[-1])
            gb = g2.sum(axis=0) if want_bias else None
        with config.blas_threads_for(xv.size * kv.shape[-1]):
            gx = (g @ kv.T) if needs_grad(x) else None
            gk = (xv.reshape(-1, xv.shape[-1]).T @ g2) if needs_grad(kernel) else None
        return gx, gk, gb

    return make(out, (x, kernel, bias), vjp)


def _add_bias_relu(z: np.ndarray, bias: np.ndarray | None, relu: bool) -> None:
    """z += bias, then relu, in place, in one compiled pass (float16 through float32: Numba has none)."""
    rows = z.reshape(-1, z.shape[-1])
    wide = rows.astype(np.float32) if rows.dtype == np.float16 else rows
    if bias is None:
        bias = np.empty(0, wide.dtype)
    add_bias_relu(wide, bias.astype(np.float32) if bias.dtype == np.float16 else bias, bias.size > 0, relu)
    if wide is not rows:
        rows[...] = wide


def _relu_gradient(g: np.ndarray, y: np.ndarray, want_bias: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The gradient through the relu (g where y > 0) and, if wanted, its column sums (the bias gradient)."""
    dtype = g.dtype
    if dtype == np.float16 or y.dtype == np.float16:
        g, y = g.astype(np.float32), y.astype(np.float32)
    dz = np.empty_like(g)
    bias_grad = np.empty(g.shape[-1] if want_bias else 0, g.dtype)
    relu_gradient(g, y, dz, bias_grad, want_bias)
    return dz.astype(dtype, copy=False), bias_grad.astype(dtype, copy=False) if want_bias else None


# -- losses ---------------------------------------------------------------------------------

def _clipped_log_probs_grad(probs: np.ndarray, target: np.ndarray, axis: int):
    """Keras's loss on probabilities clipped to [eps, 1-eps], and its gradient w.r.t. the logits."""
    eps = backend.epsilon()
    clipped = np.clip(probs, eps, 1 - eps)
    loss = -np.sum(target * np.log(clipped), axis=axis)
    inside = (probs >= eps) & (probs <= 1 - eps)
    weights = target * inside
    grad = probs * np.sum(weights, axis=axis, keepdims=True) - weights
    return loss, grad


def categorical_crossentropy(target, output, from_logits: bool = False, axis: int = -1) -> Tensor:
    """Per-sample cross-entropy between one-hot (or soft) targets and predictions."""
    t = _arr(target).astype(_arr(output).dtype, copy=False)
    if t.shape != _arr(output).shape:
        raise ValueError(
            f"Arguments `target` and `output` must have the same shape; received target.shape={t.shape}, "
            f"output.shape={_arr(output).shape}")
    return _crossentropy_with_target(t, output, from_logits, axis)


def sparse_categorical_crossentropy(target, output, from_logits: bool = False, axis: int = -1) -> Tensor:
    """Per-sample cross-entropy between integer labels and predictions."""
    out_v = _arr(output)
    labels = _arr(target)
    if labels.ndim == out_v.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    class_axis = axis % out_v.ndim
    if labels.shape != out_v.shape[:class_axis] + out_v.shape[class_axis + 1:]:
        raise ValueError(
            f"Arguments `target` and `output` must have the same shape up until the last dimension: "
            f"target.shape={_arr(target).shape}, output.shape={out_v.shape}")
    labels = labels.astype(np.int64)
    num_classes = out_v.shape[axis]
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(f"Label {bad} is out of range: the model predicts {num_classes} classes "
                         f"(0..{num_classes - 1})")
    kind, logits = getattr(output, "_keras_logits", None) or (None, None)
    if class_axis == out_v.ndim - 1 and (from_logits or kind == "softmax"):
        return _sparse_crossentropy_to_logits(labels, output if from_logits else logits, out_v, from_logits)
    t = np.eye(num_classes, dtype=out_v.dtype)[labels]
    if class_axis != out_v.ndim - 1:
        t = np.moveaxis(t, -1, axis)
    return _crossentropy_with_target(t, output, from_logits, axis)


def _sparse_crossentropy_to_logits(labels: np.ndarray, logits, values: np.ndarray, from_logits: bool) -> Tensor:
    """The loss of logits (`values`) or of softmax outputs (`values`, with their `logits`), differentiated
    straight to the logits in one compiled pass (Numba has no float16: such values go through float32)."""
    rows = values.reshape(-1, values.shape[-1])
    if rows.dtype == np.float16:
        rows = rows.astype(np.float32)
    dtype = rows.dtype
    losses = np.empty(len(rows), dtype)
    grad = np.empty_like(rows)
    flat_labels = labels.reshape(-1)
    if from_logits:
        sparse_crossentropy_of_logits(rows, flat_labels, losses, grad)
    else:
        eps = backend.epsilon()
        sparse_crossentropy_of_softmax(rows, flat_labels, dtype.type(eps), dtype.type(1 - eps), losses, grad)
    losses = losses.reshape(values.shape[:-1]).astype(values.dtype, copy=False)
    grad = grad.reshape(values.shape).astype(values.dtype, copy=False)
    return make(losses, (logits,), lambda g: (g[..., None] * grad,))


def _crossentropy_with_target(t: np.ndarray, output, from_logits: bool, axis: int) -> Tensor:
    kind, logits = getattr(output, "_keras_logits", None) or (None, None)
    if not from_logits and kind == "softmax" and axis in (-1, output.ndim - 1):
        # softmax output: differentiate straight to the logits, values as Keras computes them
        probs = output.value
        loss, grad = _clipped_log_probs_grad(probs, t, axis)
        return make(loss.astype(probs.dtype), (logits,), lambda g: (np.expand_dims(g, axis) * grad,))
    if from_logits:
        lv = _arr(output)
        shifted = lv - np.max(lv, axis=axis, keepdims=True)
        log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        loss = -np.sum(t * log_probs, axis=axis)
        probs = np.exp(log_probs)
        grad = probs * np.sum(t, axis=axis, keepdims=True) - t
        return make(loss.astype(lv.dtype), (output,), lambda g: (np.expand_dims(g, axis) * grad,))
    # plain probabilities: normalize, clip, log — Keras's formula, differentiated through
    pv = _arr(output)
    total = np.sum(pv, axis=axis, keepdims=True)
    normalized = pv / total
    eps = backend.epsilon()
    inside = (normalized >= eps) & (normalized <= 1 - eps)
    clipped = np.clip(normalized, eps, 1 - eps)
    loss = -np.sum(t * np.log(clipped), axis=axis)

    def vjp(g):
        d_norm = -np.expand_dims(g, axis) * t / clipped * inside
        d_p = (d_norm - np.sum(d_norm * normalized, axis=axis, keepdims=True)) / total
        return (d_p,)

    return make(loss.astype(pv.dtype), (output,), vjp)


def binary_crossentropy(target, output, from_logits: bool = False) -> Tensor:
    """Elementwise binary cross-entropy (not yet averaged over the last axis)."""
    t = _arr(target).astype(_arr(output).dtype, copy=False)
    if t.shape != _arr(output).shape:
        raise ValueError(
            f"Arguments `target` and `output` must have the same shape; received target.shape={t.shape}, "
            f"output.shape={_arr(output).shape}")
    kind, logits = getattr(output, "_keras_logits", None) or (None, None)
    eps = backend.epsilon()
    if from_logits:
        probs, zv = _sigmoid(_arr(output)), _arr(output)
        # log(1 + exp(-|z|)) form: stable for any logit
        loss = np.maximum(zv, 0) - zv * t + np.log1p(np.exp(-np.abs(zv)))
        grad = probs - t
        return make(loss.astype(probs.dtype), (output,), lambda g: (g * grad,))
    if kind == "sigmoid":
        return _binary_crossentropy_to_logits(t, _arr(output), logits)
    pv = _arr(output)
    clipped = np.clip(pv, eps, 1 - eps)
    inside = (pv >= eps) & (pv <= 1 - eps)
    loss = -(t * np.log(clipped) + (1 - t) * np.log(1 - clipped))
    return make(loss.astype(pv.dtype), (output,),
                lambda g: (g * inside * (clipped - t) / (clipped * (1 - clipped)),))


def _binary_crossentropy_to_logits(t: np.ndarray, probs: np.ndarray, logits) -> Tensor:
    """The loss of sigmoid outputs differentiated straight to the logits, in one compiled pass (float16
    through float32: Numba has none)."""
    dtype = np.dtype(np.float32) if probs.dtype == np.float16 else probs.dtype
    p, target = probs.astype(dtype, copy=False).reshape(-1), t.astype(dtype, copy=False).reshape(-1)
    losses, grad = np.empty_like(p), np.empty_like(p)
    eps = backend.epsilon()
    binary_crossentropy_of_sigmoid(p, target, dtype.type(eps), dtype.type(1 - eps), dtype.type(1), losses, grad)
    losses = losses.reshape(probs.shape).astype(probs.dtype, copy=False)
    grad = grad.reshape(probs.shape).astype(probs.dtype, copy=False)
    return make(losses, (logits,), lambda g: (g * grad,))


# -- regularization -------------------------------------------------------------------------

def dropout(x, rate: float, noise_shape=None, seed=None) -> Tensor:
    """Zero a `rate` fraction of entries and scale the rest by 1/(1-rate)."""
    a = _arr(x)
    if rate <= 0:
        return x if isinstance(x, Tensor) else Tensor(a)
    shape = a.shape if noise_shape is None else tuple(n if n is not None else a.shape[i]
                                                      for i, n in enumerate(noise_shape))
    generator = seed if isinstance(seed, np.random.Generator) else backend.rng()
    keep = (generator.random(shape, dtype=np.float32) >= rate).astype(a.dtype) / (1 - rate)
    return make(a * keep, (x,), lambda g: (g * keep,))
