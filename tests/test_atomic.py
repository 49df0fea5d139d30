from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tweetgen.base.atomic import atomic_dir, atomic_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_file_replaces_and_uses_the_usual_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with atomic_file(target) as handle:
        handle.write("new")
    assert target.read_text() == "new"
    umask = os.umask(0)
    os.umask(umask)
    assert mode(target) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_file_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write("half")
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
    with atomic_dir(target, replaceable=lambda p: (p / "f").is_file()) as tmp:
        (tmp / "g").write_text("y")
    assert sorted(p.name for p in target.iterdir()) == ["g"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    umask = os.umask(0)
    os.umask(umask)
    assert mode(target) == 0o777 & ~umask


def test_atomic_dir_never_replaces_what_it_did_not_write(tmp_path: Path) -> None:
    """``--out`` pointing at a user's file or folder must fail, not delete it."""
    from tweetgen.errors import TweetgenError

    notes = tmp_path / "important"
    notes.mkdir()
    (notes / "notes.txt").write_text("keep me")
    with pytest.raises(TweetgenError, match="not an earlier output"), atomic_dir(notes):
        pass
    a_file = tmp_path / "posts.jsonl"
    a_file.write_text("{}")
    with pytest.raises(TweetgenError, match="not a directory"), atomic_dir(a_file):
        pass
    assert (notes / "notes.txt").read_text() == "keep me" and a_file.read_text() == "{}"

    def mine(p: Path) -> bool:
        return (p / "marker").is_file()

    (notes / "marker").write_text("")
    with atomic_dir(notes, replaceable=mine) as tmp:
        (tmp / "new").write_text("x")
    assert sorted(p.name for p in notes.iterdir()) == ["new"]


def test_atomic_dir_accepts_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    with atomic_dir(".") as tmp:
        (tmp / "f").write_text("x")
    assert (tmp_path / "empty" / "f").is_file()
