"""Engine-wide settings that Keras leaves to its backends: how many CPU threads the engine may use.

`set_num_threads(n)` bounds both the engine's own batch-splitting threads and the BLAS library's threads
(through threadpoolctl, when installed), like `torch.set_num_threads`. The starting value follows
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS, else one thread per core (at most 8).
"""

from __future__ import annotations

import os

MAX_THREADS = 8


def _threads_from_environment() -> int:
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return min(int(value), MAX_THREADS)
    return min(os.cpu_count() or 1, MAX_THREADS)


_num_threads = _threads_from_environment()


def get_num_threads() -> int:
    """Threads the engine's kernels may use at once."""
    return _num_threads


def set_num_threads(count: int) -> None:
    """Let the engine use `count` CPU threads (1 to MAX_THREADS), for its own loops and for matrix products."""
    global _num_threads
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_THREADS:
        raise ValueError(f"The number of threads must be a whole number from 1 to {MAX_THREADS}, not {count!r}.")
    _num_threads = count
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it only the engine's own threads follow
        return
    threadpool_limits(limits=count, user_api="blas")
