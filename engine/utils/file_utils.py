"""Writing files so that a crash or an error never leaves half a file: write beside it, then rename."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterator


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path) -> Iterator[str]:
    """A temporary path beside `path` to write to; when the block succeeds it replaces `path` (with the
    permissions of an ordinary new file) and stale temporaries of killed earlier saves are removed; when it
    fails it is removed and `path` is left as it was."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot write {path}: the folder {directory} does not exist.")
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    os.close(handle)
    try:
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes private files
        os.replace(temporary, path)
        remove_stale_temporaries(path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


STALE_AFTER = 60.0  # seconds untouched before another save's temporary file counts as left by a killed save


def remove_stale_temporaries(path) -> list[str]:
    """Delete the hidden temporary files (`.name.XXXXXXXX.tmp`) that earlier saves of `path` left when they were
    killed before their rename; one still being written (touched within STALE_AFTER) is left alone. Returns
    the paths removed."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(rf"\.{re.escape(os.path.basename(path))}\.[a-z0-9_]{{8}}\.tmp")
    removed, now = [], time.time()
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            if not pattern.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > STALE_AFTER:
                    os.unlink(entry.path)
                    removed.append(entry.path)
    return removed


@contextlib.contextmanager
def atomic_write(path, mode: str = "w", **open_kwargs) -> Iterator:
    """`open(path, mode)` that replaces `path` only once everything is written."""
    with atomic_path(path) as temporary, open(temporary, mode, **open_kwargs) as file:
        yield file
