"""Atomic writes: all or nothing, and the result is an ordinary readable file."""

import os
import stat

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
