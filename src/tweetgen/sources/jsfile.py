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


class NotStreamable(Exception):
    """The file is not the plain ``window.X = [...]`` shape the fast path reads (or a piece
    failed to decode); the caller reads it the careful way instead."""


def array_pieces(blocks: Iterable[bytes], decode: Callable[[bytes], T]) -> Iterator[T]:
    """``decode`` applied to consecutive pieces of the file's top-level array.

    Each piece is a JSON array of whole elements. Boundaries are guessed at a ``}`` that opens
    its line, preferring the least indented (top-level elements are), and confirmed by
    decoding: a piece cut inside an element leaves a bracket open and fails. ``decode`` raises
    :class:`NotStreamable` for data it will never accept (wrong shape, bad UTF-8).
    """
    stream = iter(blocks)
    buf = bytearray()
    eof = False
    while not eof and len(buf) < 4096:
        eof = _fill(buf, stream)
    match = _BLOCK_PREFIX.match(buf)
    if match is None:
        raise NotStreamable("no 'window.X = [' prefix")
    del buf[: match.end()]
    want = PIECE_BYTES
    while True:
        while not eof and len(buf) < want:
            eof = _fill(buf, stream)
        if eof:
            yield _last_piece(buf, decode)
            return
        decoded = _cut(buf, want, decode)
        if decoded is None:
            want *= 2  # no boundary found in reach: take a bigger piece
            continue
        yield decoded
        want = PIECE_BYTES


def _fill(buf: bytearray, stream: Iterator[bytes]) -> bool:
    block = next(stream, None)
    if block is None:
        return True
    buf += block
    return False


def _cut(buf: bytearray, want: int, decode: Callable[[bytes], T]) -> T | None:
    """Decode the longest confirmed piece in ``buf`` and remove it; None when none confirms."""
    window_start = want // 2
    found = [
        (len(m.group(1)), -m.start(), m.start() + 1 + len(m.group(1)), m.end() - 1)
        for m in _BOUNDARY.finditer(buf, window_start)
    ]
    for _, _, close, next_open in sorted(found)[:_TRIES]:
        try:
            decoded = decode(b"[" + bytes(buf[: close + 1]) + b"]")
        except ValueError:
            continue  # cut inside an element
        del buf[:next_open]
        return decoded
    return None


def _last_piece(buf: bytearray, decode: Callable[[bytes], T]) -> T:
    body = bytes(buf).rstrip()
    if body.endswith(b";"):
        body = body[:-1].rstrip()
    if not body.endswith(b"]"):
        raise NotStreamable("the array does not end with ']'")
    try:
        return decode(b"[" + body)
    except ValueError as exc:
        raise NotStreamable(str(exc)) from None
