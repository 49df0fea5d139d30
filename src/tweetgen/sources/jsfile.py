"""Parse the ``window.YTD.tweets.part0 = [...]`` files of an X archive without evaluating them.

The files are JavaScript only in name: everything after the first ``=`` is JSON. The prefix is
checked against a strict pattern and the rest goes to :func:`json.loads`, so nothing in an
archive is ever executed.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from tweetgen.errors import InputFormatError

T = TypeVar("T")
#: What a piece decoder is handed: a view of the read buffer (or bytes for the last piece).
Buffer = bytes | memoryview
_ASSIGNMENT = re.compile(r"\A\s*window\.[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\s*=\s*")


def decode_utf8(data: bytes, label: str) -> str:
    """Strict UTF-8 (a BOM is allowed): a clear error instead of mojibake in the corpus."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFormatError(
            f"not valid UTF-8 (byte {exc.start:,}, line {line}: {exc.reason})", path=label
        ) from None


def parse_json_text(text: str, label: str, *, line_offset: int = 0) -> Any:
    """``json.loads`` with errors that name the file, line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFormatError(
            f"malformed JSON at line {exc.lineno + line_offset}, column {exc.colno}: {exc.msg}",
            path=label,
        ) from None
    except RecursionError:
        depth, entry, line = deepest(text)
        inside = f"entry #{entry}, " if entry else ""
        raise InputFormatError(
            f"JSON nested too deeply ({depth:,} levels, {inside}line {line + line_offset}; "
            f"at most about {sys.getrecursionlimit():,} can be read)",
            path=label,
        ) from None


#: A JSON string (skipped whole: brackets inside it are text), or a bracket.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[{\]}]')


def deepest(text: str) -> tuple[int, int, int]:
    """Where JSON text nests deepest: ``(levels, entry, line)``; the entry is counted among
    the items of a top-level list (0 when the text is no list), the line from 1. For the error
    message only: one pass over every string and bracket."""
    depth = best = entry = best_entry = where = 0
    top_list = text.lstrip().startswith("[")
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            entry += top_list and depth == 2
            if depth > best:
                best, best_entry, where = depth, entry, match.start()
        elif token in "]}":
            depth -= 1
    return best, best_entry, text.count("\n", 0, where) + 1


def parse_js(data: bytes, label: str) -> Any:
    """The JSON value assigned in an archive data file (bare JSON is accepted too)."""
    text = decode_utf8(data, label)
    match = _ASSIGNMENT.match(text)
    if match:
        body = text[match.end() :]
        offset = text.count("\n", 0, match.end())
    elif text.lstrip().startswith(("[", "{")):
        body, offset = text, 0
    else:
        raise InputFormatError(
            "not an X archive data file (expected 'window.YTD.<name>.part0 = [...]')",
            path=label,
        )
    body = body.rstrip()
    if body.endswith(";"):
        body = body[:-1]
    return parse_json_text(body, label, line_offset=offset)


def parse_entries(data: bytes, label: str) -> list[Any]:
    """The entries of an archive data file: :func:`parse_js`, which must give a list."""
    found = parse_js(data, label)
    if not isinstance(found, list):
        kind = "an object" if isinstance(found, dict) else type(found).__name__
        raise InputFormatError(f"expected a list of entries, found {kind}", path=label)
    return found


# Streaming: the top-level array in pieces of whole elements ------------------------------------

#: Bytes of elements decoded at a time: bounds memory whatever the file's size.
PIECE_BYTES = 32 << 20
_BLOCK_PREFIX = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*window\.[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\s*=\s*\["
)
#: ``}`` opening its line (so it cannot sit inside a JSON string, which holds no raw line
#: breaks), then ``,`` and the ``{`` of the next element: where a piece may end.
_BOUNDARY = re.compile(rb"\n([ \t]*)\}\s*,\s*\{")
_TRIES = 4
#: Boundaries are looked for in the last 1/_WINDOW of a piece first.
_WINDOW = 8
_OPEN, _CLOSE = ord("["), ord("]")


class NotStreamable(Exception):
    """The file is not the plain ``window.X = [...]`` shape the fast path reads (or a piece
    failed to decode); the caller reads it the careful way instead."""


def array_pieces(blocks: Iterable[bytes], decode: Callable[[Buffer], T]) -> Iterator[T]:
    """``decode`` applied to consecutive pieces of the file's top-level array, read from
    its ``blocks`` (a folder's file or a zip's member, :meth:`ArchiveTree.blocks`).

    Each piece is a JSON array of whole elements. Boundaries are guessed at a ``}`` that opens
    its line, preferring the least indented (top-level elements are), and confirmed by
    decoding: a piece cut inside an element leaves a bracket open and fails. Once a boundary
    is confirmed, later ones are first looked for at the same indentation (one C-speed search
    instead of scanning every nested ``}``). ``decode`` gets a view of the buffer, so pieces
    are never copied; it raises :class:`NotStreamable` for data it will never accept (wrong
    shape, bad UTF-8).
    """
    window = _Window(blocks)
    window.fill(4096)
    match = _BLOCK_PREFIX.match(window.buf)
    if match is None:
        raise NotStreamable("no 'window.X = [' prefix")
    window.consume(match.end() - 1)  # the window always opens with the piece's '['
    want = PIECE_BYTES
    top: tuple[bytes, re.Pattern[bytes]] | None = None
    while True:
        if window.fill(want):
            yield _last_piece(window, decode)
            return
        cut = _cut(window, want, decode, top)
        if cut is None:
            want *= 2  # no boundary found in reach: take a bigger piece
            continue
        decoded, indent = cut
        if top is None or top[0] != indent:
            top = (indent, _top_boundary(indent))
        yield decoded
        del decoded, cut  # the caller may let go of the piece before the next one is decoded
        want = PIECE_BYTES


class _Window:
    """The part of the file not decoded yet: blocks appended to a bytearray whose decoded
    front is deleted."""

    def __init__(self, blocks: Iterable[bytes]) -> None:
        self.buf = bytearray()
        self._blocks = iter(blocks)

    def fill(self, size: int) -> bool:
        """Read until the window holds ``size`` bytes; True when the file ends first."""
        while len(self.buf) < size:
            block = next(self._blocks, None)
            if block is None:
                return True
            self.buf += block
        return False

    def consume(self, size: int) -> None:
        """The first ``size`` bytes of the window are decoded: forget them."""
        del self.buf[:size]


def _top_boundary(indent: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"\n" + re.escape(indent) + rb"\}\s*,\s*\{")


def _cut(
    window: _Window,
    want: int,
    decode: Callable[[Buffer], T],
    top: tuple[bytes, re.Pattern[bytes]] | None,
) -> tuple[T, bytes] | None:
    """Decode the longest confirmed piece in the window and consume it; None when none
    confirms.

    ``top`` is the indentation of the last confirmed boundary and its pattern, tried first.
    Returns the decoded piece and the indentation of the boundary that confirmed it.
    """
    buf = window.buf
    window_start, end = want - want // _WINDOW, want
    if top is not None and (m := top[1].search(buf, window_start, end)) is not None:
        decoded = _try_piece(window, m.end() - 1, decode)
        if decoded is not None:
            return decoded, top[0]
    found = [
        (len(m.group(1)), -m.start(), m.end() - 1, m.group(1))
        for m in _BOUNDARY.finditer(buf, window_start if top is None else want // 2, end)
    ]
    for _, _, next_open, indent in sorted(found)[:_TRIES]:
        decoded = _try_piece(window, next_open, decode)
        if decoded is not None:
            return decoded, indent
    return None


def _try_piece(window: _Window, next_open: int, decode: Callable[[Buffer], T]) -> T | None:
    """Decode the window up to the element before ``next_open`` as an array, without
    copying: the separator before the next element is briefly a ``]``; on success the piece
    is consumed and the byte before the next element becomes the next piece's ``[``."""
    buf = window.buf
    close = buf.rfind(b"}", 0, next_open)
    saved = buf[close + 1]
    buf[close + 1] = _CLOSE
    try:
        decoded = decode(memoryview(buf)[: close + 2])
    except ValueError:
        return None  # cut inside an element
    finally:
        buf[close + 1] = saved
    buf[next_open - 1] = _OPEN
    window.consume(next_open - 1)
    return decoded


def _last_piece(window: _Window, decode: Callable[[Buffer], T]) -> T:
    body = window.buf.rstrip()
    if body.endswith(b";"):
        body = body[:-1].rstrip()
    if not body.endswith(b"]"):
        raise NotStreamable("the array does not end with ']'")
    try:
        return decode(memoryview(body))
    except ValueError as exc:
        raise NotStreamable(str(exc)) from None
