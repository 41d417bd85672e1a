"""Safe mode: whether deserialization may load Python code (a `Lambda` layer's marshalled lambda).

It is on unless the caller turns it off for one load (`load_model(..., safe_mode=False)`, `SafeModeScope(False)`)
or for the session (`enable_unsafe_deserialization()`), as in Keras. Turning it off runs code from the file:
only for files the user trusts.
"""

from __future__ import annotations

import threading

_state = threading.local()
_unsafe_session = False

LAMBDA_REFUSED = ("Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. This "
                  "carries a potential risk of arbitrary code execution and thus it is disallowed by default. If you "
                  "trust the source of the artifact, you can override this error by passing `safe_mode=False` to "
                  "the loading function, or calling `keras.config.enable_unsafe_deserialization().")


def in_safe_mode() -> bool:
    """True unless a `SafeModeScope(False)` is active or unsafe deserialization was enabled for the session."""
    scoped = getattr(_state, "safe_mode", None)
    if scoped is not None:
        return scoped
    return not _unsafe_session


def enable_unsafe_deserialization() -> None:
    """Allow lambdas in loaded files for the rest of the session (Keras's `keras.config` function)."""
    global _unsafe_session
    _unsafe_session = True


class SafeModeScope:
    """`with SafeModeScope(False):` loads inside may deserialize lambdas; `None` keeps the surrounding mode."""

    def __init__(self, safe_mode: bool | None = True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self._previous = getattr(_state, "safe_mode", None)
        if self.safe_mode is not None:
            _state.safe_mode = bool(self.safe_mode)
        return self

    def __exit__(self, *exc) -> None:
        _state.safe_mode = self._previous
