"""The streaming split of a data file's array: blocks of any size give the same pieces."""

from __future__ import annotations

import json
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


def tree_pieces(path: Path) -> list[list[Any]]:
    """The pieces as the reader gets them: the file's blocks from its archive tree."""
    return list(array_pieces(FolderTree(path.parent, ZipLimits()).blocks(path.name), decode))


@pytest.mark.parametrize("tail", ["", ";", " ;\n", "\n\n"])
@pytest.mark.parametrize("indent", [2, None])
def test_blocks_of_any_size_give_the_same_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: str, indent: int | None
) -> None:
    monkeypatch.setattr(jsfile, "PIECE_BYTES", 700)
    items = elements(60)
    path = write_js(tmp_path / "tweets.js", items, indent=indent, tail=tail)
    read = tree_pieces(path)
    for size in (1, 97, 4096, 1 << 20):
        assert list(array_pieces(blocks_of(path, size), decode)) == read
    assert [x for piece in read for x in piece] == items
    assert len(read) > (5 if indent else 0)  # really split (one line: one piece)


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
        tree_pieces(path)
    with pytest.raises(NotStreamable, match=problem):
        list(array_pieces(blocks_of(path, 3), decode))


def test_an_empty_file_is_declined(tmp_path: Path) -> None:
    (tmp_path / "tweets.js").write_bytes(b"")
    with pytest.raises(NotStreamable):
        tree_pieces(tmp_path / "tweets.js")
