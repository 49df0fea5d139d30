"""What the built-in filters do to a text column: Arrow finds the rows, the rule rewrites them.

Each built-in rule is written once. Rules Arrow computes exactly (prefix tests, lengths, kinds)
are Arrow kernels over whole columns. Rules made of Python regexes and Unicode tables
(:mod:`tweetgen.filters.text`) run on the rows an Arrow test says they might change (holds
``&``, a URL start...): a test that may pick too many rows, never too few. Words are counted
per distinct token (:func:`word_counts`). Nothing here builds a post object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.records.schema import string_array

#: Every character ``str.isspace`` accepts, i.e. what ``str.split()`` and ``\s`` split on.
PY_SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: ``PY_SPACES`` as an RE2 class.
SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_SPACES) + "]"
#: Rows whose tokens are split at a time: bounds the memory of counting words.
WORD_COUNT_ROWS = 65_536

Column: TypeAlias = "pa.Array | pa.ChunkedArray"


def flat(column: Column) -> pa.Array:
    """One contiguous array (a chunked column is concatenated once)."""
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def to_bools(mask: Column | np.ndarray) -> np.ndarray:
    """A boolean Arrow column (or numpy array) as numpy; nulls count as False."""
    if isinstance(mask, np.ndarray):
        return mask.astype(bool, copy=False)
    filled = pc.fill_null(flat(mask), False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def contains(column: Column, pattern: str, *, ignore_case: bool = False) -> np.ndarray:
    """Rows where the RE2 ``pattern`` matches somewhere."""
    return to_bools(pc.match_substring_regex(column, pattern, ignore_case=ignore_case))


def starts_after_spaces(column: Column, *prefixes: str) -> np.ndarray:
    """``text.lstrip().startswith(prefixes)`` per row."""
    stripped = pc.utf8_ltrim(column, characters=PY_SPACES)
    found = np.zeros(len(column), dtype=bool)
    for prefix in prefixes:
        found |= to_bools(pc.starts_with(stripped, prefix))
    return found


def not_blank(column: Column) -> np.ndarray:
    """``bool(text.strip())`` per row."""
    return ~contains(column, f"^{SPACE_CLASS}*$")


def rewrite(column: Column, rows: np.ndarray, rule: Callable[[str], str]) -> Column:
    """``column`` with ``rule`` applied to the rows where ``rows`` is true; the rest as is."""
    picked = np.flatnonzero(rows)
    if not len(picked):
        return column  # nothing to rewrite: not even flattened
    values = column.take(pa.array(picked, pa.int64())).to_pylist()
    new = string_array([rule(t) for t in values])
    return pc.replace_with_mask(flat(column), pa.array(to_bools(rows)), new)


def cleaned(text: Column, rows: np.ndarray, rule: Callable[[str], str]) -> tuple[pa.Array, Column]:
    """A cleaning step's ``keep`` and ``text`` (:class:`~tweetgen.filters.base.TableStep`):
    ``rule`` on the ``rows`` that may change, then drop what became blank."""
    new = rewrite(text, rows, rule)
    return pa.array(not_blank(new)), new


def word_counts(column: Column, weight: Callable[[str], int], marks: np.ndarray) -> np.ndarray:
    """Per row, the sum of ``weight`` over its whitespace tokens, :data:`WORD_COUNT_ROWS`
    rows at a time. ``weight`` runs once per distinct token of the rows holding non-ASCII
    (Arrow splits on what ``str.split`` splits on, a test checks every code point). ASCII rows
    are a speed trick that benchmarks/RESULTS.md weighs: read off their bytes with numpy, a
    token weighing 1 when it holds a byte ``marks`` marks 2 (a word character) and its
    first byte not marked 4 (an opener) is not marked 8 (a tag); 1 marks a space."""
    text = flat(column)
    counts = np.zeros(len(text), dtype=np.int64)
    for start in range(0, len(text), WORD_COUNT_ROWS):
        part = text.slice(start, WORD_COUNT_ROWS)
        found, other = _ascii_counts(part, marks)
        if other.any():
            found[other] = _token_counts(part.filter(pa.array(other)), weight)
        counts[start : start + len(part)] = found
    return counts


def _token_counts(text: pa.Array, weight: Callable[[str], int]) -> np.ndarray:
    lists = pc.utf8_split_whitespace(text)
    tokens = pc.dictionary_encode(flat(pc.list_flatten(lists)))
    weights = np.array([weight(t) for t in tokens.dictionary.to_pylist()], np.int64)
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    found = weights[tokens.indices.to_numpy(zero_copy_only=False)] if len(weights) else []
    return np.bincount(parents, weights=found, minlength=len(text)).astype(np.int64)


def _ascii_counts(text: pa.Array, marks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Words of ``text``'s rows from its bytes, and the rows this cannot decide: those
    holding non-ASCII, or a token that starts with an opener (its head lies further in)."""
    if text.type != pa.string() or text.null_count:
        return np.zeros(len(text), dtype=np.int64), np.ones(len(text), dtype=bool)
    offsets = np.frombuffer(text.buffers()[1], np.int32, len(text) + 1, text.offset * 4)
    offsets = offsets.astype(np.int64)
    first = int(offsets[0])
    data = np.frombuffer(text.buffers()[2] or b"", np.uint8, int(offsets[-1]) - first, first)
    offsets -= first
    if not len(data):
        return np.zeros(len(text), dtype=np.int64), np.zeros(len(text), dtype=bool)
    found = marks[data]
    space = (found & 1).astype(bool)
    begins = ~space
    begins[1:] &= space[:-1]
    row_starts = offsets[:-1][offsets[:-1] < offsets[1:]]
    begins[row_starts] = ~space[row_starts]  # a token never runs on into the next row
    starts = np.flatnonzero(begins)
    other = np.zeros(len(text), dtype=bool)
    other[np.searchsorted(offsets, np.flatnonzero(data >= 0x80), side="right") - 1] = True
    if not len(starts):
        return np.zeros(len(text), dtype=np.int64), other
    head = found[starts]  # a token's bytes run to the next token's start: spaces between
    word = (np.maximum.reduceat(found & 2, starts) != 0) & ((head & 8) == 0)
    bounds = np.searchsorted(starts, offsets)  # each row's tokens: bounds[r] to bounds[r + 1]

    def per_row(flags: np.ndarray) -> np.ndarray:
        total = np.concatenate([[0], np.cumsum(flags, dtype=np.int64)])
        return total[bounds[1:]] - total[bounds[:-1]]

    return per_row(word), other | (per_row((head & 4) != 0) > 0)
