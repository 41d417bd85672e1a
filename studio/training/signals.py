"""`emit`: Signal.emit that survives PySide6 6.12.0, whose `emit` returns `True` without owning a reference.

On Python 3.11 every such call takes one reference from `True`; after a few hundred emits Python aborts with
"bool_dealloc: deallocating True or False". A probe at import measures the loss, and `emit` gives the
reference back only where it is lost, so the code is right on fixed versions too. Training emits a signal
per batch, so it needs this; the real fix is a PySide6 other than 6.12.0.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    ping = Signal(object)


def _emit_loses_a_reference() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(4):
        probe.ping.emit(None)
    lost = before - sys.getrefcount(True)
    if lost > 0:  # give back what the probe took
        for _ in range(lost):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return lost >= 4


_COMPENSATE = _emit_loses_a_reference()


def emit(signal, *args) -> None:
    """`signal.emit(*args)`, returning to `True` the reference a buggy PySide6 takes."""
    result = signal.emit(*args)
    if _COMPENSATE and isinstance(result, bool):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
