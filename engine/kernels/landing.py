"""The memory-bound halves of products that land (engine/ops/landing.py), as one pass each.

A transposed convolution (and a stride-1 convolution on its filters' side) multiplies every input pixel by the
whole kernel, (pixels, channels) @ (channels, kernel_volume * filters), and adds each kernel offset's product
at its place in the output. These loops do the adding and its adjoint over arrays of three spatial axes (fewer
axes are given as axes of size 1), with a relu applied on the way when asked:

- `add_windows`: every output pixel sums the products that land on it, read from a table of its
  (input index, kernel offset) pairs per axis, and starts from the bias: each output element is written
  once, with no zero-filled array, no scatter and no crop afterwards;
- `gather_windows`: the adjoint, im2col of the output gradient: for every input pixel and kernel offset,
  the gradient at the output pixel it landed on (zero where it fell outside the output, or where the relu's
  output is zero);
- `add_filter_sums`: the bias's gradient, the output gradient summed over pixels (where the relu passed).
"""

from __future__ import annotations

from engine.kernels import kernel


@kernel
def add_windows(products, taps0, taps1, taps2, bias, relu, out):
    """out[b, o0, o1, o2, :] = bias + the sum of products[b, i0, i1, i2, k0, k1, k2, :] over o's taps (then
    max(0, .) if `relu`).

    products (batch, n0, n1, n2, k0, k1, k2, filters); out (batch, o0, o1, o2, filters); tapsA (outA, 1 + 2 *
    kA) lists, for each output index along axis A, its count of taps then (input index, kernel offset) pairs.
    """
    batch, size0, size1, size2, filters = out.shape
    for b in range(batch):
        for o0 in range(size0):
            for o1 in range(size1):
                for o2 in range(size2):
                    for f in range(filters):
                        out[b, o0, o1, o2, f] = bias[f]
                    for j0 in range(taps0[o0, 0]):
                        i0, k0 = taps0[o0, 1 + 2 * j0], taps0[o0, 2 + 2 * j0]
                        for j1 in range(taps1[o1, 0]):
                            i1, k1 = taps1[o1, 1 + 2 * j1], taps1[o1, 2 + 2 * j1]
                            for j2 in range(taps2[o2, 0]):
                                i2, k2 = taps2[o2, 1 + 2 * j2], taps2[o2, 2 + 2 * j2]
                                for f in range(filters):
                                    out[b, o0, o1, o2, f] += products[b, i0, i1, i2, k0, k1, k2, f]
                    if relu:
                        for f in range(filters):
                            out[b, o0, o1, o2, f] = max(out[b, o0, o1, o2, f], 0)


@kernel
def gather_windows(gradient, output, relu, landing0, landing1, landing2, columns):
    """columns[b, i0, i1, i2, k0, k1, k2, :] = gradient[b, landing0[i0, k0], landing1[i1, k1], landing2[i2, k2], :]
    (zero where a landing index is -1: that offset of that input pixel fell outside the output; with `relu`,
    also zero where `output`, the relu's output, is not positive).

    gradient and output (batch, o0, o1, o2, filters); columns (batch, n0, n1, n2, k0, k1, k2, filters); landingA
    (nA, kA).
    """
    batch, size0, size1, size2, kernel0, kernel1, kernel2, filters = columns.shape
    for b in range(batch):
        for i0 in range(size0):
            for i1 in range(size1):
                for i2 in range(size2):
                    for k0 in range(kernel0):
                        o0 = landing0[i0, k0]
                        for k1 in range(kernel1):
                            o1 = landing1[i1, k1]
                            for k2 in range(kernel2):
                                o2 = landing2[i2, k2]
                                if o0 < 0 or o1 < 0 or o2 < 0:
                                    for f in range(filters):
                                        columns[b, i0, i1, i2, k0, k1, k2, f] = 0
                                elif relu:
                                    for f in range(filters):
                                        passed = output[b, o0, o1, o2, f] > 0
                                        columns[b, i0, i1, i2, k0, k1, k2, f] = gradient[b, o0, o1, o2, f] * passed
                                else:
                                    for f in range(filters):
                                        columns[b, i0, i1, i2, k0, k1, k2, f] = gradient[b, o0, o1, o2, f]


@kernel
def add_filter_sums(gradient, output, relu, sums):
    """sums[f] += the sum of gradient[..., f] (rows (pixels, filters)) where, with `relu`, output[..., f] > 0."""
    for p in range(gradient.shape[0]):
        for f in range(gradient.shape[1]):
            if not relu or output[p, f] > 0:
                sums[f] += gradient[p, f]
