"""Parse the ``window.YTD.tweets.part0 = [...]`` files of an X archive without evaluating them.

The files are JavaScript only in name: everything after the first ``=`` is JSON. The prefix is
checked against a strict pattern and the rest goes to :func:`json.loads`, so nothing in an
archive is ever executed.
"""

from __future__ import annotations

import json
import re
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
        raise InputFormatError("JSON nested too deeply", path=label) from None


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
    """``decode`` applied to consecutive pieces of the file's top-level array.

    Each piece is a JSON array of whole elements. Boundaries are guessed at a ``}`` that opens
    its line, preferring the least indented (top-level elements are), and confirmed by
    decoding: a piece cut inside an element leaves a bracket open and fails. Once a boundary
    is confirmed, later ones are first looked for at the same indentation (one C-speed search
    instead of scanning every nested ``}``). ``decode`` gets a view of the buffer, so pieces
    are never copied; it raises :class:`NotStreamable` for data it will never accept (wrong
    shape, bad UTF-8).
    """
    stream = iter(blocks)
    buf = bytearray()
    eof = False
    while not eof and len(buf) < 4096:
        eof = _fill(buf, stream)
    match = _BLOCK_PREFIX.match(buf)
    if match is None:
        raise NotStreamable("no 'window.X = [' prefix")
    del buf[: match.end() - 1]  # the buffer always opens with the piece's '['
    want = PIECE_BYTES
    top: tuple[bytes, re.Pattern[bytes]] | None = None
    while True:
        while not eof and len(buf) < want:
            eof = _fill(buf, stream)
        if eof:
            yield _last_piece(buf, decode)
            return
        cut = _cut(buf, want, decode, top)
        if cut is None:
            want *= 2  # no boundary found in reach: take a bigger piece
            continue
        decoded, indent = cut
        if top is None or top[0] != indent:
            top = (indent, _top_boundary(indent))
        yield decoded
        want = PIECE_BYTES


def _fill(buf: bytearray, stream: Iterator[bytes]) -> bool:
    block = next(stream, None)
    if block is None:
        return True
    buf += block
    return False


def _top_boundary(indent: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"\n" + re.escape(indent) + rb"\}\s*,\s*\{")


def _cut(
    buf: bytearray,
    want: int,
    decode: Callable[[Buffer], T],
    top: tuple[bytes, re.Pattern[bytes]] | None,
) -> tuple[T, bytes] | None:
    """Decode the longest confirmed piece in ``buf`` and remove it; None when none confirms.

    ``top`` is the indentation of the last confirmed boundary and its pattern, tried first.
    Returns the decoded piece and the indentation of the boundary that confirmed it.
    """
    window_start = want - want // _WINDOW
    if top is not None and (m := top[1].search(buf, window_start)) is not None:
        decoded = _try_piece(buf, m.end() - 1, decode)
        if decoded is not None:
            return decoded, top[0]
    found = [
        (len(m.group(1)), -m.start(), m.end() - 1, m.group(1))
        for m in _BOUNDARY.finditer(buf, window_start if top is None else want // 2)
    ]
    for _, _, next_open, indent in sorted(found)[:_TRIES]:
        decoded = _try_piece(buf, next_open, decode)
        if decoded is not None:
            return decoded, indent
    return None


def _try_piece(buf: bytearray, next_open: int, decode: Callable[[Buffer], T]) -> T | None:
    """Decode ``buf`` up to the element before ``next_open`` as an array, without copying:
    the separator before the next element is briefly a ``]``; on success the piece is
    removed and the byte before the next element becomes the next piece's ``[``."""
    close = buf.rindex(b"}", 0, next_open)
    saved = buf[close + 1]
    buf[close + 1] = _CLOSE
    try:
        decoded = decode(memoryview(buf)[: close + 2])
    except ValueError:
        return None  # cut inside an element
    finally:
        buf[close + 1] = saved
    buf[next_open - 1] = _OPEN
    del buf[: next_open - 1]
    return decoded


def _last_piece(buf: bytearray, decode: Callable[[Buffer], T]) -> T:
    body = bytes(buf).rstrip()
    if body.endswith(b";"):
        body = body[:-1].rstrip()
    if not body.endswith(b"]"):
        raise NotStreamable("the array does not end with ']'")
    try:
        return decode(body)
    except ValueError as exc:
        raise NotStreamable(str(exc)) from None
