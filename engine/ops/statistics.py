"""Sorting, ranking, counting and statistics of `keras.ops`: sort/argsort/top_k, quantiles, histograms,
cumulative products and the NaN-ignoring reductions. Sorted values and quantiles carry gradients (through
the positions the values were taken from)."""

from __future__ import annotations

import numpy as np

from engine import backend
from engine import ops as m
from engine.autodiff import Tensor, make
from engine.ops.arrangement import take_along_axis
from engine.ops.core import value_of

__all__ = [
    "argpartition", "argsort", "average", "bincount", "corrcoef", "count_nonzero", "cumprod", "digitize",
    "histogram", "in_top_k", "median", "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmax", "nanmean",
    "nanmedian", "nanmin", "nanpercentile", "nanprod", "nanquantile", "nanstd", "nansum", "nanvar", "percentile",
    "ptp", "quantile", "searchsorted", "sort", "top_k", "unique",
]


def _array(x) -> np.ndarray:
    return np.asarray(value_of(x))


def _float(x):
    """Integer and boolean tensors as floatx (for statistics that are fractions)."""
    a = _array(x)
    return x if a.dtype.kind == "f" else Tensor(a.astype(backend.floatx()))


# -- sorting ------------------------------------------------------------------------------------------

def argsort(x, axis: int = -1) -> Tensor:
    a = _array(x)
    if a.ndim == 0:
        return Tensor(np.zeros((), np.int32))
    return Tensor(np.argsort(a, axis=axis, kind="stable").astype(np.int32))


def sort(x, axis: int = -1) -> Tensor:
    a = _array(x)
    if a.ndim == 0:
        return x if isinstance(x, Tensor) else Tensor(a)
    return take_along_axis(x, np.argsort(a, axis=axis, kind="stable"), axis=axis)


def argpartition(x, kth, axis: int = -1) -> Tensor:
    return Tensor(np.argpartition(_array(x), kth, axis=axis).astype(np.int32))


def top_k(x, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:  # noqa: A002 - Keras name
    """The k largest entries along the last axis and their indices (largest first)."""
    a = _array(x)
    order = np.argsort(-a, axis=-1, kind="stable")[..., :k]
    return take_along_axis(x, order, axis=-1), Tensor(order.astype(np.int32))


def in_top_k(targets, predictions, k: int) -> Tensor:
    """Whether each target class is among the k highest predictions of its row."""
    p = _array(predictions)
    t = _array(targets).astype(np.int64)
    target_scores = np.take_along_axis(p, t[:, None], axis=1)
    better = np.sum(p > target_scores, axis=1)
    return Tensor((better < k) & np.isfinite(target_scores[:, 0]))


def unique(x, sorted: bool = True, return_index: bool = False, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, axis=None, size=None, fill_value=None):
    results = np.unique(_array(x), return_index=return_index, return_inverse=return_inverse,
                        return_counts=return_counts, axis=axis)
    results = list(results) if isinstance(results, tuple) else [results]
    if size is not None:
        values = results[0]
        fill = values[0] if fill_value is None and len(values) else (fill_value or 0)
        padded = np.full((size,) + values.shape[1:], fill, dtype=values.dtype)
        padded[:min(size, len(values))] = values[:size]
        results[0] = padded
    out = [Tensor(np.asarray(r)) for r in results]
    return out[0] if len(out) == 1 else tuple(out)


def searchsorted(sorted_sequence, values, side: str = "left") -> Tensor:
    return Tensor(np.searchsorted(_array(sorted_sequence), _array(values), side=side).astype(np.int32))


def digitize(x, bins) -> Tensor:
    return Tensor(np.digitize(_array(x), _array(bins)).astype(np.int32))


def bincount(x, weights=None, minlength: int = 0, sparse: bool = False) -> Tensor:
    a = _array(x)
    w = None if weights is None else _array(weights)
    if a.ndim == 2:  # one count per row, as Keras
        length = max(int(a.max(initial=-1)) + 1, minlength)
        rows = [np.bincount(r, None if w is None else w[i], minlength=length) for i, r in enumerate(a)]
        out = np.stack(rows)
    else:
        out = np.bincount(a, w, minlength=minlength)
    return Tensor(out.astype(np.int32 if w is None else w.dtype))


def histogram(x, bins: int = 10, range=None) -> tuple[Tensor, Tensor]:  # noqa: A002 - Keras name
    counts, edges = np.histogram(_array(x), bins=bins, range=range)
    return Tensor(counts.astype(np.int32)), Tensor(edges.astype(_array(x).dtype if _array(x).dtype.kind == "f"
                                                                 else backend.floatx()))


def count_nonzero(x, axis=None) -> Tensor:
    return Tensor(np.asarray(np.count_nonzero(_array(x), axis=axis)).astype(np.int32))


# -- quantiles -------------------------------------------------------------------------------------------

def _interpolated_quantile(x, q, axis, keepdims: bool, ignore_nan: bool) -> Tensor:
    """Quantiles by linear interpolation between sorted values, differentiable in x."""
    a = _array(x)
    xf = _float(x)
    qs = np.asarray(value_of(q), dtype=np.float64)
    if axis is None:
        xf, a, work_axis = m.reshape(xf, (-1,)), a.reshape(-1), 0
    else:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        axes = tuple(k % a.ndim for k in axes)
        rest = [k for k in range(a.ndim) if k not in axes]
        xf = m.transpose(xf, rest + list(axes))
        xf = m.reshape(xf, tuple(a.shape[k] for k in rest) + (-1,))
        a, work_axis = _array(xf), -1
    order = np.argsort(np.where(np.isnan(a), np.inf, a) if ignore_nan else a, axis=work_axis, kind="stable")
    ordered = take_along_axis(xf, order, axis=work_axis)
    n = np.sum(~np.isnan(a), axis=work_axis, keepdims=True) if ignore_nan else np.full(
        a.shape[:-1] + (1,) if a.ndim else (1,), a.shape[work_axis])
    outs = []
    for qv in np.atleast_1d(qs):
        position = qv * (n - 1)
        lower = np.floor(position).astype(np.int64)
        upper = np.minimum(lower + 1, n - 1)
        frac = (position - lower).astype(_array(ordered).dtype)
        lo = take_along_axis(ordered, np.maximum(lower, 0), axis=work_axis)
        hi = take_along_axis(ordered, np.maximum(upper, 0), axis=work_axis)
        value = m.squeeze(m.add(lo, m.multiply(m.subtract(hi, lo), frac)), axis=-1)
        if ignore_nan and np.any(n == 0):
            value = m.where(np.squeeze(n == 0, -1), np.nan, value)
        outs.append(value)
    result = outs[0] if qs.ndim == 0 else m.stack(outs, axis=0)
    if keepdims:
        original = _array(x)
        reduced = range(original.ndim) if axis is None else [k % original.ndim for k in
                                                                 ((axis,) if isinstance(axis, int) else axis)]
        shape = list(np.shape(_array(result)))
        lead = shape[:1] if qs.ndim else []
        body = [1 if k in reduced else original.shape[k] for k in range(original.ndim)]
        result = m.reshape(result, tuple(lead + body))
    return result


def _check_method(method: str) -> None:
    if method != "linear":
        raise ValueError(f"Only method='linear' is supported for quantiles, got method={method!r}")


def quantile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    _check_method(method)
    return _interpolated_quantile(x, q, axis, keepdims, ignore_nan=False)


def percentile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    return quantile(x, np.asarray(value_of(q)) / 100, axis, method, keepdims)


def median(x, axis=None, keepdims: bool = False) -> Tensor:
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def nanquantile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    _check_method(method)
    return _interpolated_quantile(x, q, axis, keepdims, ignore_nan=True)


def nanpercentile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    return nanquantile(x, np.asarray(value_of(q)) / 100, axis, method, keepdims)


def nanmedian(x, axis=None, keepdims: bool = False) -> Tensor:
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


# -- other statistics -----------------------------------------------------------------------------------

def average(x, axis=None, weights=None) -> Tensor:
    if weights is None:
        return m.mean(_float(x), axis=axis)
    xf, w = _float(x), _float(weights)
    if axis is not None and np.ndim(_array(w)) == 1 and np.ndim(_array(x)) > 1:
        shape = [1] * np.ndim(_array(x))
        shape[axis] = -1
        w = m.reshape(w, tuple(shape))
    return m.divide(m.sum(m.multiply(xf, w), axis=axis), m.sum(m.multiply(m.ones_like(xf), w), axis=axis))


def ptp(x, axis=None, keepdims: bool = False) -> Tensor:
    return m.subtract(m.max(x, axis=axis, keepdims=keepdims), m.min(x, axis=axis, keepdims=keepdims))


def corrcoef(x) -> Tensor:
    xf = _float(x)
    centered = m.subtract(xf, m.mean(xf, axis=1, keepdims=True))
    cov = m.matmul(centered, m.transpose(centered))
    scale = m.sqrt(m.sum(m.square(centered), axis=1))
    return m.divide(cov, m.multiply(m.expand_dims(scale, 1), m.expand_dims(scale, 0)))


def cumprod(x, axis=None, dtype=None) -> Tensor:
    a = _array(x)
    if dtype is not None:
        a = a.astype(dtype)
    flat = axis is None
    work = a.reshape(-1) if flat else a
    ax = 0 if flat else axis
    out = np.cumprod(work, axis=ax)

    def vjp(g):
        # d out_j / d x_i = out_j / x_i for j >= i: a reversed cumulative sum, done without dividing by zero
        n = work.shape[ax]
        moved_x, moved_g = np.moveaxis(work, ax, -1), np.moveaxis(g, ax, -1)
        grad = np.zeros_like(moved_x, dtype=g.dtype)
        for i in range(n):
            others = moved_x.copy()
            others[..., i] = 1
            partial = np.cumprod(others[..., i:], axis=-1)
            if i:
                partial = partial * np.prod(moved_x[..., :i], axis=-1, keepdims=True)
            grad[..., i] = np.sum(moved_g[..., i:] * partial, axis=-1)
        grad = np.moveaxis(grad, -1, ax)
        return (grad.reshape(a.shape),)

    return make(out, (x,), vjp) if a.dtype.kind == "f" else Tensor(out)


def _nan_filled(x, fill) -> Tensor:
    a = _array(x)
    return m.where(np.isnan(a), fill, x) if a.dtype.kind == "f" else x


def nansum(x, axis=None, keepdims: bool = False) -> Tensor:
    return m.sum(_nan_filled(x, 0.0), axis=axis, keepdims=keepdims)


def nanprod(x, axis=None, keepdims: bool = False) -> Tensor:
    return m.prod(_nan_filled(x, 1.0), axis=axis, keepdims=keepdims)


def nanmean(x, axis=None, keepdims: bool = False) -> Tensor:
    counts = np.sum(~np.isnan(_array(_float(x))), axis=axis, keepdims=keepdims)
    return m.divide(nansum(_float(x), axis=axis, keepdims=keepdims), counts.astype(_array(_float(x)).dtype))


def nanvar(x, axis=None, keepdims: bool = False) -> Tensor:
    xf = _float(x)
    centered = m.subtract(xf, nanmean(xf, axis=axis, keepdims=True))
    return nanmean(m.square(centered), axis=axis, keepdims=keepdims)


def nanstd(x, axis=None, keepdims: bool = False) -> Tensor:
    return m.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def nanmax(x, axis=None, keepdims: bool = False) -> Tensor:
    a = _array(x)
    out = m.max(_nan_filled(x, -np.inf), axis=axis, keepdims=keepdims)
    return m.where(np.all(np.isnan(a), axis=axis, keepdims=keepdims), np.nan, out) if a.dtype.kind == "f" else out


def nanmin(x, axis=None, keepdims: bool = False) -> Tensor:
    a = _array(x)
    out = m.min(_nan_filled(x, np.inf), axis=axis, keepdims=keepdims)
    return m.where(np.all(np.isnan(a), axis=axis, keepdims=keepdims), np.nan, out) if a.dtype.kind == "f" else out


def nanargmax(x, axis=None, keepdims: bool = False) -> Tensor:
    a = _array(x)
    filled = np.where(np.isnan(a), -np.inf, a) if a.dtype.kind == "f" else a
    return Tensor(np.argmax(filled, axis=axis, keepdims=keepdims).astype(np.int32))


def nanargmin(x, axis=None, keepdims: bool = False) -> Tensor:
    a = _array(x)
    filled = np.where(np.isnan(a), np.inf, a) if a.dtype.kind == "f" else a
    return Tensor(np.argmin(filled, axis=axis, keepdims=keepdims).astype(np.int32))


def nancumsum(x, axis=None, dtype=None) -> Tensor:
    filled = _nan_filled(x, 0.0)
    return m.cumsum(filled if dtype is None else m.cast(filled, dtype), axis=axis)


def nancumprod(x, axis=None, dtype=None) -> Tensor:
    return cumprod(_nan_filled(x, 1.0), axis=axis, dtype=dtype)
