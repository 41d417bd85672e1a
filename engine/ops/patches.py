"""Patch ops of `keras.ops.nn`: `unfold`/`fold` (torch's im2col and its inverse, channels first) and adaptive
average/max pooling (torch's bins: start floor(i*n/m), end ceil((i+1)*n/m)), each differentiable."""

from __future__ import annotations

import itertools
import math

import numpy as np

from engine.autodiff import Tensor, make
from engine.ops.conv import standardize_data_format
from engine.ops.core import value_of

__all__ = ["adaptive_average_pool", "adaptive_max_pool", "fold", "unfold"]


def _pair(value, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"`{name}` must be an int or two ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _patch_index(height, width, kernel, dilation, padding, stride):
    """Row and column (in the padded image) of every kernel element (rows) at every position (columns)."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
    out_h = (height + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    out_w = (width + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    ki, kj = np.meshgrid(np.arange(kh) * dh, np.arange(kw) * dw, indexing="ij")
    oi, oj = np.meshgrid(np.arange(out_h) * sh, np.arange(out_w) * sw, indexing="ij")
    rows = ki.reshape(-1, 1) + oi.reshape(1, -1)
    cols = kj.reshape(-1, 1) + oj.reshape(1, -1)
    return rows, cols


def unfold(x, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding patches of a (N, C, H, W) image as (N, C*kh*kw, L), as `torch.nn.functional.unfold`."""
    a = np.asarray(value_of(x))
    n, c, h, w = a.shape
    kernel, dil, pad, step = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"),
                              _pair(padding, "padding"), _pair(stride, "stride"))
    rows, cols = _patch_index(h, w, kernel, dil, pad, step)
    padded = np.pad(a, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    out = padded[:, :, rows, cols].reshape(n, c * rows.shape[0], rows.shape[1])

    def vjp(g):
        grad = np.zeros(padded.shape, dtype=g.dtype)
        np.add.at(grad, (slice(None), slice(None), rows, cols), g.reshape(n, c, *rows.shape))
        return (grad[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w],)

    return make(out, (x,), vjp)


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """The inverse of `unfold`: (N, C*kh*kw, L) patches summed back into (N, C, H, W), overlaps added."""
    a = np.asarray(value_of(x))
    h, w = _pair(output_size, "output_size")
    kernel, dil, pad, step = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"),
                              _pair(padding, "padding"), _pair(stride, "stride"))
    rows, cols = _patch_index(h, w, kernel, dil, pad, step)
    n = a.shape[0]
    c = a.shape[1] // rows.shape[0]
    padded = np.zeros((n, c, h + 2 * pad[0], w + 2 * pad[1]), dtype=a.dtype)
    np.add.at(padded, (slice(None), slice(None), rows, cols), a.reshape(n, c, *rows.shape))
    out = padded[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w]

    def vjp(g):
        grown = np.pad(g, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
        return (grown[:, :, rows, cols].reshape(a.shape),)

    return make(np.ascontiguousarray(out), (x,), vjp)


def _adaptive(inputs, output_size, data_format, reduce) -> Tensor:
    from engine.ops.array import get_item, moveaxis, stack
    a = np.asarray(value_of(inputs))
    spatial = a.ndim - 2
    sizes = (output_size,) * spatial if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != spatial:
        raise ValueError(f"`output_size` {output_size!r} does not fit {spatial} spatial axes of shape {a.shape}")
    channels_last = standardize_data_format(data_format) == "channels_last"
    x = moveaxis(inputs, -1, 1) if channels_last else inputs
    shape = np.shape(value_of(x))[2:]
    bins = [[(i * n // m, math.ceil((i + 1) * n / m)) for i in range(m)] for n, m in zip(shape, sizes)]
    cells = []
    for position in itertools.product(*bins):
        window = get_item(x, (slice(None), slice(None)) + tuple(slice(lo, hi) for lo, hi in position))
        cells.append(reduce(window, axis=tuple(range(2, 2 + spatial))))
    out = stack(cells, axis=-1)
    from engine.ops.array import reshape
    out = reshape(out, np.shape(value_of(out))[:2] + sizes)
    return moveaxis(out, 1, -1) if channels_last else out


def adaptive_average_pool(inputs, output_size, data_format=None) -> Tensor:
    from engine.ops.math import mean
    return _adaptive(inputs, output_size, data_format, mean)


def adaptive_max_pool(inputs, output_size, data_format=None) -> Tensor:
    from engine.ops.math import max as reduce_max
    return _adaptive(inputs, output_size, data_format, reduce_max)
