"""Column tests read straight off a string column's UTF-8 bytes with numpy.

An RE2 or substring pass over a million posts costs about 0.2 s of CPU and a token split more
than a second, while a numpy comparison over the same bytes costs a few hundredths. So the
questions the built-in filters ask of every row (does it hold ``&`` or something like a
link, is its first character blank, how many words has it) are answered here from the bytes.
Each answer is exact, or a superset of the rows the caller then checks exactly (said per
function); rows a byte rule cannot decide (non-ASCII text for word counts) go to the
:mod:`~tweetgen.filters.vector` path. The property tests compare both with the per-post rules.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.filters import vector as vx

#: Byte classes of ASCII characters (a byte may be in several); OTHER_SCRIPT: a non-ASCII byte.
SPACE, WORD, TAG, OPENER, OTHER_SCRIPT = 1, 2, 4, 8, 16
#: Tag signs that make a token a mention or hashtag (``text.is_word``), ASCII ones.
ASCII_TAGS = "@#"
#: Steps a word token's scan may take past its first byte before its row is handed to the
#: token path (a run of 40 dashes); bounds the loop below on hostile input.
MAX_SCAN = 32
#: Bytes below this are ASCII control characters: spaces only when ``str.isspace`` says so.
_CONTROL_END = 0x20
_BLANK, _NEWLINE = ord(" "), ord("\n")
#: UTF-8 lead bytes of two-, three- and four-byte characters, and a continuation's payload.
_LEAD_2, _LEAD_3, _LEAD_4, _PAYLOAD = 0xC2, 0xE0, 0xF0, 0x3F
_FIRST_THREE_BYTE = 0x800
_AMPERSAND, _COLON, _SLASH, _DOT = (ord(c) for c in "&:/.")
#: ``byte | _FOLD`` lower-cases an ASCII letter (and only letters compare equal after it).
_FOLD = 0x20


@dataclass(frozen=True)
class Utf8Bytes:
    """A string array's bytes back to back and its row offsets (from 0, one more than rows)."""

    data: np.ndarray
    offsets: np.ndarray

    @property
    def rows(self) -> int:
        return len(self.offsets) - 1

    def row_of(self, positions: np.ndarray) -> np.ndarray:
        """The row each byte position lies in."""
        return np.searchsorted(self.offsets, positions, side="right") - 1

    def rows_holding(self, positions: np.ndarray) -> np.ndarray:
        """Per row, whether one of the byte ``positions`` lies in it."""
        mask = np.zeros(self.rows, dtype=bool)
        mask[self.row_of(positions)] = True
        return mask

    def nonempty_starts(self) -> np.ndarray:
        starts = self.offsets[:-1]
        return starts[starts < self.offsets[1:]]


def utf8_bytes(column: vx.Column) -> Utf8Bytes | None:
    """A zero-copy view of ``column``'s bytes; None for other types or when a row is null."""
    array = vx.flat(column)
    widths = {pa.string(): np.int32, pa.large_string(): np.int64}
    if array.type not in widths or array.null_count:
        return None
    _, offset_buffer, data_buffer = array.buffers()
    dtype = widths[array.type]
    start = array.offset * np.dtype(dtype).itemsize
    offsets = np.frombuffer(offset_buffer, dtype, len(array) + 1, start).astype(np.int64)
    first, last = int(offsets[0]), int(offsets[-1])
    if data_buffer is None or last == first:
        data = np.zeros(0, dtype=np.uint8)
    else:
        data = np.frombuffer(data_buffer, np.uint8, last - first, first)
    return Utf8Bytes(data, offsets - first)


def _each_chunk(column: vx.Column, scan: Callable[[pa.Array], np.ndarray]) -> np.ndarray:
    """``scan`` over each chunk of ``column``, joined: nothing is flattened (copied)."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = [scan(chunk) for chunk in chunks]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def holding_byte(column: vx.Column, byte: int) -> np.ndarray:
    """Per row, whether it holds the ASCII ``byte`` (exact: UTF-8 never reuses ASCII bytes)."""

    def scan(chunk: pa.Array) -> np.ndarray:
        view = utf8_bytes(chunk)
        if view is None:
            return vx.to_bools(pc.match_substring(chunk, chr(byte)))
        return view.rows_holding(np.flatnonzero(view.data == byte))

    return _each_chunk(column, scan)


def holding_ampersand(column: vx.Column) -> np.ndarray:
    return holding_byte(column, _AMPERSAND)


def url_candidates(column: vx.Column, pattern: str) -> np.ndarray:
    """Rows that may hold a URL: ``://``, ``www.`` or ``t.co/`` in any case.

    A superset of the rows ``text.remove_urls`` changes (every URL start holds one of the
    three) and of those the RE2 ``pattern`` (the builtins' ``URL_CANDIDATE``) finds; only
    used where the rows are then checked exactly. ``pattern`` is the fallback for arrays
    without a byte view.
    """

    def scan(chunk: pa.Array) -> np.ndarray:
        view = utf8_bytes(chunk)
        if view is None:
            return vx.to_bools(vx.contains(chunk, pattern, ignore_case=True))
        data = view.data
        slashes = np.flatnonzero(data == _SLASH)
        inner = slashes[(slashes >= 1) & (slashes + 1 < len(data))]
        scheme = inner[(data[inner - 1] == _COLON) & (data[inner + 1] == _SLASH)]
        after_host = slashes[slashes >= len("t.co")]
        dots = np.flatnonzero(data == _DOT)
        dots = dots[dots >= len("www")]
        hits = (
            scheme,
            after_host[_folded_before(data, after_host, "t.co")],
            dots[_folded_before(data, dots, "www")],
        )
        return view.rows_holding(np.concatenate(hits))

    return _each_chunk(column, scan)


def _folded_before(data: np.ndarray, positions: np.ndarray, word: str) -> np.ndarray:
    """Whether the bytes just before each position spell ``word`` (letters in any case)."""
    match = np.ones(len(positions), dtype=bool)
    for back, char in enumerate(reversed(word), start=1):
        found = data[positions - back]
        match &= ((found | _FOLD) == ord(char)) if char.isalpha() else (found == ord(char))
    return match


def not_blank(column: vx.Column) -> pa.Array:
    """``bool(text.strip())`` per row (exact): a row whose first byte is an ASCII non-space
    is not blank; the few others (empty, leading space, non-ASCII start) are trimmed."""

    def scan(chunk: pa.Array) -> np.ndarray:
        view = utf8_bytes(chunk)
        if view is None:
            return vx.to_bools(vx.not_blank(chunk))
        starts = view.offsets[:-1]
        nonempty = starts < view.offsets[1:]
        first = np.full(view.rows, _BLANK, dtype=np.uint8)
        first[nonempty] = view.data[starts[nonempty]]
        solid = (first < 0x80) & ((_byte_classes("")[first] & SPACE) == 0)
        unsure = np.flatnonzero(nonempty & ~solid)
        if len(unsure):
            taken = chunk.take(pa.array(unsure, pa.int64()))
            solid[unsure] = vx.to_bools(vx.not_blank(taken))
        return solid

    return pa.array(_each_chunk(column, scan), pa.bool_())


def space_runs(column: vx.Column) -> np.ndarray:
    """Rows whose ASCII whitespace ``text.collapse_whitespace`` may change: any control
    byte but ``\\n``; two spaces in a row; a space or ``\\n`` at either end; a space next to
    a ``\\n``; three ``\\n`` in a row. A row with single inner spaces and single or double
    ``\\n`` between words is already collapsed. Non-ASCII whitespace is not looked for here
    (:func:`holding_wide_space`)."""

    def scan(chunk: pa.Array) -> np.ndarray:
        view = utf8_bytes(chunk)
        if view is None:
            return np.ones(len(chunk), dtype=bool)
        data = view.data
        controls = np.flatnonzero(data < _CONTROL_END)
        breaks = controls[data[controls] == _NEWLINE]
        hits = [controls[data[controls] != _NEWLINE], *_pairs(data, _BLANK)]
        for step in (-1, 1):
            near = breaks + step
            near = near[(near >= 0) & (near < len(data))]
            hits.append(near[data[near] == _BLANK])
        third = breaks[breaks + 2 < len(data)]
        hits.append(third[(data[third + 1] == _NEWLINE) & (data[third + 2] == _NEWLINE)])
        mask = view.rows_holding(np.concatenate(hits))
        rows = np.flatnonzero(view.offsets[:-1] < view.offsets[1:])
        ends = np.concatenate([data[view.offsets[rows]], data[view.offsets[rows + 1] - 1]])
        loose = (ends == _BLANK) | (ends == _NEWLINE)
        mask[rows[loose[: len(rows)] | loose[len(rows) :]]] = True
        return mask

    return _each_chunk(column, scan)


def _pairs(data: np.ndarray, byte: int) -> list[np.ndarray]:
    """Where ``byte`` is followed by itself: two bytes at a time, read as 16-bit words at
    even and at odd positions (a third of the work of comparing shifted masks)."""
    pair = np.array([byte, byte], dtype=np.uint8).view(np.uint16)[0]
    found = []
    for start in (0, 1):
        usable = (len(data) - start) // 2 * 2
        words = data[start : start + usable].view(np.uint16)
        found.append(np.flatnonzero(words == pair) * 2 + start)
    return found


def mentions_decided(texts: pa.Array, stripped: pa.Array) -> np.ndarray:
    """Rows where stripping leading mentions with ASCII rules (``stripped``: ``texts`` less
    the run of ASCII mentions it starts with, if any) is what ``text.strip_leading_mentions``
    does: ASCII rows; and rows whose ASCII run is not empty and either reached the end or
    is followed by an ASCII byte other than ``@``. Up to the run's end both rules read the
    same ASCII bytes, and Python's could only go on with a mention (``@``, ``＠``) or a
    non-ASCII space. Null rows or other types: no row is decided.
    """
    view = utf8_bytes(texts)
    if view is None or stripped.null_count or not len(view.data):
        return np.zeros(len(texts), dtype=bool)
    data, starts = view.data, view.offsets[:-1]
    lengths = view.offsets[1:] - starts
    removed = lengths - pc.binary_length(stripped).to_numpy(zero_copy_only=False)
    after = data[np.minimum(starts + removed, len(data) - 1)]
    ended = (removed == lengths) | ((after < 0x80) & (after != ord("@")))
    return vx.to_bools(pc.string_is_ascii(texts)) | ((removed > 0) & ended)


@functools.cache
def _byte_classes(openers: str) -> np.ndarray:
    """The classes of every byte value, from the per-post rules' own definitions."""
    classes = np.full(256, OTHER_SCRIPT, dtype=np.uint8)
    for byte in range(0x80):
        char = chr(byte)
        classes[byte] = (
            SPACE * char.isspace()
            | WORD * (unicodedata.category(char)[0] in "LNS")
            | TAG * (char in ASCII_TAGS)
            | OPENER * (char in openers)
        )
    classes.flags.writeable = False
    return classes


@functools.cache
def _wide_space_points() -> np.ndarray:
    """Code points of the two- and three-byte characters ``str.isspace`` accepts."""
    return np.array([ord(c) for c in vx.PY_SPACES if len(c.encode()) in (2, 3)], np.int64)


def spaces(data: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Per byte, whether it belongs to a whitespace character (``str.isspace``), exact."""
    space = data <= _BLANK
    controls = np.flatnonzero(data < _CONTROL_END)
    space[controls] = (classes[data[controls]] & SPACE) != 0
    leads, widths = _wide_spaces(data)
    for step in range(3):
        space[leads[widths > step] + step] = True
    return space


def _code_points(data: np.ndarray, leads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The code point starting at each lead byte (``>= 0xC2``), and its length in bytes."""
    lead = data[leads].astype(np.int64)
    widths = 2 + (lead >= _LEAD_3) + (lead >= _LEAD_4)
    points = lead & np.where(widths == 2, 0x1F, np.where(widths == 3, 0x0F, 0x07))
    last = len(data) - 1
    for step in (1, 2, 3):
        more = data[np.minimum(leads + step, last)].astype(np.int64) & _PAYLOAD
        points = np.where(widths > step, (points << 6) | more, points)
    return points, widths


def _wide_spaces(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each non-ASCII whitespace character starts, and its length in bytes."""
    leads = np.flatnonzero(data >= _LEAD_2)
    leads = leads[data[leads] < _LEAD_4]  # whitespace has two or three bytes
    points, widths = _code_points(data, leads)
    wide = np.isin(points, _wide_space_points())
    return leads[wide], widths[wide]


def holding_points(column: vx.Column, ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Per row, whether it holds a code point in one of the inclusive ``ranges`` (exact);
    all of them must be U+0800 or above, so only three- and four-byte characters are read."""
    if min(low for low, _ in ranges) < _FIRST_THREE_BYTE:
        raise ValueError("holding_points reads three- and four-byte characters only")
    bounds = np.array(sorted(b for low, high in ranges for b in (low, high + 1)), np.int64)

    def scan(chunk: pa.Array) -> np.ndarray:
        view = utf8_bytes(chunk)
        if view is None:
            return np.ones(len(chunk), dtype=bool)
        leads = np.flatnonzero(view.data >= _LEAD_3)
        points, _ = _code_points(view.data, leads)
        inside = np.searchsorted(bounds, points, side="right") % 2 == 1
        return view.rows_holding(leads[inside])

    return _each_chunk(column, scan)


def holding_wide_space(column: vx.Column) -> np.ndarray:
    """Per row, whether it holds a non-ASCII whitespace character (``\xa0``, ``\u3000``...)."""

    def scan(chunk: pa.Array) -> np.ndarray:
        view = utf8_bytes(chunk)
        if view is None:
            wide = "".join(f"\\x{{{ord(c):x}}}" for c in vx.PY_SPACES if not c.isascii())
            return vx.to_bools(vx.contains(chunk, f"[{wide}]"))
        return view.rows_holding(_wide_spaces(view.data)[0])

    return _each_chunk(column, scan)


def word_counts(column: vx.Column, openers: str) -> np.ndarray:
    """``vx.word_counts`` (``text.count_words`` of texts holding no URL), from the bytes.

    Rows are counted from their bytes in :data:`vx.WORD_COUNT_ROWS` slices; tokens a byte
    cannot decide (one starting with a non-ASCII character: ``“``, ``＠``, an emoji) are
    cut out and decided by ``vx``'s token rule, once per distinct token.
    """

    def scan(chunk: pa.Array) -> np.ndarray:
        parts = [
            _chunk_word_counts(chunk.slice(start, vx.WORD_COUNT_ROWS), openers)
            for start in range(0, len(chunk), vx.WORD_COUNT_ROWS)
        ]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    return _each_chunk(column, scan).astype(np.int64, copy=False)


def _chunk_word_counts(part: pa.Array, openers: str) -> np.ndarray:
    """Words per row. A token (run of non-space bytes, never crossing a row start) is a word
    when it holds a WORD byte and its first byte after OPENER bytes is not a TAG."""
    view = utf8_bytes(part)
    if view is None:
        return vx.word_counts(part, openers)
    classes = _byte_classes(openers)
    data = view.data
    space = spaces(data, classes)
    begins = np.empty_like(space)
    begins[:1] = ~space[:1]
    np.greater(space[:-1], space[1:], out=begins[1:])  # a space, then a non-space
    row_starts = view.nonempty_starts()
    begins[row_starts] = ~space[row_starts]
    starts = np.flatnonzero(begins)
    verdict = _first_byte_verdicts(openers)[data[starts]]
    words = verdict == _YES
    rest = np.flatnonzero(verdict >= _WALK)
    walk = rest[verdict[rest] == _WALK]
    first = classes[data[starts[walk]]]
    scan = _Scan(walk, starts[walk], (first & OPENER) == 0, (first & WORD) != 0)
    unsure = [rest[verdict[rest] == _UNSURE], scan.run(data, space, begins, classes, words)]
    _decide_tokens(view, starts, np.concatenate(unsure), words, openers)
    first_tokens = np.searchsorted(starts, view.offsets)  # each row's tokens, in order
    counts = np.zeros(view.rows, dtype=np.int64)
    tokened = np.flatnonzero(first_tokens[1:] > first_tokens[:-1])
    if len(tokened):  # a row's words run up to the next row that has tokens
        counts[tokened] = np.add.reduceat(words, first_tokens[tokened], dtype=np.int64)
    return counts


#: What a token's first byte says: not a word (a tag), a word, walk on, or ask Python.
_NO, _YES, _WALK, _UNSURE = 0, 1, 2, 3


@functools.cache
def _first_byte_verdicts(openers: str) -> np.ndarray:
    verdicts = np.full(256, _WALK, dtype=np.uint8)
    for byte, found in enumerate(_byte_classes(openers)):
        if found & OTHER_SCRIPT:
            verdicts[byte] = _UNSURE
        elif not found & OPENER:
            verdicts[byte] = _NO if found & TAG else _YES if found & WORD else _WALK
    verdicts.flags.writeable = False
    return verdicts


def _decide_tokens(
    view: Utf8Bytes, starts: np.ndarray, tokens: np.ndarray, words: np.ndarray, openers: str
) -> None:
    """Set ``words`` of the ``tokens`` (indices into ``starts``) by ``vx``'s token rule: each is
    cut from its start to the next token's (trailing spaces trimmed)."""
    if not len(tokens):
        return
    after = tokens + 1
    ends = np.where(after < len(starts), starts[np.minimum(after, len(starts) - 1)], len(view.data))
    begin = starts[tokens]
    lengths = ends - begin
    offsets = np.zeros(len(tokens) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    picks = np.arange(offsets[-1]) - np.repeat(offsets[:-1] - begin, lengths)
    cut = pa.LargeStringArray.from_buffers(
        len(tokens), pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(view.data[picks]))
    )
    trimmed = pc.utf8_rtrim(cut, characters=vx.PY_SPACES).cast(pa.string())
    distinct = vx.flat(pc.dictionary_encode(trimmed))
    decided = vx.token_words(distinct.dictionary, openers)
    words[tokens] = decided[distinct.indices.to_numpy(zero_copy_only=False)]


@dataclass
class _Scan:
    """Tokens not decided by their first byte, walked a byte at a time all together."""

    token: np.ndarray  # index into the chunk's tokens
    position: np.ndarray  # byte being looked at
    headed: np.ndarray  # the head (first byte after openers) has been seen, and is no tag
    has_word: np.ndarray  # a WORD byte has been seen

    def run(
        self,
        data: np.ndarray,
        space: np.ndarray,
        begins: np.ndarray,
        classes: np.ndarray,
        words: np.ndarray,
    ) -> np.ndarray:
        """Decide tokens into ``words`` for up to :data:`MAX_SCAN` steps; a token ends at a
        space or where the next begins (a row start). Returns the tokens left undecided: a
        non-ASCII byte was met, or the steps ran out."""
        gave_up = []
        for _ in range(MAX_SCAN):
            if not len(self.token):
                break
            self.position = self.position + 1
            inside = self.position < len(data)
            at = self.position[inside]
            inside[inside] = ~(space[at] | begins[at])
            words[self.token[~inside]] = self.has_word[~inside]  # ended: no tag was seen
            self._keep(inside)
            found = classes[data[self.position]]
            other = (found & OTHER_SCRIPT) != 0
            gave_up.append(self.token[other])
            heads = ~self.headed & ((found & OPENER) == 0)
            tagged = heads & ((found & TAG) != 0)
            self.headed |= heads
            self.has_word |= (found & WORD) != 0
            decided = self.headed & self.has_word & ~tagged & ~other
            words[self.token[decided]] = True
            self._keep(~(decided | tagged | other))
        return np.concatenate([*gave_up, self.token])

    def _keep(self, mask: np.ndarray) -> None:
        self.token, self.position = self.token[mask], self.position[mask]
        self.headed, self.has_word = self.headed[mask], self.has_word[mask]
