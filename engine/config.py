"""Engine-wide settings that Keras leaves to its backends: how many CPU threads the engine may use.

`set_num_threads(n)` bounds both the engine's own batch-splitting threads and the BLAS library's threads
(through threadpoolctl, when installed), like `torch.set_num_threads`. The starting value follows
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS, else one thread per core (at most 8).
"""

from __future__ import annotations

import contextlib
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


_blas = []  # the BLAS libraries' threadpoolctl controller, made on first use (empty: none or no threadpoolctl)


def _blas_controller():
    if not _blas:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _blas.append(None)
        else:
            _blas.append(ThreadpoolController().select(user_api="blas"))
    return _blas[0]


@contextlib.contextmanager
def blas_single_threaded():
    """Within this block the BLAS library computes each matrix product in the calling thread alone.

    For loops of many small products, such as a recurrent layer's timesteps: a multi-threaded BLAS wakes
    its threads and waits for all of them at every product, and on a busy machine each wait can last until
    a preempted thread gets a core back (50 LSTM-sized steps, 2 cores at load ~12: 56 ms in one thread,
    2,400 ms with 2 BLAS threads). Without threadpoolctl this changes nothing.
    """
    controller = _blas_controller() if _num_threads > 1 else None
    if controller is None:
        yield
        return
    with controller.limit(limits=1):
        yield


# multiply-adds below which a matrix product runs in one BLAS thread (see `blas_threads_for`)
SMALL_PRODUCT = 1 << 22


def blas_threads_for(multiply_adds: int):
    """The context to run a matrix product of `multiply_adds` in: BLAS's own threads when it is large, the
    calling thread alone when it is small.

    On a small product BLAS's threads cost more than they save, and worse, OpenBLAS's idle threads keep
    spinning for a while after each product, taking a core from the engine's own batch-slice threads
    (a small CNN's last Dense made its convolutions 1.5x slower on 2 cores).
    """
    return blas_single_threaded() if multiply_adds < SMALL_PRODUCT else contextlib.nullcontext()
