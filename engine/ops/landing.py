"""Products that land: every input pixel times the whole kernel, added where each kernel offset lands.

A transposed convolution is this: input pixel i times kernel offset k lands on output pixel
i * stride + k * dilation - crop (per axis). So is a stride-1 convolution computed on its filters' side (its
kernel flipped), and the input gradient of a stride-1 convolution. `add_products` makes the products
(pixels, channels) @ (channels, kernel_volume * filters) a few samples at a time and has every output pixel
sum the ones that land on it (engine/kernels/transposed_conv.py): no scatter, no zero-filled or padded array.
`product_gradients` is its backward pass: the output gradient's windows gathered into columns (input pixels,
kernel_volume * filters), which, while in cache, give the input's gradient (columns @ kernel) and the
kernel's (columns^T @ inputs). Both run in the threads of `_over_batch`, each on a slice of the batch with
single-threaded matrix products. Up to three spatial axes; fewer run as three with axes of size 1.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from engine import config
from engine.kernels.landing import add_filter_sums, add_windows, gather_windows
from engine.ops.scratch import take
from engine.ops.windows import _over_batch

MAX_AXES = 3  # the kernels' spatial rank
_CHUNK_ELEMENTS = 1 << 18  # products made and used a few samples at a time, while they are in cache


class LandingAxis:
    """One spatial axis: input pixel i's kernel offset k lands on output pixel i * stride + k * dilation - crop,
    if that is within 0 .. out - 1."""

    def __init__(self, size: int, kernel: int, stride: int, dilation: int, crop: int, out: int):
        self.size, self.kernel, self.out = size, kernel, out
        self.landing, self.taps = _tables(size, kernel, stride, dilation, crop, out)


@functools.lru_cache(maxsize=256)
def _tables(size: int, kernel: int, stride: int, dilation: int, crop: int, out: int):
    """(landing, taps) of one axis: landing (size, kernel) gives the output index of each (input index, kernel
    offset), -1 outside the output; taps (out, 1 + 2 * kernel) lists for each output index its number of
    (input index, kernel offset) pairs, then the pairs."""
    landing = np.arange(size)[:, None] * stride + np.arange(kernel)[None, :] * dilation - crop
    landing[(landing < 0) | (landing >= out)] = -1
    taps = np.zeros((out, 1 + 2 * kernel), dtype=np.int64)
    for i, k in zip(*np.nonzero(landing >= 0)):
        o = landing[i, k]
        count = taps[o, 0]
        taps[o, 1 + 2 * count:3 + 2 * count] = i, k
        taps[o, 0] = count + 1
    landing = landing.astype(np.int64)
    landing.setflags(write=False)
    taps.setflags(write=False)
    return landing, taps


_SINGLE = LandingAxis(1, 1, 1, 1, 0, 1)


def _three(axes) -> list:
    """The axes padded in front to the kernels' three with axes of size 1."""
    if not 1 <= len(axes) <= MAX_AXES:
        raise ValueError(f"products that land: 1 to {MAX_AXES} spatial axes, received {len(axes)}")
    return [_SINGLE] * (MAX_AXES - len(axes)) + list(axes)


def add_products(x2: np.ndarray, k2: np.ndarray, bias: np.ndarray, axes, relu: bool) -> np.ndarray:
    """The output (batch, *outs, filters) of inputs x2 (batch * pixels, channels) and a kernel k2 (kernel_volume *
    filters, channels): each input pixel's products x @ kernel^T, summed where they land along `axes`
    (LandingAxis), starting from the bias (filters,), then relu'd if asked."""
    filters, rank = len(bias), len(axes)
    axes = _three(axes)
    sizes, kernel, pixels = tuple(a.size for a in axes), tuple(a.kernel for a in axes), math.prod(a.size for a in axes)
    batch = len(x2) // pixels
    out = take("products_landed", (batch, *(a.out for a in axes), filters), x2.dtype)
    k2t = k2.T
    taps = [a.taps for a in axes]

    def add(lo, hi, scratch, _):
        products = np.matmul(x2[scratch.span(lo, hi)], k2t, out=scratch.rows(lo, hi))
        add_windows(products.reshape(hi - lo, *sizes, *kernel, filters), *taps, bias, relu, out[lo:hi])

    in_samples(add, batch, pixels, len(k2), x2.dtype)
    return out.reshape(batch, *out.shape[1 + MAX_AXES - rank:])


def product_gradients(g: np.ndarray, y: np.ndarray | None, x2: np.ndarray, k2: np.ndarray, axes, want_input: bool,
                      want_kernel: bool, want_bias: bool):
    """The gradients of `add_products`'s inputs x2 (batch * pixels, channels), kernel k2 and bias, from the
    output gradient g (batch, *outs, filters), through the relu whose output is y (None: no relu).

    A few samples at a time, the gradient's windows are gathered into columns (input pixels, kernel_volume *
    filters), which, while in cache, give the input's gradient rows (columns @ kernel) and add to the
    kernel's (columns^T @ inputs). Gradients the caller does not want come back as None.
    """
    axes = _three(axes)
    batch, filters, channels = g.shape[0], g.shape[-1], x2.shape[1]
    g = np.ascontiguousarray(g, dtype=x2.dtype).reshape(batch, *(a.out for a in axes), filters)
    relu = y is not None
    y = y.reshape(g.shape) if relu else g
    sizes, kernel, pixels = tuple(a.size for a in axes), tuple(a.kernel for a in axes), math.prod(a.size for a in axes)
    gx = take("products_landed.input_gradient", (len(x2), channels), x2.dtype) if want_input else None
    landing = [a.landing for a in axes]

    def step(lo, hi, scratch, sums):
        gk, gb = sums
        if want_input or want_kernel:
            cols = scratch.rows(lo, hi)
            gather_windows(g[lo:hi], y[lo:hi], relu, *landing, cols.reshape(hi - lo, *sizes, *kernel, filters))
            if want_input:
                np.matmul(cols, k2, out=gx[scratch.span(lo, hi)])
            if want_kernel:
                gk += cols.T @ x2[scratch.span(lo, hi)]
        if want_bias:
            add_filter_sums(g[lo:hi].reshape(-1, filters), y[lo:hi].reshape(-1, filters), relu, gb)

    def start():
        return np.zeros((len(k2), channels), x2.dtype), np.zeros(filters, np.float64)

    kernel_parts, bias_parts = zip(*in_samples(step, batch, pixels, len(k2), x2.dtype, start))
    return gx, sum(kernel_parts) if want_kernel else None, sum(bias_parts) if want_bias else None


class SampleRows:
    """One thread's scratch rows for a few samples at a time: `pixels` rows per sample, `width` wide."""

    def __init__(self, samples: int, pixels: int, width: int, dtype):
        self.pixels = pixels
        self.array = np.empty((samples * pixels, width), dtype)

    def span(self, lo: int, hi: int) -> slice:
        """The rows of samples lo..hi-1 in a (batch * pixels, ...) array."""
        return slice(lo * self.pixels, hi * self.pixels)

    def rows(self, lo: int, hi: int) -> np.ndarray:
        """Scratch rows for samples lo..hi-1."""
        return self.array[:(hi - lo) * self.pixels]


def in_samples(step, batch: int, pixels: int, width: int, dtype, start=None) -> list:
    """step(lo, hi, scratch, state) over runs of a few samples lo..hi-1 (about 2 ** 18 scratch elements), in
    threads that each take a slice of the batch with their own SampleRows and state = start() (None without
    `start`), their matrix products single-threaded; the states, one per thread."""
    chunk = max(1, _CHUNK_ELEMENTS // (pixels * width))

    def run(b):
        first, stop, _ = b.indices(batch)
        scratch, state = SampleRows(min(chunk, stop - first), pixels, width, dtype), start() if start else None
        for lo in range(first, stop, chunk):
            step(lo, min(lo + chunk, stop), scratch, state)
        return state

    with config.blas_single_threaded():  # each of our threads runs its own products: no BLAS threads on top
        return _over_batch(run, batch, batch * pixels * width)
