"""The streaming split of a data file's array: blocks and a mapped file give the same pieces."""

from __future__ import annotations

import json
import mmap
from pathlib import Path
from typing import Any

import pytest

from tweetgen.sources import jsfile
from tweetgen.sources.archive_tree import FolderTree
from tweetgen.sources.jsfile import Buffer, NotStreamable, array_pieces
from tweetgen.sources.safezip import ZipLimits


def elements(count: int) -> list[dict[str, Any]]:
    return [
        {"tweet": {"id_str": str(i), "full_text": "}, {" * (i % 3) + f"post {i}", "n": [i]}}
        for i in range(count)
    ]


def write_js(path: Path, items: list[Any], *, indent: int | None = 2, tail: str = "") -> Path:
    path.write_text("window.YTD.tweets.part0 = " + json.dumps(items, indent=indent) + tail)
    return path


def decode(data: Buffer) -> list[Any]:
    try:
        value = json.loads(bytes(data))
    except json.JSONDecodeError as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(value, list):
        raise NotStreamable("not an array")
    return value


def blocks_of(path: Path, size: int) -> list[bytes]:
    data = path.read_bytes()
    return [data[i : i + size] for i in range(0, len(data), size)]


def mapped_pieces(path: Path) -> list[list[Any]]:
    tree = FolderTree(path.parent, ZipLimits())
    with tree.contents(path.name) as data:
        assert isinstance(data, mmap.mmap)
        return list(array_pieces(data, decode))


@pytest.mark.parametrize("tail", ["", ";", " ;\n", "\n\n"])
@pytest.mark.parametrize("indent", [2, None])
def test_mapped_and_streamed_files_give_the_same_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: str, indent: int | None
) -> None:
    monkeypatch.setattr(jsfile, "PIECE_BYTES", 700)
    items = elements(60)
    path = write_js(tmp_path / "tweets.js", items, indent=indent, tail=tail)
    mapped = mapped_pieces(path)
    for size in (1, 97, 4096, 1 << 20):
        assert list(array_pieces(blocks_of(path, size), decode)) == mapped
    assert [x for piece in mapped for x in piece] == items
    assert len(mapped) > (5 if indent else 0)  # really split (one line: one piece)


def test_reading_a_mapped_file_leaves_it_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader writes brackets into its mapping; the mapping is private, the file stays."""
    monkeypatch.setattr(jsfile, "PIECE_BYTES", 700)
    path = write_js(tmp_path / "tweets.js", elements(60))
    before = path.read_bytes()
    assert len(mapped_pieces(path)) > 5
    assert path.read_bytes() == before


def test_a_changed_file_is_noticed(tmp_path: Path) -> None:
    """Guard: the comparison above sees a change of one byte made through a shared mapping."""
    path = write_js(tmp_path / "tweets.js", elements(3))
    before = path.read_bytes()
    with path.open("r+b") as handle, mmap.mmap(handle.fileno(), 0) as shared:
        shared[-2] = ord(" ")  # the line break before the closing ']'
    assert path.read_bytes() != before


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("window.YTD.tweets.part0 = [1, 2", "does not end"),
        ("var x = [1]", "prefix"),
        ("window.YTD.tweets.part0 = {}", "prefix"),
        ("window.YTD.tweets.part0 = [1, 2] x", "does not end"),
    ],
)
def test_unstreamable_files_are_declined_both_ways(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "tweets.js"
    path.write_text(text)
    with pytest.raises(NotStreamable, match=problem):
        mapped_pieces(path)
    with pytest.raises(NotStreamable, match=problem):
        list(array_pieces(blocks_of(path, 3), decode))


def test_an_empty_file_is_streamed_not_mapped(tmp_path: Path) -> None:
    (tmp_path / "tweets.js").write_bytes(b"")
    with FolderTree(tmp_path, ZipLimits()).contents("tweets.js") as data:
        assert not isinstance(data, mmap.mmap)
        with pytest.raises(NotStreamable):
            list(array_pieces(data, decode))
