"""Atomic writes: all or nothing, and the result is an ordinary readable file."""

import os
import stat
import time

import pytest

from engine.utils.file_utils import atomic_write


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "model.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as file:
        file.write("half")
        raise RuntimeError("crash mid-save")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["model.txt"]


def test_a_written_file_has_ordinary_permissions(tmp_path):
    target = tmp_path / "model.bin"
    with atomic_write(target, "wb") as file:
        file.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"), atomic_write(tmp_path / "no" / "x.txt"):
        pass


def test_the_next_save_removes_temporaries_of_killed_saves_and_only_those(tmp_path):
    target = tmp_path / "model.lsproj"
    old = time.time() - 3600
    stale = [tmp_path / ".model.lsproj.k3x_9a2b.tmp", tmp_path / ".model.lsproj.00000000.tmp"]
    young = tmp_path / ".model.lsproj.abcdefgh.tmp"  # another save, still writing
    others = [tmp_path / ".other.lsproj.k3x_9a2b.tmp", tmp_path / ".model.lsproj.notes.tmp",
              tmp_path / "model.lsproj.k3x_9a2b.tmp"]
    for path in stale + others + [young]:
        path.write_text("half a project")
        os.utime(path, (old, old) if path != young else None)
    with atomic_write(target) as file:
        file.write("{}")
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in others + [young, target])
