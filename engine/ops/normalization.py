"""Fused normalization ops with hand-written backward passes: moments, batch and layer normalization.

Names and arguments follow `keras.ops` (`moments`, `batch_normalization`, `layer_normalization`).
`normalize_batch` is the training-mode batch norm that `BatchNormalization` uses: one pass computes
the batch statistics and the normalized output, and one vector-Jacobian product gives the gradients
of the input, scale and offset (the classic closed form, not a chain of small ops).
Statistics are computed in float32 at least (float16 inputs are upcast, as Keras does).
"""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.autodiff import Tensor, make, needs_grad, unbroadcast
from engine.ops.core import value_of

__all__ = ["batch_normalization", "layer_normalization", "moments", "normalize_batch"]


def _compute_array(x) -> np.ndarray:
    a = np.asarray(value_of(x))
    if a.dtype.kind != "f" or a.dtype.itemsize < 4:
        a = a.astype(np.float32)
    return a


def _axes(axes, ndim: int) -> tuple[int, ...]:
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"Axis {a} is out of bounds for an input of rank {ndim}")
        out.append(int(a) % ndim)
    return tuple(sorted(set(out)))


def _param_array(p, dtype) -> np.ndarray | None:
    return None if p is None else np.asarray(value_of(p), dtype=dtype)


def _param_grad(grad: np.ndarray, p) -> np.ndarray:
    """Reduce a full-size gradient to the shape of parameter `p` (1-D along one axis, or broadcastable)."""
    return grad.reshape(np.shape(value_of(p))).astype(np.asarray(value_of(p)).dtype, copy=False)


# -- moments ------------------------------------------------------------------------------------

def moments(x, axes, keepdims: bool = False, synchronized: bool = False) -> tuple[Tensor, Tensor]:
    """Mean and (biased) variance of `x` over `axes`; both differentiable with respect to `x`."""
    if synchronized:
        raise NotImplementedError("Argument synchronized=True is not supported by the NumPy engine.")
    a = _compute_array(x)
    axes = _axes(axes, a.ndim)
    count = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    mean_k = np.mean(a, axis=axes, keepdims=True)
    centered = a - mean_k
    var_k = np.mean(np.square(centered), axis=axes, keepdims=True)
    out_dtype = np.asarray(value_of(x)).dtype if np.asarray(value_of(x)).dtype.kind == "f" else a.dtype
    mean_v = mean_k if keepdims else np.squeeze(mean_k, axis=axes)
    var_v = var_k if keepdims else np.squeeze(var_k, axis=axes)

    def expand(g):
        return g if keepdims else np.expand_dims(g, axes)

    def mean_vjp(g):
        return (np.broadcast_to(expand(g) / count, a.shape).astype(out_dtype),)

    def var_vjp(g):
        return ((expand(g) * (2.0 / count) * centered).astype(out_dtype),)

    return (make(mean_v.astype(out_dtype), (x,), mean_vjp),
            make(var_v.astype(out_dtype), (x,), var_vjp))


# -- batch normalization with given statistics (inference form) --------------------------------

def batch_normalization(x, mean, variance, axis: int, offset=None, scale=None, epsilon: float = 1e-3) -> Tensor:
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, with `mean` etc. vectors along `axis`.

    Differentiable with respect to every tensor argument (x, mean, variance, offset, scale).
    """
    a = _compute_array(x)
    axis = _axes(axis, a.ndim)[0]
    out_dtype = a.dtype

    def shaped(p):
        v = _param_array(p, out_dtype)
        if v is None:
            return None
        if v.ndim == 1:
            shape = [1] * a.ndim
            shape[axis] = v.shape[0]
            return v.reshape(shape)
        return v

    m, var, off, sc = shaped(mean), shaped(variance), shaped(offset), shaped(scale)
    inv = 1.0 / np.sqrt(var + epsilon)
    factor = inv if sc is None else inv * sc
    centered = a - m
    out = centered * factor
    if off is not None:
        out = out + off

    def reduce_to(grad, p, p_shaped):
        return _param_grad(unbroadcast(grad, p_shaped.shape), p)

    def vjp(g):
        gx = g * factor if needs_grad(x) else None
        gm = reduce_to(-g * factor, mean, m) if needs_grad(mean) else None
        gv = None
        if needs_grad(variance):
            full = g * centered * (-0.5 * inv ** 3)
            if sc is not None:
                full = full * sc
            gv = reduce_to(full, variance, var)
        go = reduce_to(g, offset, off) if needs_grad(offset) else None
        gs = reduce_to(g * centered * inv, scale, sc) if needs_grad(scale) else None
        return gx, gm, gv, go, gs

    return make(out.astype(out_dtype, copy=False), (x, mean, variance, offset, scale), vjp)


# -- batch normalization in training mode -----------------------------------------------------

def normalize_batch(x, axis: int = -1, scale=None, offset=None, epsilon: float = 1e-3):
    """Training-mode batch norm: normalize with the batch's own statistics over every axis but `axis`.

    Returns `(outputs, mean, variance)`; `outputs` is differentiable with respect to x, scale and offset
    (through the batch statistics too); `mean` and `variance` are plain (constant) tensors of shape
    `(x.shape[axis],)`, ready to update moving averages.
    """
    a = _compute_array(x)
    axis = _axes(axis, a.ndim)[0]
    reduce_axes = tuple(i for i in range(a.ndim) if i != axis)
    count = a.size // a.shape[axis] if a.shape[axis] else 0
    bshape = [1] * a.ndim
    bshape[axis] = a.shape[axis]
    dtype = a.dtype
    sc = None if scale is None else _param_array(scale, dtype).reshape(bshape)
    off = None if offset is None else _param_array(offset, dtype).reshape(bshape)

    mean = np.mean(a, axis=reduce_axes, keepdims=True)
    centered = a - mean
    var = np.mean(np.square(centered), axis=reduce_axes, keepdims=True)
    inv = 1.0 / np.sqrt(var + epsilon)
    xhat = centered * inv
    out = xhat * sc if sc is not None else xhat.copy()
    if off is not None:
        out += off

    def vjp(g):
        g = np.asarray(g, dtype=dtype)
        go = _param_grad(np.sum(g, axis=reduce_axes), offset) if needs_grad(offset) else None
        gs = _param_grad(np.sum(g * xhat, axis=reduce_axes), scale) if needs_grad(scale) else None
        gx = None
        if needs_grad(x):
            gxhat = g * sc if sc is not None else g
            sum_g = np.sum(gxhat, axis=reduce_axes, keepdims=True)
            sum_gx = np.sum(gxhat * xhat, axis=reduce_axes, keepdims=True)
            gx = (inv / count) * (count * gxhat - sum_g - xhat * sum_gx)
        return gx, gs, go

    outputs = make(out, (x, scale, offset), vjp)
    return outputs, Tensor(mean.reshape(-1)), Tensor(var.reshape(-1))


# -- layer normalization -----------------------------------------------------------------------

def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon: float | None = None, **kwargs) -> Tensor:
    """Normalize each sample over `axis` (an int or a list of ints), then scale by gamma and shift by beta.

    `rms_scaling=True` reproduces Keras's deprecated option exactly: `x / sqrt(var(x) + epsilon) * gamma`
    (no centering, no beta).
    """
    rms_scaling = bool(kwargs.pop("rms_scaling", False))
    if kwargs:
        raise TypeError(f"layer_normalization() got unexpected keyword arguments {sorted(kwargs)}")
    if epsilon is None:
        epsilon = backend.epsilon()
    a = _compute_array(x)
    axes = _axes(axis, a.ndim)
    other = tuple(i for i in range(a.ndim) if i not in axes)
    count = int(np.prod([a.shape[i] for i in axes]))
    pshape = [a.shape[i] if i in axes else 1 for i in range(a.ndim)]
    dtype = a.dtype
    gm = None if gamma is None else _param_array(gamma, dtype).reshape(pshape)
    bt = None if beta is None or rms_scaling else _param_array(beta, dtype).reshape(pshape)

    mean = np.mean(a, axis=axes, keepdims=True)
    centered = a - mean
    inv = 1.0 / np.sqrt(np.mean(np.square(centered), axis=axes, keepdims=True) + epsilon)
    base = (a if rms_scaling else centered) * inv
    out = base * gm if gm is not None else base.copy()
    if bt is not None:
        out += bt

    def vjp(g):
        g = np.asarray(g, dtype=dtype)
        gb = _param_grad(np.sum(g, axis=other), beta) if bt is not None and needs_grad(beta) else None
        gg = _param_grad(np.sum(g * base, axis=other), gamma) if needs_grad(gamma) else None
        gx = None
        if needs_grad(x):
            gu = g * gm if gm is not None else g
            if rms_scaling:
                s = np.sum(gu * a, axis=axes, keepdims=True)
                gx = inv * gu - (inv ** 3 / count) * centered * s
            else:
                sum_g = np.sum(gu, axis=axes, keepdims=True)
                sum_gx = np.sum(gu * base, axis=axes, keepdims=True)
                gx = (inv / count) * (count * gu - sum_g - base * sum_gx)
        return gx, gg, gb

    return make(out, (x, gamma, beta), vjp)
