"""Stride-1 convolution computed on the filters' side, when there are no more filters than input channels.

im2col copies every input window into a (positions, kernel_volume * channels) matrix, and its backward pass
adds such a matrix back (col2im). When a convolution has fewer filters F than input channels C (a decoder's
last layer: 32 channels -> 1), both matrices are far larger than needed. With stride 1 the kernel offsets
can be moved to the filters' side instead:

- forward: one product gives every input pixel's contribution to every kernel offset, (pixels, C) @
  (C, kernel_volume * F), and the output is the sum over offsets of shifted slices of it (clipped at the
  borders, where "same" padding would have read zeros);
- backward: the input gradient is the "full" correlation of the output gradient with the flipped kernel,
  i.e. the padded output gradient's windows (F channels wide) times the flipped kernel; the kernel gradient
  is the same windows transposed times the input (pixels, C). With as many filters as channels and no kernel
  gradient wanted (the forward pass ran as im2col), the input gradient is instead computed as the
  transposed convolution of the output gradient, as products that land (engine/ops/landing.py), whose
  products, (pixels, F) @ (F, kernel_volume * C), make a wider matrix product.

All of it runs a few samples at a time, in cache, in threads that each take a slice of the batch with
single-threaded matrix products. Apart from those few samples' products, no array here is kernel_volume * C
wide, and nothing is scattered back. The numbers are the same sums as im2col's, added in another order
(float32 rounding differs in the last bits, as between BLAS builds).
"""

from __future__ import annotations

import math

import numpy as np

from engine.ops.landing import LandingAxis, add_products, in_samples
from engine.ops.scratch import take
from engine.ops.windows import _pad, _Windows


def forward(x: np.ndarray, kernel: np.ndarray, w: _Windows, pads) -> np.ndarray:
    """conv(x) with stride 1 for an unpadded input x (batch, *in, C), kernel (*k, C, F) and `pads` (before,
    after) per axis: (batch, *out, F)."""
    channels, filters, in_sizes = x.shape[-1], kernel.shape[-1], x.shape[1:-1]
    kk = math.prod(w.kernel)
    taps = kernel.reshape(kk, channels, filters).transpose(1, 0, 2).reshape(channels, kk * filters).astype(x.dtype)
    x2 = np.ascontiguousarray(x).reshape(-1, channels)
    z = take("conv", (x.shape[0], *w.out, filters), x.dtype)
    shifts = [_shift(offset, w, pads, in_sizes) for offset in w.offsets()]

    def add(lo, hi, scratch, _):
        per_tap = np.matmul(x2[scratch.span(lo, hi)], taps, out=scratch.rows(lo, hi))
        per_tap = per_tap.reshape(hi - lo, *in_sizes, kk, filters)
        out = z[lo:hi]
        out.fill(0)
        for j, (into, read) in enumerate(shifts):
            out[(slice(None), *into)] += per_tap[(slice(None), *read, j)]

    in_samples(add, x.shape[0], math.prod(in_sizes), kk * filters, x.dtype)
    return z


def gradients(g: np.ndarray, x: np.ndarray, kernel: np.ndarray, w: _Windows, pads, want_input: bool,
              want_kernel: bool) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The gradients of the input x (batch, *in, C) and of the kernel (*k, C, F) of a stride-1 convolution with
    `pads` (before, after) per axis, from its output gradient g (batch, *out, F); None for those not wanted."""
    channels, filters = kernel.shape[-2:]
    dtype = np.result_type(g.dtype, kernel.dtype)  # as the product of the two would give
    if want_input and not want_kernel and filters >= channels:  # the transposed convolution of g
        rows = np.ascontiguousarray(kernel, dtype=dtype).reshape(-1, filters)  # (kernel_volume * C, F)
        g2 = np.ascontiguousarray(g, dtype=dtype).reshape(-1, filters)
        landing = [LandingAxis(out, k, 1, d, lo, n)  # output pixel o's offset k read input pixel o + k * d - before
                   for n, k, d, (lo, _), out in zip(x.shape[1:-1], w.kernel, w.dilation, pads, w.out)]
        return add_products(g2, rows, np.zeros(channels, dtype), landing, False).reshape(x.shape), None
    if not (want_input or want_kernel):
        return None, None
    return _flipped_gradients(np.asarray(g, dtype=dtype), x, kernel, w, pads, want_input, want_kernel)


def _flipped_gradients(g, x, kernel, w: _Windows, pads, want_input: bool, want_kernel: bool):
    """The input's and the kernel's gradients from the windows of the padded output gradient under the flipped
    kernel, a few samples at a time: the windows (pixels, kernel_volume * F), kernel offsets in flipped order,
    times the flipped kernel give the input gradient's rows, and transposed times the input add to the kernel's."""
    rank, (channels, filters), in_sizes = x.ndim - 2, kernel.shape[-2:], x.shape[1:-1]
    spans = [(k - 1) * d + 1 for k, d in zip(w.kernel, w.dilation)]
    gq = _pad(g, [(span - 1 - lo, span - 1 - hi) for span, (lo, hi) in zip(spans, pads)])
    windows = _Windows(w.kernel, (1,) * rank, w.dilation, tuple(in_sizes))
    offsets = list(windows.offsets())
    flipped = kernel[(slice(None, None, -1),) * rank]  # (*k, C, F) -> (kernel_volume * F, C)
    flipped = np.ascontiguousarray(np.swapaxes(flipped, -1, -2), dtype=g.dtype).reshape(-1, channels)
    x2 = np.ascontiguousarray(x).reshape(-1, channels)
    gx = take("conv.input_gradient", x2.shape, g.dtype) if want_input else None

    def step(lo, hi, scratch, gk):
        rows = scratch.span(lo, hi)
        cols = scratch.rows(lo, hi)
        grid = cols.reshape(hi - lo, *in_sizes, len(offsets), filters)
        for j, offset in enumerate(offsets):
            grid[(slice(None),) * (rank + 1) + (j,)] = gq[windows.slices(offset, slice(lo, hi))]
        if want_input:
            np.matmul(cols, flipped, out=gx[rows])
        if want_kernel:
            gk += cols.T @ x2[rows]

    start = (lambda: np.zeros(flipped.shape, g.dtype)) if want_kernel else None
    parts = in_samples(step, x.shape[0], math.prod(in_sizes), flipped.shape[0], g.dtype, start)
    gk = None
    if want_kernel:  # rows (flipped offset, filter), columns C -> (*k, C, F)
        grid = sum(parts).reshape(*kernel.shape[:-2], filters, channels)[(slice(None, None, -1),) * rank]
        gk = np.ascontiguousarray(np.swapaxes(grid, -1, -2)).astype(kernel.dtype, copy=False)
    return None if gx is None else gx.reshape(x.shape), gk


def _shift(offset, w: _Windows, pads, in_sizes) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """(output slices, input slices) of one kernel offset: output pixel o reads input pixel
    o + k * dilation - before, where that is inside the input."""
    into, read = [], []
    for k, d, (lo, _), n, out in zip(offset, w.dilation, pads, in_sizes, w.out):
        shift = k * d - lo
        first, last = max(0, -shift), min(out, n - shift)
        into.append(slice(first, max(first, last)))
        read.append(slice(first + shift, max(first, last) + shift))
    return tuple(into), tuple(read)
