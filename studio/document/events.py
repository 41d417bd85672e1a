"""A tiny observer: the document announces changes; views subscribe. No Qt here on purpose."""

from __future__ import annotations

from collections.abc import Callable


class Event:
    """A list of callbacks called in connection order with the arguments of `emit`."""

    def __init__(self) -> None:
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> None:
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def disconnect(self, callback: Callable) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)
