"""A guard against PySide6 6.12.0, whose `SignalInstance.emit` and `.disconnect` return a bool without
owning a reference to it.

On Python 3.11 every such call takes one reference from `True` or `False`; after a few hundred signals
(pyqtgraph emits many, training one per batch) Python aborts with "bool_dealloc: deallocating True or
False". `install()` probes both methods once and, only where a reference is lost, wraps them to give it
back; on a fixed PySide6 it changes nothing. It runs when this module is imported. The real fix is a
PySide6 other than 6.12.0.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal, SignalInstance

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    ping = Signal(object)


def _loses_references(call) -> bool:
    """True when `call()` (returning a bool) takes a reference it does not own; the references are given back."""
    before = (sys.getrefcount(True), sys.getrefcount(False))
    for _ in range(8):
        call()  # the result is dropped at once: a reference it did not own goes with it
    after = (sys.getrefcount(True), sys.getrefcount(False))
    lost = False
    for value, b, a in ((True, before[0], after[0]), (False, before[1], after[1])):
        for _ in range(max(0, b - a)):
            _incref(value)
        lost = lost or b - a >= 8
    return lost


def _wrap(name: str) -> None:
    original = getattr(SignalInstance, name)

    def wrapper(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if isinstance(result, bool):
            _incref(result)
        return result

    wrapper.__name__ = name
    wrapper.__doc__ = original.__doc__
    setattr(SignalInstance, name, wrapper)


def install() -> list[str]:
    """Wrap the methods that lose a reference; returns their names (empty on a sound PySide6)."""
    if getattr(SignalInstance, "_layerstudio_guarded", False):
        return []
    probe = _Probe()
    handler = lambda *_: None  # noqa: E731
    probe.ping.connect(handler)
    leaking = []
    if _loses_references(lambda: probe.ping.emit(None)):
        leaking.append("emit")
    if _loses_references(lambda: probe.ping.connect(_never_called) and probe.ping.disconnect(_never_called)):
        leaking.append("disconnect")
    probe.ping.disconnect(handler)
    for name in leaking:
        _wrap(name)
    SignalInstance._layerstudio_guarded = True
    return leaking


def _never_called(*_) -> None:
    pass


def emit(signal, *args) -> None:
    """`signal.emit(*args)` (kept as one place to change should another PySide6 need a different guard)."""
    signal.emit(*args)


GUARDED = install()
