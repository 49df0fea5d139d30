"""Column helpers for the built-in filters: Arrow kernels decide, Python finishes the rest.

The text rules (:mod:`tweetgen.filters.text`) are Python regexes and Unicode tables that Arrow
cannot reproduce exactly. So each built-in asks Arrow which rows *might* change (a cheap test
that is never wrong in the safe direction: "http" appears, "&" appears, a non-ASCII character
appears) and runs the exact Python rule on those rows only; the property tests check that the
result equals the per-post path on every row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Every character ``str.isspace`` accepts, i.e. what ``str.split()`` and ``\s`` split on.
PY_SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: ``PY_SPACES`` restricted to ASCII, as a regex class.
ASCII_SPACE_CLASS = r"[\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f ]"

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


def any_of(*masks: Column) -> pa.Array:
    out = flat(masks[0])
    for m in masks[1:]:
        out = pc.or_(out, flat(m))
    return pc.fill_null(out, False)


def all_of(*masks: Column) -> pa.Array:
    out = flat(masks[0])
    for m in masks[1:]:
        out = pc.and_(out, flat(m))
    return pc.fill_null(out, False)


def non_ascii(column: Column) -> pa.Array:
    return pc.invert(flat(pc.string_is_ascii(column)))


def contains(column: Column, pattern: str, *, ignore_case: bool = False) -> pa.Array:
    """Rows where the RE2 ``pattern`` matches somewhere."""
    return flat(pc.match_substring_regex(column, pattern, ignore_case=ignore_case))


def starts_after_spaces(column: Column, *prefixes: str) -> pa.Array:
    """Rows that start with one of ``prefixes`` after leading whitespace (``str.lstrip``)."""
    stripped = pc.utf8_ltrim(column, characters=PY_SPACES)
    return any_of(*(pc.starts_with(stripped, p) for p in prefixes))


def not_blank(column: Column) -> pa.Array:
    """Rows whose text is more than whitespace (``bool(text.strip())``)."""
    trimmed = pc.utf8_trim(column, characters=PY_SPACES)
    return flat(pc.greater(pc.utf8_length(trimmed), 0))


def rows_of(mask: Column | np.ndarray) -> np.ndarray:
    return np.flatnonzero(to_bools(mask))


def python_values(column: Column, rows: np.ndarray) -> list[str]:
    values: list[str] = column.take(pa.array(rows, pa.int64())).to_pylist()
    return values


def rewrite(column: Column, mask: Column | np.ndarray, function: Callable[[str], str]) -> pa.Array:
    """``column`` with ``function`` applied to the rows in ``mask``; other rows untouched."""
    from tweetgen.records.schema import string_array

    rows = rows_of(mask)
    if not len(rows):
        return column  # nothing to rewrite: not even flattened
    new = string_array([function(t) for t in python_values(column, rows)])
    return pc.replace_with_mask(flat(column), pa.array(to_bools(mask)), new)


#: ASCII characters of Unicode categories L, N and S: any of them makes a token a word.
_ASCII_WORD_CHAR = r"[A-Za-z0-9$+<=>^`|~]"
_TAGS = ("@", "#", "＠", "＃")
#: Rows whose tokens are split at a time: bounds the memory of counting words.
WORD_COUNT_ROWS = 65_536


def word_counts(column: Column, openers: str) -> np.ndarray:
    """``text.count_words`` of texts that hold no URL, on whole columns.

    Tokens are split as ``str.split`` splits (Arrow's Unicode whitespace is the same set; a
    test checks every code point). A token is a word when, after ``openers``, it does not
    start with a tag sign, and it holds a letter, digit or symbol: Arrow checks the ASCII
    ones, ``unicodedata`` the tokens left undecided (non-ASCII, without an ASCII word char).
    """
    text = flat(column)
    if len(text) > WORD_COUNT_ROWS:  # the token arrays of a million posts would be ~1 GB
        return np.concatenate(
            [
                word_counts(text.slice(start, WORD_COUNT_ROWS), openers)
                for start in range(0, len(text), WORD_COUNT_ROWS)
            ]
        )
    lists = pc.utf8_split_whitespace(text)
    tokens = flat(pc.list_flatten(lists))
    parents = np.asarray(pc.list_parent_indices(lists).to_numpy(zero_copy_only=False))
    # Most tokens start with an ASCII letter or digit: words, with nothing more to check.
    words = to_bools(pc.ascii_is_alnum(pc.utf8_slice_codeunits(tokens, 0, 1)))
    rest = np.flatnonzero(~words)
    if len(rest):
        words[rest] = token_words(tokens.take(pa.array(rest, pa.int64())), openers)
    return np.bincount(parents, weights=words.astype(np.int64), minlength=len(text)).astype(
        np.int64
    )


def token_words(tokens: pa.Array, openers: str) -> np.ndarray:
    """``is_word`` per token: tags by Arrow, letters, digits and symbols by Arrow for ASCII
    and by ``unicodedata`` for the tokens Arrow cannot decide."""
    import unicodedata

    head = pc.utf8_ltrim(tokens, characters=openers)
    tagged = to_bools(any_of(*(pc.starts_with(head, t) for t in _TAGS)))
    has = to_bools(contains(tokens, _ASCII_WORD_CHAR))
    undecided = np.flatnonzero(~has & ~tagged & to_bools(non_ascii(tokens)))
    for i, token in zip(undecided, python_values(tokens, undecided), strict=True):
        has[i] = any(unicodedata.category(c)[0] in "LNS" for c in token)
    return has & ~tagged
