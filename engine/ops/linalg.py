"""`keras.ops.linalg`: norms, inverses, determinants, solves and decompositions over the last two axes.

`norm`, `inv`, `det`, `slogdet`/`logdet`, `solve`, `solve_triangular`, `pinv` (full rank) and `cholesky`
are differentiable; the other decompositions compute values only.
"""

from __future__ import annotations

import numpy as np

from engine.autodiff import Tensor, make, needs_grad
from engine.ops.core import value_of
from engine.ops.elementwise import float_array

__all__ = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "logdet", "lstsq", "lu_factor",
           "matrix_rank", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd"]


def _t(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def norm(x, ord=None, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A002 - Keras name
    """Vector or matrix norm, as `numpy.linalg.norm` (differentiable where the norm is smooth)."""
    from engine import ops
    a = float_array(x)
    xf = ops.cast(x, a.dtype) if isinstance(x, Tensor) else Tensor(a)
    if axis is None:
        if ord is None:
            return ops.sqrt(ops.sum(ops.square(xf), axis=None, keepdims=keepdims))
        if a.ndim not in (1, 2):
            raise ValueError(f"Improper number of dimensions to norm: {a.ndim} (give `axis`)")
        axis = tuple(range(a.ndim))
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    if len(axis) == 1:
        return _vector_norm(ops, xf, a, ord, axis, keepdims)
    if len(axis) != 2:
        raise ValueError(f"`axis` must name one or two axes, got {axis}")
    row, col = (k % a.ndim for k in axis)
    if ord in (None, "fro"):
        return ops.sqrt(ops.sum(ops.square(xf), axis=(row, col), keepdims=keepdims))
    if ord in (2, -2, "nuc"):
        return _spectral_norm(xf, (row, col), keepdims, ord)
    if ord in (1, -1):
        inner_axis, outer_axis = row, col
    elif ord in (np.inf, -np.inf):
        inner_axis, outer_axis = col, row
    else:
        raise ValueError(f"Invalid `ord` {ord!r} for a matrix norm")
    sums = ops.sum(ops.abs(xf), axis=inner_axis, keepdims=True)
    out = (ops.max if ord in (1, np.inf) else ops.min)(sums, axis=outer_axis, keepdims=True)
    return out if keepdims else ops.squeeze(out, axis=(row, col))


def _vector_norm(ops, xf, a, ord, axis, keepdims):  # noqa: A002
    if ord is None or ord == 2:
        return ops.sqrt(ops.sum(ops.square(xf), axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return ops.max(ops.abs(xf), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return ops.min(ops.abs(xf), axis=axis, keepdims=keepdims)
    if ord == 0:
        return Tensor(np.sum(a != 0, axis=axis, keepdims=keepdims).astype(a.dtype))
    if ord == 1:
        return ops.sum(ops.abs(xf), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid `ord` {ord!r} for a vector norm")
    return ops.power(ops.sum(ops.power(ops.abs(xf), float(ord)), axis=axis, keepdims=keepdims), 1.0 / ord)


def _spectral_norm(x, axis, keepdims: bool, ord=2) -> Tensor:  # noqa: A002
    a = np.asarray(value_of(x))
    moved = np.moveaxis(a, axis, (-2, -1))
    u, s, vt = np.linalg.svd(moved, full_matrices=False)
    if ord == "nuc":
        value = s.sum(-1)
        local = u @ vt
    else:
        pick = 0 if ord == 2 else -1
        value = s[..., pick]
        local = u[..., :, pick, None] * vt[..., pick, None, :]
    out = value
    if keepdims:
        out = np.expand_dims(np.expand_dims(out, -1), -1)
        out = np.moveaxis(out, (-2, -1), axis)

    def vjp(g):
        gv = g.reshape(value.shape) if not keepdims else np.squeeze(np.moveaxis(g, axis, (-2, -1)), (-2, -1))
        return (np.moveaxis(gv[..., None, None] * local, (-2, -1), axis).astype(a.dtype),)

    return make(np.asarray(out, dtype=a.dtype), (x,), vjp)


def inv(x) -> Tensor:
    a = float_array(x)
    out = np.linalg.inv(a)
    return make(out, (x,), lambda g: (-_t(out) @ g @ _t(out),))


def det(x) -> Tensor:
    a = float_array(x)
    out = np.linalg.det(a)
    return make(out.astype(a.dtype), (x,), lambda g: ((g * out)[..., None, None] * _t(np.linalg.inv(a)),))


def slogdet(x) -> tuple[Tensor, Tensor]:
    a = float_array(x)
    sign, logabs = np.linalg.slogdet(a)
    return Tensor(sign.astype(a.dtype)), make(logabs.astype(a.dtype), (x,),
                                              lambda g: (g[..., None, None] * _t(np.linalg.inv(a)),))


def logdet(x) -> Tensor:
    """log det(x) for a positive-definite x."""
    a = float_array(x)
    sign, logabs = np.linalg.slogdet(a)
    out = np.where(sign > 0, logabs, np.nan).astype(a.dtype)
    return make(out, (x,), lambda g: (g[..., None, None] * _t(np.linalg.inv(a)),))


def solve(a, b) -> Tensor:
    av, bv = float_array(a), float_array(b)
    vector = bv.ndim == av.ndim - 1
    out = np.linalg.solve(av, bv[..., None] if vector else bv)

    def vjp(g):
        gb = np.linalg.solve(_t(av), g[..., None] if vector else g)
        ga = -gb @ _t(out)
        return ga, gb[..., 0] if vector else gb

    return make(out[..., 0] if vector else out, (a, b), vjp)


def solve_triangular(a, b, lower: bool = False) -> Tensor:
    av = float_array(a)
    mask = np.tril(np.ones(av.shape[-2:], bool)) if lower else np.triu(np.ones(av.shape[-2:], bool))
    from engine.ops.arrangement import tril, triu
    return solve(tril(a) if lower else triu(a), b) if needs_grad(a) else solve(np.where(mask, av, 0), b)


def cholesky(x, upper: bool = False) -> Tensor:
    a = float_array(x)
    low = np.linalg.cholesky(a)

    def vjp(g):
        # Murray (2016): phi(L^T gL) with phi taking the lower triangle and halving the diagonal
        gl = _t(g) if upper else g
        phi = np.tril(_t(low) @ gl)
        phi = phi - 0.5 * np.eye(a.shape[-1]) * phi
        linv = np.linalg.inv(low)
        s = _t(linv) @ phi @ linv
        return (0.5 * (s + _t(s)),)

    return make(_t(low) if upper else low, (x,), vjp)


def cholesky_inverse(x, upper: bool = False) -> Tensor:
    """The inverse of A from its Cholesky factor (L L^T = A, or U^T U = A with upper)."""
    from engine.ops.array import swapaxes
    from engine.ops.math import matmul
    factor = x if not upper else swapaxes(x, -1, -2)
    return inv(matmul(factor, swapaxes(factor, -1, -2)))


def pinv(x, rcond=None) -> Tensor:
    a = float_array(x)
    out = np.linalg.pinv(a, rcond=1e-15 if rcond is None else rcond)

    def vjp(g):
        # full-rank formula (Golub & Pereyra)
        n, m = a.shape[-2:]
        grad = -_t(out) @ g @ _t(out)
        grad = grad + (np.eye(n) - a @ out) @ _t(g) @ out @ _t(out) if n > 0 else grad
        grad = grad + _t(out) @ out @ _t(g) @ (np.eye(m) - out @ a)
        return (grad,)

    return make(out, (x,), vjp)


def lstsq(a, b, rcond=None) -> Tensor:
    av, bv = float_array(a), float_array(b)
    return Tensor(np.linalg.lstsq(av, bv, rcond=rcond)[0].astype(av.dtype))


def matrix_rank(x, tol=None) -> Tensor:
    return Tensor(np.asarray(np.linalg.matrix_rank(float_array(x), tol=tol)).astype(np.int32))


def qr(x, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`mode` must be 'reduced' or 'complete', got {mode!r}")
    q, r = np.linalg.qr(float_array(x), mode=mode)
    return Tensor(q), Tensor(r)


def svd(x, full_matrices: bool = True, compute_uv: bool = True):
    a = float_array(x)
    if not compute_uv:
        return Tensor(np.linalg.svd(a, compute_uv=False))
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    return Tensor(u), Tensor(s), Tensor(vt)


def eig(x) -> tuple[Tensor, Tensor]:
    w, v = np.linalg.eig(float_array(x))
    return Tensor(w), Tensor(v)


def eigh(x) -> tuple[Tensor, Tensor]:
    w, v = np.linalg.eigh(float_array(x))
    return Tensor(w), Tensor(v)


def lu_factor(x) -> tuple[Tensor, Tensor]:
    """LU with partial pivoting packed in one matrix, and the pivot rows (0-based), as scipy's lu_factor."""
    a = float_array(x).copy()
    if a.ndim != 2:
        raise ValueError(f"lu_factor needs a matrix, got shape {a.shape}")
    n = a.shape[0]
    pivots = np.zeros(min(a.shape), dtype=np.int32)
    for k in range(min(a.shape)):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        pivots[k] = p
        if p != k:
            a[[k, p]] = a[[p, k]]
        if a[k, k] != 0:
            a[k + 1:, k] /= a[k, k]
            a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
    del n
    return Tensor(a), Tensor(pivots)
