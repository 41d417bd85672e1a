"""Windows over the spatial axes of (batch, *spatial, channels) arrays, shared by convolution and pooling.

`_Windows` says where each kernel (or pool) position reads; `_im2col` gathers every window into one matrix
(one strided copy per sample slice), `_col2im` adds such a matrix back where it was read from (a compiled
pass, engine/kernels/windows.py). The work runs over slices of the batch in a few threads (`_over_batch`:
NumPy and the compiled kernels release the GIL), a few samples at a time where a product is made from or
into the columns (`_in_chunks`), and the large arrays are reused from the previous training step
(engine/ops/scratch.py).
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from engine import config
from engine.kernels.windows import add_columns
from engine.ops.scratch import take


def same_padding(size: int, window: int, stride: int) -> tuple[int, int]:
    """Keras/TF "same" padding (before, after) of one axis: output ceil(size/stride), extra pixel after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


# -- intra-op threads --------------------------------------------------------------------------

_MIN_ELEMENTS_PER_THREAD = 1 << 18  # below this a thread costs more than it saves
_executor: ThreadPoolExecutor | None = None
_executor_workers = 0
_executor_lock = threading.Lock()


def _forget_executor() -> None:
    """A forked child has none of the parent's threads: it must start its own pool."""
    global _executor, _executor_lock
    _executor, _executor_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_executor)


def _over_batch(fn, batch: int, elements: int) -> list:
    """fn(batch_slice) over slices of the batch axis, in parallel threads when there is enough work; the
    results in batch order.

    NumPy and the compiled kernels (engine/kernels) release the GIL, so the slices really run at once.
    """
    threads = config.get_num_threads()
    n = max(1, min(threads, batch, elements // _MIN_ELEMENTS_PER_THREAD))
    if n == 1:
        return [fn(slice(None))]
    global _executor, _executor_workers
    with _executor_lock:
        if _executor is None or _executor_workers != threads - 1:  # the thread count changed: a new pool
            if _executor is not None:
                _executor.shutdown(wait=False)
            _executor, _executor_workers = ThreadPoolExecutor(threads - 1, thread_name_prefix="engine-ops"), threads - 1
    bounds = [batch * i // n for i in range(n + 1)]
    futures = [_executor.submit(fn, slice(lo, hi)) for lo, hi in zip(bounds[1:-1], bounds[2:])]
    return [fn(slice(bounds[0], bounds[1]))] + [future.result() for future in futures]


_CHUNK_ELEMENTS = 1 << 18  # a few samples at a time: what a step makes and uses again while it is in cache
_IM2COL_CHUNK = 1 << 19  # columns and the product made from them: fewer Python calls per sample pay more than L2


def _in_chunks(fn, batch: int, per_sample: int, chunk_elements: int = _CHUNK_ELEMENTS) -> None:
    """fn(lo, hi) over runs of a few samples lo..hi-1 (about `chunk_elements` / `per_sample` of them), in
    threads that each take a slice of the batch.

    The matrix products inside run in their own thread only: one pool of threads splitting the batch scales
    better than a BLAS's threads inside each product, which wait for each other (and spin) at every product
    and stall whenever a busy machine preempts one of them.
    """
    chunk = max(1, chunk_elements // max(per_sample, 1))

    def run(b):
        start, stop, _ = b.indices(batch)
        for lo in range(start, stop, chunk):
            fn(lo, min(lo + chunk, stop))

    with config.blas_single_threaded():
        _over_batch(run, batch, batch * per_sample)


# -- window geometry, im2col and col2im ------------------------------------------------------

@dataclass(frozen=True)
class _Windows:
    """Where the windows sit in a (padded) array of shape (batch, *spatial, channels)."""

    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilation: tuple[int, ...]
    out: tuple[int, ...]

    def offsets(self):
        return itertools.product(*(range(k) for k in self.kernel))

    def slices(self, offset, batch: slice = slice(None)) -> tuple[slice, ...]:
        """The input elements that kernel position `offset` sees, for every output position."""
        return (batch,) + tuple(slice(o * d, o * d + (n - 1) * s + 1, s)
                                for o, d, n, s in zip(offset, self.dilation, self.out, self.strides))

    def pixel_offsets(self, padded_sizes) -> tuple[np.ndarray, np.ndarray]:
        """(starts, taps) over the flattened spatial axes of the padded input (row-major): the pixel where each
        output position's window starts, and each kernel offset's distance from it, in `offsets()` order."""
        pitches = [math.prod(padded_sizes[i + 1:]) for i in range(len(padded_sizes))]
        starts, taps = np.zeros((), np.int64), np.zeros((), np.int64)
        for n, s, k, d, pitch in zip(self.out, self.strides, self.kernel, self.dilation, pitches):
            starts = np.add.outer(starts, np.arange(n, dtype=np.int64) * (s * pitch))
            taps = np.add.outer(taps, np.arange(k, dtype=np.int64) * (d * pitch))
        return starts.ravel(), taps.ravel()

    def tile(self, padded_sizes) -> bool:
        """Whether the windows cover the padded input exactly once (each input element in one window)."""
        return all(s == k and n * s == size for s, k, n, size in zip(self.strides, self.kernel, self.out,
                                                                      padded_sizes))


def _window_layout(op: str, in_sizes, kernel, strides, dilation, padding: str, shapes: str):
    """(_Windows, pads) for windows of `kernel` over spatial sizes `in_sizes`; errors name the op and shapes."""
    outs, pads = [], []
    for size, k, s, d in zip(in_sizes, kernel, strides, dilation):
        span = (k - 1) * d + 1
        if padding == "same":
            pads.append(same_padding(size, span, s))
            outs.append(-(-size // s))
        else:
            pads.append((0, 0))
            outs.append((size - span) // s + 1 if size >= span else 0)
    if any(n <= 0 for n in outs):
        what = (f"pool {tuple(kernel)}" if op.endswith("pool")
                else f"kernel {tuple(kernel)} (dilation_rate={tuple(dilation)})")
        raise ValueError(f"{op}: the {what} is larger than the "
                         f"input's spatial shape {tuple(in_sizes)} with padding='valid', so the output would be "
                         f"empty. Received {shapes}, strides={tuple(strides)}.")
    return _Windows(tuple(kernel), tuple(strides), tuple(dilation), tuple(outs)), pads


def _pad(a: np.ndarray, pads, fill=0.0) -> np.ndarray:
    """`a` (batch, *spatial, channels) padded on its spatial axes with `fill` (no copy when nothing to pad)."""
    if not any(lo or hi for lo, hi in pads):
        return a
    shape = (a.shape[0], *(n + lo + hi for n, (lo, hi) in zip(a.shape[1:-1], pads)), a.shape[-1])
    out = take("pad", shape, a.dtype)
    out.fill(fill)
    out[_inner(a.shape, pads)] = a
    return out


def _inner(shape, pads) -> tuple[slice, ...]:
    return (slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(shape[1:-1], pads))


def _im2col(xp: np.ndarray, w: _Windows, ones_column: bool = False, then=None, then_width: int = 0) -> np.ndarray:
    """Columns (batch * prod(out), kernel_volume * channels): the window of every output position, in one
    copy; with `ones_column` a last column of ones lets the GEMM add the bias.

    With `then`, each few samples' columns are handed to then(lo, hi, block) (block: rows lo..hi-1) as soon
    as they are made, while they are in cache (see `_in_chunks`); `then_width` is the width of the rows that
    `then` makes from them, so that both fit in the cache.
    """
    rank, batch, channels = len(w.kernel), xp.shape[0], xp.shape[-1]
    width = math.prod(w.kernel) * channels
    rows = math.prod(w.out)
    matrix = take("im2col", (batch * rows, width + ones_column), xp.dtype)
    if ones_column:
        matrix[:, width] = 1
    cols = matrix[:, :width].reshape(batch, *w.out, *w.kernel, channels)  # a view: axes are only split
    if channels == 1:  # one channel: a copy per kernel offset is fastest

        def fill(b):
            for offset in w.offsets():
                cols[(b,) + (slice(None),) * rank + offset] = xp[w.slices(offset, b)]
    else:
        spans = tuple((k - 1) * d + 1 for k, d in zip(w.kernel, w.dilation))
        view = sliding_window_view(xp, spans, axis=tuple(range(1, rank + 1)))  # (batch, *positions, C, *spans)
        index = (tuple(slice(0, (n - 1) * s + 1, s) for n, s in zip(w.out, w.strides))
                 + (slice(None),) + tuple(slice(None, None, d) for d in w.dilation))
        channels_last = (0, *range(1, rank + 1), *range(rank + 2, 2 * rank + 2), rank + 1)

        def fill(b):
            np.copyto(cols[b], view[(b,) + index].transpose(channels_last))

    if then is None:
        _over_batch(fill, batch, matrix.size)
    else:

        def fill_then(lo, hi):
            fill(slice(lo, hi))
            then(lo * rows, hi * rows, matrix[lo * rows:hi * rows])

        _in_chunks(fill_then, batch, rows * (matrix.shape[1] + then_width), _IM2COL_CHUNK)
    return matrix


def _col2im(columns, w: _Windows, padded_shape, dtype) -> np.ndarray:
    """The adjoint of `_im2col`: each window's columns added back where they were read from.

    `columns(lo, hi)` gives rows lo..hi-1 of the columns (batch * prod(out), kernel_volume * channels), laid out
    as im2col makes them; it is asked for a few samples at a time, so that a GEMM can make them just before
    they are added back (one compiled pass, engine/kernels/windows.py), while they are still in cache.
    """
    batch, channels = padded_shape[0], padded_shape[-1]
    out = take("col2im", padded_shape, dtype)
    out3 = out.reshape(batch, -1, channels)
    starts, taps = w.pixel_offsets(padded_shape[1:-1])
    rows = len(starts)

    def add(lo, hi):
        out3[lo:hi].fill(0)
        add_columns(columns(lo * rows, hi * rows).reshape(hi - lo, rows, -1), starts, taps, out3[lo:hi])

    _in_chunks(add, batch, rows * len(taps) * channels)
    return out
