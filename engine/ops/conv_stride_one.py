"""Stride-1 convolution computed on the filters' side, when there are no more filters than input channels.

im2col copies every input window into a (positions, kernel_volume * channels) matrix, and its backward pass
adds such a matrix back (col2im). When a convolution has fewer filters F than input channels C (a decoder's
last layer: 32 channels -> 1), both matrices are far larger than needed. With stride 1 the kernel offsets
can be moved to the filters' side instead:

- forward: one GEMM gives every padded input pixel's contribution to every kernel offset,
  (pixels, C) @ (C, kernel_volume * F), and the output is the sum over offsets of shifted slices of it;
- backward: the input gradient is the "full" correlation of the output gradient with the flipped kernel,
  i.e. im2col of the padded output gradient (F channels wide) times the flipped kernel; the kernel
  gradient is the input (pixels, C) transposed times the same matrix. With as many filters as channels and
  no kernel gradient wanted (the forward pass ran as im2col), the input gradient is instead computed as the
  transposed convolution of the output gradient, as products that land (engine/ops/landing.py): its
  products, (pixels, F) @ (F, kernel_volume * C), make a wider matrix product, a few samples at a time in
  cache, and nothing is padded.

Apart from a few samples' products at a time, no array here is kernel_volume * C wide, and nothing is
scattered back. The numbers are the same sums as
im2col's, added in another order (float32 rounding differs in the last bits, as between BLAS builds).
"""

from __future__ import annotations

import math

import numpy as np

from engine.ops.landing import LandingAxis, add_products
from engine.ops.scratch import take
from engine.ops.windows import _im2col, _over_batch, _pad, _Windows


def shifted_sum_forward(xp: np.ndarray, kernel: np.ndarray, w: _Windows) -> np.ndarray:
    """conv(xp) for a padded input xp (batch, *padded, C), kernel (*k, C, F), stride 1: (batch, *out, F)."""
    channels, filters = xp.shape[-1], kernel.shape[-1]
    kk = math.prod(w.kernel)
    taps = kernel.reshape(kk, channels, filters).transpose(1, 0, 2).reshape(channels, kk * filters)
    pixels = xp.reshape(-1, channels)
    per_tap = np.matmul(pixels, taps, out=take("conv.taps", (pixels.shape[0], kk * filters), xp.dtype))
    per_tap = per_tap.reshape(*xp.shape[:-1], kk, filters)
    z = take("conv", (xp.shape[0], *w.out, filters), xp.dtype)
    offsets = list(w.offsets())

    def add(b):
        for j, offset in enumerate(offsets):
            window = per_tap[w.slices(offset, b) + (j,)]
            if j == 0:
                np.copyto(z[b], window)
            else:
                z[b] += window

    _over_batch(add, len(z), z.size * kk)
    return z


def gradients(g: np.ndarray, x: np.ndarray, kernel: np.ndarray, w: _Windows, pads, want_input: bool,
              want_kernel: bool) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The gradients of the input x (batch, *in, C) and of the kernel (*k, C, F) of a stride-1 convolution with
    `pads` (before, after) per axis, from its output gradient g (batch, *out, F); None for those not wanted."""
    channels, filters = kernel.shape[-2:]
    if want_input and not want_kernel and filters >= channels:  # the transposed convolution of g
        rows = np.ascontiguousarray(kernel, dtype=x.dtype).reshape(-1, filters)  # (kernel_volume * C, F)
        g2 = np.ascontiguousarray(g, dtype=x.dtype).reshape(-1, filters)
        landing = [LandingAxis(out, k, 1, d, lo, n)  # output pixel o's offset k read input pixel o + k * d - before
                   for n, k, d, (lo, _), out in zip(x.shape[1:-1], w.kernel, w.dilation, pads, w.out)]
        return add_products(g2, rows, np.zeros(channels, x.dtype), landing, False).reshape(x.shape), None
    if not (want_input or want_kernel):
        return None, None
    flipped = _flipped_gradient_columns(g, w, pads, x.shape[1:-1])
    gx = (flipped @ _flipped_kernel(kernel)).reshape(x.shape) if want_input else None
    return gx, _kernel_gradient(flipped, x, kernel.shape) if want_kernel else None


def _flipped_gradient_columns(g: np.ndarray, w: _Windows, pads, in_sizes) -> np.ndarray:
    """im2col of the output gradient g (batch, *out, F), padded so that its windows under the flipped kernel
    land on every input pixel: (batch * prod(in_sizes), kernel_volume * F), kernel offsets in flipped order."""
    spans = [(k - 1) * d + 1 for k, d in zip(w.kernel, w.dilation)]
    around = [(span - 1 - lo, span - 1 - hi) for span, (lo, hi) in zip(spans, pads)]
    gq = _pad(g, around)
    return _im2col(gq, _Windows(w.kernel, (1,) * len(w.kernel), w.dilation, tuple(in_sizes)))


def _flipped_kernel(kernel: np.ndarray) -> np.ndarray:
    """(*k, C, F) -> (kernel_volume * F, C): spatially flipped, channels and filters swapped."""
    rank = kernel.ndim - 2
    flipped = kernel[(slice(None, None, -1),) * rank]
    return np.ascontiguousarray(np.swapaxes(flipped, -1, -2)).reshape(-1, kernel.shape[-2])


def _kernel_gradient(columns: np.ndarray, x: np.ndarray, kernel_shape) -> np.ndarray:
    """The kernel's gradient (*k, C, F) from the unpadded input x and `_flipped_gradient_columns`."""
    rank, channels, filters = len(kernel_shape) - 2, kernel_shape[-2], kernel_shape[-1]
    by_channel = x.reshape(-1, channels).T @ columns  # (C, kernel_volume * F), offsets flipped
    grid = by_channel.reshape(channels, *kernel_shape[:-2], filters)[(slice(None),) + (slice(None, None, -1),) * rank]
    return np.ascontiguousarray(np.moveaxis(grid, 0, rank))
