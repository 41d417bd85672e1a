"""A guard against a reference-count bug in some PySide6 builds on Python < 3.12.

PySide6 6.12.0 on Python 3.11 drops one reference to `None` on every call of a C++ method that returns
`void` (`painter.setPen(...)`, `item.setPos(...)`...). `None` starts with a few thousand references, so
after a few thousand such calls Python aborts with "none_dealloc: deallocating None". Python 3.12 made
`None` immortal, which is why the bug shows only on older Pythons. When (and only when) the bug is
detected, `protect_none()` gives `None` a reference count so large that the lost references can never
bring it to zero — in effect what Python 3.12 does for every build.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 60
_applied = False


def none_refcount_leaks() -> bool:
    """True when calling a void Qt method loses references to None."""
    from PySide6.QtGui import QColor

    color = QColor(0, 0, 0)
    before = sys.getrefcount(None)
    for _ in range(64):
        color.setAlpha(1)
    return sys.getrefcount(None) < before - 32


def protect_none() -> bool:
    """Apply the guard if this PySide6 build needs it; returns True when it was applied (once)."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return _applied
    if none_refcount_leaks():
        # ob_refcnt is the first field of every CPython object header
        ctypes.c_ssize_t.from_address(id(None)).value += _HEADROOM
        _applied = True
    return _applied
