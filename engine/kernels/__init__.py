"""Compiled loops for the engine's hot paths: one pass over memory where NumPy would make several.

NumPy runs one elementwise operation per call, each a full pass over its arrays; a training step's
memory-bound work (max pooling with its winners, an LSTM step's gates, an optimizer's update) then costs a
pass per operation. The kernels in this package are plain Python loops over NumPy arrays, compiled to
machine code by Numba on first use and cached on disk. They release the GIL, so `_over_batch`
(engine/ops/windows.py) runs them on slices of the batch in parallel threads. Matrix products stay with
NumPy's BLAS.

`@kernel` compiles lazily: importing the engine does not import Numba (half a second) until a kernel is
first called. A kernel's body may use NumPy and `math`, and call other kernels through `.compiled`.
"""

from __future__ import annotations

import functools
import threading

__all__ = ["kernel"]

_lock = threading.Lock()


def _compile(fn):
    import numba

    try:
        return numba.njit(cache=True, nogil=True, error_model="numpy")(fn)
    except RuntimeError:  # no place to keep the cache (a read-only install): compile at every start instead
        return numba.njit(nogil=True, error_model="numpy")(fn)


def kernel(fn):
    """`fn` compiled by Numba (nopython, no GIL, cached on disk) the first time it is called.

    The compiled function is `wrapper.compiled()`; floats keep IEEE semantics (no fastmath), and a division
    by zero gives inf or NaN as in NumPy instead of raising.
    """
    compiled = []

    def compile_once():
        if not compiled:
            with _lock:
                if not compiled:
                    compiled.append(_compile(fn))
        return compiled[0]

    @functools.wraps(fn)
    def call(*args):
        return (compiled[0] if compiled else compile_once())(*args)

    call.compiled = compile_once
    return call
