"""How the fused recurrent ops (engine/ops/rnn.py) use the engine's threads: each step loop over slices of
the batch, one loop per thread, or in one thread, whichever has lately been faster (`_over_steps`); and the
products over all timesteps with their columns shared out (`_over_all_steps`). Every thread's matrix
products run in that thread alone: a step's products are too small to share out, and waiting for BLAS
threads at every product is what a busy machine punishes (50 LSTM-sized steps, 2 cores at load ~12:
56 ms in one thread, 2,400 ms with 2 BLAS threads). Both ways give the same bits.
"""

from __future__ import annotations

import time

import numpy as np

from engine import config
from engine.ops import windows
from engine.ops.windows import _over_batch

_MIN_STEP_ELEMENTS_PER_THREAD = 1 << 13  # below this a thread's share of a step costs less than its Python
_PROBE_EVERY = 16  # calls of a loop between two tries of the way that has been slower
_RECENT = 0.3  # weight of the newest time in a way's running average


class _ThreadChoice:
    """For one step loop: split over threads or in one, by the recent time per value computed of each way.

    Every thread runs its own Python loop and Python runs one thread at a time, so each step hands Python
    from thread to thread several times. The split halves each thread's products and kernels, but every
    hand-over can wait for the scheduler, and on a busy machine it loses (LSTM 64, batch 128, 2 cores at
    load 1.7: one thread 3.4 ns per value forward and 2.9 backward, split 5.2 and 4.3). The slower way is
    tried again every few calls, so the choice follows the machine's load. The first run of each way only
    warms it up (a new thread, cold caches) and is not counted.
    """

    def __init__(self):
        self.cost: dict[int, float] = {}
        self.warm: set[int] = set()
        self.calls = 0

    def threads(self, candidates: int) -> int:
        """How many threads the next call uses: 1 or `candidates`."""
        self.calls += 1
        if candidates not in self.cost:
            return candidates
        if 1 not in self.cost:
            return 1
        best, other = (1, candidates) if self.cost[1] <= self.cost[candidates] else (candidates, 1)
        return other if self.calls % _PROBE_EVERY == 0 else best

    def record(self, threads: int, seconds_per_value: float) -> None:
        if threads not in self.warm:
            self.warm.add(threads)
            return
        old = self.cost.get(threads)
        self.cost[threads] = seconds_per_value if old is None else (1 - _RECENT) * old + _RECENT * seconds_per_value


_choices: dict[str, _ThreadChoice] = {}


def _over_steps(run, batch: int, step_elements: int, steps: int) -> None:
    """`run(part)`, a whole loop over the `steps` timesteps for the batch columns `part`: over slices of the
    batch in parallel threads or in one thread (`_ThreadChoice`, kept per loop, named by `run`). Steps too
    small for each thread's share (`step_elements`: the values a step computes for the whole batch) to pay
    for its Python always run in one thread."""
    threads = min(config.get_num_threads(), step_elements // _MIN_STEP_ELEMENTS_PER_THREAD)
    choice = None
    if threads >= 2:
        choice = _choices.setdefault(run.__qualname__, _ThreadChoice())
        threads = choice.threads(threads)
    start = time.perf_counter()
    if threads < 2:
        with config.blas_single_threaded():
            run(slice(None))
    else:
        _in_threads(run, batch, threads * windows._MIN_ELEMENTS_PER_THREAD)
    if choice is not None:
        choice.record(threads, (time.perf_counter() - start) / max(step_elements * steps, 1))


def _over_all_steps(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The sum over every timestep and sample of the outer products of `left` (rows, time, batch) and `right`
    (columns, time, batch): one product (rows, columns), shared out over the threads by columns. OpenBLAS
    runs it 6-13% faster as right @ left.T, the larger matrix on the left (the LSTM benchmark's kernels)."""
    left2 = left.reshape(left.shape[0], -1)
    right2 = right.reshape(right.shape[0], -1)
    out = np.empty((right2.shape[0], left2.shape[0]), np.result_type(left2, right2))

    def columns(part: slice) -> None:
        np.matmul(right2[part], left2.T, out=out[part])

    _in_threads(columns, right2.shape[0], right2.size)
    return np.ascontiguousarray(out.T)


def _in_threads(run, count: int, elements: int) -> None:
    """`run(part)` over slices of `count` in parallel threads when there is enough work, each thread's matrix
    products in that thread alone."""
    with config.blas_single_threaded():
        _over_batch(run, count, elements)
