from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tweetgen.atomic import atomic_dir, atomic_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_file_replaces_and_uses_the_usual_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with atomic_file(target) as handle:
        handle.write("new")  # type: ignore[attr-defined]
    assert target.read_text() == "new"
    umask = os.umask(0)
    os.umask(umask)
    assert mode(target) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_file_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write("half")  # type: ignore[attr-defined]
        raise RuntimeError
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_dir_all_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "f").write_text("x")
        raise RuntimeError
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with atomic_dir(target) as tmp:
        (tmp / "f").write_text("x")
    with atomic_dir(target) as tmp:
        (tmp / "g").write_text("y")
    assert sorted(p.name for p in target.iterdir()) == ["g"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    umask = os.umask(0)
    os.umask(umask)
    assert mode(target) == 0o777 & ~umask
