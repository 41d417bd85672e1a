"""Attention ops with hand-written backward passes: a masked softmax and scaled dot-product attention.

`masked_softmax` is what Keras's `Softmax` layer computes with a mask (masked logits set to -1e9, masked
probabilities set to 0). `dot_product_attention` is `keras.ops.dot_product_attention`: one node for
`softmax(q k^T * scale + bias, masked) v` over (batch, steps, heads, features) tensors, so attention
trains without recording the (batch, heads, T, S) intermediate products as separate ops.
"""

from __future__ import annotations

import numpy as np

from engine.autodiff import Tensor, make, unbroadcast
from engine.ops.core import value_of

__all__ = ["dot_product_attention", "masked_softmax"]

#: What Keras's Softmax layer writes in place of masked logits (float16 aside).
_SOFTMAX_MASK_VALUE = -1e9


def _arr(x) -> np.ndarray:
    return np.asarray(value_of(x))


def _bool_mask(mask, rank: int) -> np.ndarray:
    m = np.asarray(value_of(mask))
    if m.ndim > rank:
        raise ValueError(f"The `mask` must be broadcastable to `inputs` and must not have more dimensions. "
                         f"Received: mask.shape={m.shape} for inputs of rank {rank}")
    return m if m.dtype == bool else m > 0.5


def _axes(axis, ndim: int) -> tuple[int, ...]:
    axes = axis if isinstance(axis, (list, tuple)) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


def masked_softmax(x, mask=None, axis=-1) -> Tensor:
    """Softmax of `x` along `axis` (int or several axes); where `mask` is False the logit counts as -1e9 and the
    output is 0 (Keras's `Softmax` layer with a mask)."""
    a = _arr(x)
    axes = _axes(axis, a.ndim)
    keep = None if mask is None else _bool_mask(mask, a.ndim)
    if keep is not None:
        for m_dim, i_dim in zip(keep.shape[::-1], a.shape[::-1]):
            if m_dim not in (1, i_dim):
                raise ValueError(f"The `mask` must be broadcastable to `inputs`. Each mask dimension must be 1 or "
                                 f"match the corresponding input dimension. Received: inputs.shape={a.shape}, "
                                 f"mask.shape={keep.shape}")
        a = np.where(keep, a, a.dtype.type(_SOFTMAX_MASK_VALUE))
    e = np.exp(a - np.max(a, axis=axes, keepdims=True))
    p = e / np.sum(e, axis=axes, keepdims=True)
    out = p if keep is None else np.where(keep, p, 0).astype(p.dtype)

    def vjp(g):
        if keep is not None:
            g = np.where(keep, g, 0)
        grad = p * (g - np.sum(g * p, axis=axes, keepdims=True))
        return ((grad if keep is None else np.where(keep, grad, 0)).astype(a.dtype),)

    return make(out, (x,), vjp)


def _repeat_heads(a: np.ndarray, groups: int) -> np.ndarray:
    return a if groups == 1 else np.repeat(a, groups, axis=1)


def _sum_heads(g: np.ndarray, groups: int) -> np.ndarray:
    if groups == 1:
        return g
    b, n, s, h = g.shape
    return g.reshape(b, n // groups, groups, s, h).sum(axis=2)


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal: bool = False,
                          flash_attention=None, attn_logits_soft_cap=None) -> Tensor:
    """`softmax(query . key * scale + bias) . value` for (batch, steps, heads, features) tensors, in one node.

    `mask` (True = attend) broadcasts to (batch, heads, T, S); masked logits become -0.7 * the dtype's
    largest value, as in Keras's NumPy and JAX backends. Keys and values may have fewer heads than the
    query (grouped-query attention) when they divide its head count.
    """
    if flash_attention:
        raise ValueError("Flash attention is not supported by this engine; pass flash_attention=None or False.")
    if attn_logits_soft_cap is not None:
        raise ValueError("attn_logits_soft_cap is not supported by this engine's dot_product_attention.")
    q, k, v = _arr(query), _arr(key), _arr(value)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(f"`dot_product_attention` only supports 4D inputs. Received: query.shape={q.shape}, "
                         f"key.shape={k.shape}, value.shape={v.shape}.")
    heads, kv_heads = q.shape[2], k.shape[2]
    if heads % kv_heads or v.shape[2] != kv_heads:
        raise ValueError(f"The number of query heads ({heads}) must be a multiple of the key/value heads "
                         f"(key: {kv_heads}, value: {v.shape[2]}).")
    groups = heads // kv_heads
    scale = 1.0 / np.sqrt(k.shape[-1]) if scale is None else scale
    dtype = np.result_type(q.dtype, k.dtype, v.dtype)
    qt = q.transpose(0, 2, 1, 3).astype(dtype, copy=False)
    kt = _repeat_heads(k.transpose(0, 2, 1, 3).astype(dtype, copy=False), groups)
    vt = _repeat_heads(v.transpose(0, 2, 1, 3).astype(dtype, copy=False), groups)
    logits = np.matmul(qt, kt.swapaxes(-1, -2))
    logits *= dtype.type(scale)
    if bias is not None:
        logits = logits + _arr(bias).astype(dtype)
    keep = None if mask is None else np.broadcast_to(_bool_mask(mask, 4), logits.shape)
    if is_causal:
        causal = np.tril(np.ones(logits.shape[-2:], dtype=bool))
        keep = causal if keep is None else keep & causal
    if keep is not None:
        logits = np.where(keep, logits, dtype.type(-0.7 * np.finfo(dtype).max))
    logits -= np.max(logits, axis=-1, keepdims=True)
    p = np.exp(logits)
    p /= np.sum(p, axis=-1, keepdims=True)
    out = np.matmul(p, vt).transpose(0, 2, 1, 3)

    def vjp(g):
        gt = g.transpose(0, 2, 1, 3)
        dv = np.matmul(p.swapaxes(-1, -2), gt)
        dp = np.matmul(gt, vt.swapaxes(-1, -2))
        dlogits = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))
        if keep is not None:
            dlogits = np.where(keep, dlogits, 0)
        dq = np.matmul(dlogits, kt) * dtype.type(scale)
        dk = np.matmul(dlogits.swapaxes(-1, -2), qt) * dtype.type(scale)
        grads = [dq.transpose(0, 2, 1, 3).astype(q.dtype, copy=False),
                 _sum_heads(dk, groups).transpose(0, 2, 1, 3).astype(k.dtype, copy=False),
                 _sum_heads(dv, groups).transpose(0, 2, 1, 3).astype(v.dtype, copy=False)]
        if bias is not None:
            grads.append(unbroadcast(dlogits, np.shape(_arr(bias))).astype(_arr(bias).dtype, copy=False))
        return tuple(grads)

    parents = (query, key, value) if bias is None else (query, key, value, bias)
    return make(np.ascontiguousarray(out), parents, vjp)
