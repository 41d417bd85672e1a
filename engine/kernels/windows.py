"""col2im: a matrix of window columns added back where each window read its input, in one pass.

The layout is `_im2col`'s (engine/ops/windows.py): columns (batch, positions, kernel_volume * channels), the
input (batch, pixels, channels) with its spatial axes flattened; `starts[p]` is the input pixel where output
position p's window begins and `taps[k]` the distance of kernel offset k from it (`_Windows.pixel_offsets`).
NumPy needs one strided slice-add per kernel offset, whose inner loops run over only `channels` elements.
"""

from __future__ import annotations

from engine.kernels import kernel


@kernel
def add_columns(columns, starts, taps, out):
    """out[b, starts[p] + taps[k], c] += columns[b, p, k * channels + c] for every b, p, k, c."""
    channels = out.shape[2]
    for b in range(columns.shape[0]):
        for p in range(starts.size):
            for k in range(taps.size):
                pixel = starts[p] + taps[k]
                first = k * channels
                for c in range(channels):
                    out[b, pixel, c] += columns[b, p, first + c]
