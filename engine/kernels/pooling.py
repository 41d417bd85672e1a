"""Max and average pooling, forward and backward, each one pass over memory.

The arrays are seen as (batch, pixels, channels): the spatial axes of the (padded) input and of the output
are flattened, so one kernel serves every spatial rank. `starts[p]` is the input pixel where output position
p's window begins and `taps[k]` the distance of window position k from it (`_Windows.pixel_offsets`,
engine/ops/windows.py). The channels are the innermost loop: contiguous, so the compiler vectorizes it.
"""

from __future__ import annotations

from engine.kernels import kernel


@kernel
def max_pool_forward(x, starts, taps, out, winner):
    """out[b, p] = the maximum of x over window p; winner[b, p] = its window position (the first of equal
    maxima, as TF/Torch), unless winner is empty. A NaN in a window gives NaN, as np.maximum does."""
    record = winner.size > 0
    channels = x.shape[2]
    for b in range(x.shape[0]):
        for p in range(starts.size):
            first = starts[p] + taps[0]
            for c in range(channels):
                out[b, p, c] = x[b, first, c]
                if record:
                    winner[b, p, c] = 0
            for k in range(1, taps.size):
                pixel = starts[p] + taps[k]
                if record:
                    for c in range(channels):
                        value, best = x[b, pixel, c], out[b, p, c]
                        larger = value > best or (value != value and best == best)
                        out[b, p, c] = value if larger else best  # selects, not branches: this vectorizes
                        winner[b, p, c] = k if larger else winner[b, p, c]
                else:
                    for c in range(channels):
                        value, best = x[b, pixel, c], out[b, p, c]
                        out[b, p, c] = value if value > best or value != value else best


@kernel
def max_pool_backward(g, winner, starts, taps, out, relu_masked, overwrite, dx):
    """dx = the gradient g of each window's output sent to its winner (zero elsewhere).

    With `relu_masked`, g is first zeroed where the pooled value `out` is not positive (a relu's derivative).
    With `overwrite` the windows tile dx exactly and every element is written; otherwise dx must start at zero
    and the gradients are added (overlapping windows can share a winner).
    """
    channels = g.shape[2]
    for b in range(g.shape[0]):
        for p in range(starts.size):
            if overwrite:
                for k in range(taps.size):
                    pixel = starts[p] + taps[k]
                    for c in range(channels):
                        keep = winner[b, p, c] == k and (not relu_masked or out[b, p, c] > 0)
                        dx[b, pixel, c] = g[b, p, c] if keep else 0
            else:
                for c in range(channels):
                    if not relu_masked or out[b, p, c] > 0:
                        dx[b, starts[p] + taps[winner[b, p, c]], c] += g[b, p, c]


@kernel
def average_pool_forward(x, starts, taps, scale, out):
    """out[b, p] = the sum of x over window p times scale[p] (1 / the number of real cells in it)."""
    channels = x.shape[2]
    for b in range(x.shape[0]):
        for p in range(starts.size):
            first = starts[p] + taps[0]
            for c in range(channels):
                out[b, p, c] = x[b, first, c]
            for k in range(1, taps.size):
                pixel = starts[p] + taps[k]
                for c in range(channels):
                    out[b, p, c] += x[b, pixel, c]
            for c in range(channels):
                out[b, p, c] *= scale[p]


@kernel
def average_pool_backward(g, starts, taps, scale, overwrite, dx):
    """dx = each window's output gradient g times scale[p], spread over its cells; as max_pool_backward,
    `overwrite` when the windows tile dx exactly, otherwise added to a dx that starts at zero."""
    channels = g.shape[2]
    for b in range(g.shape[0]):
        for p in range(starts.size):
            for k in range(taps.size):
                pixel = starts[p] + taps[k]
                for c in range(channels):
                    if overwrite:
                        dx[b, pixel, c] = g[b, p, c] * scale[p]
                    else:
                        dx[b, pixel, c] += g[b, p, c] * scale[p]
