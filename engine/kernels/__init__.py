"""Compiled loops for the engine's hot paths: one pass over memory where NumPy would make several.

NumPy runs one elementwise operation per call, each a full pass over its arrays; a training step's
memory-bound work (max pooling with its winners, an LSTM step's gates, an optimizer's update) then costs a
pass per operation. The kernels in this package are plain Python loops over NumPy arrays, compiled to
machine code by Numba on first use and cached on disk. They release the GIL, so `_over_batch`
(engine/ops/windows.py) runs them on slices of the batch in parallel threads. Matrix products stay with
NumPy's BLAS.

`@kernel` compiles lazily: importing the engine does not import Numba (half a second) until a kernel is
first called. A kernel's body may use NumPy and `math`, and call other kernels by their module-level names
(compiled along with it and inlined by LLVM). Numba's disk cache does not follow such calls: after
changing a called kernel, delete the `__pycache__/*.nbi` of the kernels that call it.
"""

from __future__ import annotations

import functools
import threading
import types

__all__ = ["kernel"]

_lock = threading.RLock()  # a kernel compiles the kernels it calls while holding it


def _with_kernels_compiled(fn):
    """`fn` with the kernels it calls by global name bound to their compiled forms (Numba cannot call the
    lazy wrappers)."""
    called = {name: fn.__globals__[name].compiled() for name in fn.__code__.co_names
              if getattr(fn.__globals__.get(name), "is_kernel", False)}
    if not called:
        return fn
    bound = types.FunctionType(fn.__code__, {**fn.__globals__, **called}, fn.__name__, fn.__defaults__,
                               fn.__closure__)
    return functools.update_wrapper(bound, fn)


def _compile(fn):
    import numba

    fn = _with_kernels_compiled(fn)
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
    call.is_kernel = True
    return call
