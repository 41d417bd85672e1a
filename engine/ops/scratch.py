"""Large arrays reused from one training step to the next instead of freshly allocated.

A fresh multi-megabyte array comes from the kernel as untouched pages, and the first write to each page
costs a page fault: on the small CNN benchmark that was a third of the step. `take(site, shape, dtype)`
hands back an array that an earlier call at the same site and shape allocated, but only when nothing else
refers to it any more (no tensor, view or caller: its reference count says so), so a reused array can never
be one that is still in use. Each (site, shape, dtype) keeps at most a few arrays, and only the most
recently used keys are kept (and at most 1 GiB in all), so the cache holds about one step's working set.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict

import numpy as np

__all__ = ["clear", "take"]

_PER_KEY = 4  # arrays kept per (site, shape, dtype): layers of the same shape share a key
_MAX_KEYS = 48
_MIN_BYTES = 1 << 16  # smaller arrays come from malloc's free lists anyway
_MAX_BYTES = 1 << 30  # beyond this much cached memory, new arrays are handed out without being kept

_cache: OrderedDict = OrderedDict()
_held = [0]  # bytes of the arrays in the cache
_lock = threading.Lock()
_UNUSED_REFS = 3  # references to a cached array nobody else holds: its list's, the loop variable's, getrefcount's


def take(site: str, shape: tuple, dtype, zero: bool = False) -> np.ndarray:
    """An array of `shape` and `dtype` (uninitialised unless `zero`), reused from an earlier step when free."""
    dtype = np.dtype(dtype)
    shape = tuple(int(n) for n in shape)
    if dtype.itemsize * int(np.prod(shape)) < _MIN_BYTES:
        return np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
    key = (site, shape, dtype.str)
    found = None
    with _lock:
        arrays = _cache.get(key)
        if arrays is None:
            arrays = _cache[key] = []
            while len(_cache) > _MAX_KEYS:
                _held[0] -= sum(a.nbytes for a in _cache.popitem(last=False)[1])
        else:
            _cache.move_to_end(key)
        for array in arrays:
            if sys.getrefcount(array) <= _UNUSED_REFS:
                found = array
                break
        if found is None:
            found = np.empty(shape, dtype)
            if len(arrays) < _PER_KEY and _held[0] + found.nbytes <= _MAX_BYTES:
                arrays.append(found)
                _held[0] += found.nbytes
    if zero:
        found.fill(0)
    return found


def clear() -> None:
    """Forget every cached array (their memory goes back once nothing else refers to them)."""
    with _lock:
        _cache.clear()
        _held[0] = 0
