"""The byte scans behind the built-in filters' column paths equal the per-post text rules.

``filters.bytescan`` reads the UTF-8 bytes of a text column with numpy; each of its answers is
exact or a superset that the caller checks exactly. Compared here with ``filters.text`` on
hypothesis texts built to hit the byte rules' edges (runs of punctuation longer than the scan
walks, openers before tags, non-ASCII spaces and openers, control bytes, empty rows), on
sliced and chunked arrays; guard tests show the comparisons catch a wrong rule.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from unittest.mock import patch

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tweetgen.filters import builtin as b
from tweetgen.filters import bytescan as bs
from tweetgen.filters import text as tx
from tweetgen.filters import vector as vx
from tweetgen.filters.scripts import UNSPACED_RANGES

PIECES = [
    " ", "  ", "\t", "\n", "\n\n", "\n\n\n", " \n", "\n ", "\r\n", "\x0b", "\x1c", "\x1f", "\x01",
    "\x7f", "\x85", "\xa0", "\u1680", "\u2000", "\u200a", "\u2028", "\u202f", "\u205f", "\u3000",
    "\u200b", "a", "Z", "9", "word", "$", "+", "<", "^", "`", "|", "~", "@", "#", "@bob", "#tag",
    "＠x", "＃y", "\"", "'", "(", "[", "{", "((\"@x", "'#y", "(a", "-", "...", "-" * 40, "'" * 40,
    "(" * 40 + "a", "!?", "_", "é", "ünï", "😂", "“", "‘hi", "«", "¿", "¡a", "—", "…", "日本語",
    "ｶﾀｶﾅ", "ภาษาไทย", "٣", "&", "&amp;", ":", "/", ".", "://", "www.", "WwW.", "T.CO/", "t.co",
    "a.co/", "ſ",
]  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=30),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=2)), max_size=12).map("".join),
)
TEXTS = st.lists(TEXT, max_size=12)
OPENERS = st.sampled_from([tx.OPENERS, "", "$@(", "'a"])
SETTINGS = settings(
    max_examples=int(os.environ.get("TWEETGEN_HYPOTHESIS_EXAMPLES", "60")) * 2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def count_words(text: str, openers: str) -> int:
    """``text.count_words`` of a URL-free text, with any ``openers`` (the rule, restated)."""

    def is_word(token: str) -> bool:
        head = token.lstrip(openers)[:1]
        if head and head in "@#＠＃":
            return False
        return any(unicodedata.category(c)[0] in "LNS" for c in token)

    return sum(1 for token in text.split() if is_word(token))


@st.composite
def columns(draw: st.DrawFn, texts: st.SearchStrategy[list[str]] = TEXTS) -> pa.ChunkedArray:
    """Texts as a chunked column, some chunks slices of bigger arrays (non-zero offsets)."""
    values = draw(texts)
    cuts = sorted(draw(st.lists(st.integers(0, len(values)), max_size=3)))
    chunks = []
    for start, end in zip([0, *cuts], [*cuts, len(values)], strict=True):
        pad = draw(st.integers(0, 2))
        chunks.append(pa.array(["x  y"] * pad + values[start:end], pa.string()).slice(pad))
    return pa.chunked_array(chunks, pa.string())


def test_the_restated_rule_is_text_count_words() -> None:
    for text in [*PIECES, "a b", "(@x y", "'#y z z", "-- a"]:
        if not tx.has_url(text):
            assert count_words(text, tx.OPENERS) == tx.count_words(text), text


@SETTINGS
@given(column=columns(TEXTS.map(lambda ts: [t for t in ts if not tx.has_url(t)])), openers=OPENERS)
def test_word_counts_equal_the_per_post_rule(column: pa.ChunkedArray, openers: str) -> None:
    expected = [count_words(t, openers) for t in column.to_pylist()]
    assert bs.word_counts(column, openers).tolist() == expected
    with patch.object(vx, "WORD_COUNT_ROWS", 3), patch.object(bs, "MAX_SCAN", 1):
        assert bs.word_counts(column, openers).tolist() == expected


def test_every_one_and_two_ascii_character_token_is_counted_right() -> None:
    ascii = [chr(c) for c in range(128)]
    texts = (
        ascii
        + [a + c for a in ascii for c in ascii]
        + ["(" + a + c for a in "@#(a-" for c in ascii]
    )
    column = pa.array(texts)
    assert bs.word_counts(column, tx.OPENERS).tolist() == [tx.count_words(t) for t in texts]


def test_code_points_split_and_count_as_python_says() -> None:
    """Every code point below U+3100 and a spread of the rest: alone, between two letters
    (a space splits them), after an opener."""
    points = [*range(0x3100), *range(0x3100, sys.maxunicode + 1, 97), 0x1F602, 0xFF20, 0xFF03]
    chars = [chr(c) for c in points if not 0xD800 <= c <= 0xDFFF]
    texts = chars + [f"a{c}b" for c in chars] + [f"({c}" for c in chars]
    expected = [tx.count_words(t) for t in texts]
    assert bs.word_counts(pa.array(texts), tx.OPENERS).tolist() == expected


def test_a_wrong_byte_class_is_caught() -> None:
    """Guard: the comparisons above fail when one byte's class is wrong ('$' no word char)."""
    wrong = bs._byte_classes(tx.OPENERS).copy()
    wrong[ord("$")] = 0  # in no class: not a word character
    texts = ["$ $ $", "a $5 b", "-$"]
    with (
        patch.object(bs, "_byte_classes", lambda openers: wrong),
        patch.object(bs, "_first_byte_verdicts", bs._first_byte_verdicts.__wrapped__),
    ):
        got = bs.word_counts(pa.array(texts), tx.OPENERS).tolist()
    assert got != [tx.count_words(t) for t in texts]
    assert bs.word_counts(pa.array(texts), tx.OPENERS).tolist() == [3, 3, 1]


@SETTINGS
@given(column=columns())
def test_url_candidates_hold_every_url(column: pa.ChunkedArray) -> None:
    texts = column.to_pylist()
    found = bs.url_candidates(column, b.URL_CANDIDATE)
    regex = re.compile(b.URL_CANDIDATE, re.IGNORECASE)
    for text, candidate in zip(texts, found, strict=True):
        if tx.has_url(text) or regex.search(text):
            assert candidate, text


def test_url_candidates_are_few() -> None:
    texts = ["see https://t.co/x", "www.x", "T.Co/a", "a://", "t.co", "www", "a/b", "x.y", ""]
    assert bs.url_candidates(pa.array(texts), b.URL_CANDIDATE).tolist() == [True] * 4 + [False] * 5


@SETTINGS
@given(column=columns())
def test_collapse_candidates_hold_every_row_collapsing_changes(column: pa.ChunkedArray) -> None:
    found = bs.space_runs(column) | bs.holding_wide_space(column)
    for text, candidate in zip(column.to_pylist(), found, strict=True):
        if tx.collapse_whitespace(text) != text:
            assert candidate, repr(text)


def test_collapse_candidates_leave_collapsed_text_alone() -> None:
    done = ["a b", "a\nb", "a\n\nb c", "x"]
    loose = ["a  b", " a", "a ", "a \nb", "a\n b", "a\n\n\nb", "\na", "a\n", "a\tb", "a\u3000b"]
    column = pa.array(done + loose)
    found = bs.space_runs(column) | bs.holding_wide_space(column)
    assert found.tolist() == [False] * len(done) + [True] * len(loose)
    assert all(tx.collapse_whitespace(t) == t for t in done)


@SETTINGS
@given(column=columns())
def test_exact_scans_equal_python(column: pa.ChunkedArray) -> None:
    texts = column.to_pylist()
    assert bs.not_blank(column).to_pylist() == [bool(t.strip()) for t in texts]
    assert bs.holding_ampersand(column).tolist() == ["&" in t for t in texts]
    wide = [any(c.isspace() and not c.isascii() for c in t) for t in texts]
    assert bs.holding_wide_space(column).tolist() == wide
    unspaced = [any(lo <= ord(c) <= hi for c in t for lo, hi in UNSPACED_RANGES) for t in texts]
    assert bs.holding_points(column, UNSPACED_RANGES).tolist() == unspaced


def test_holding_points_refuses_two_byte_ranges() -> None:
    with pytest.raises(ValueError, match="three- and four-byte"):
        bs.holding_points(pa.array(["é"]), [(0xE9, 0xE9)])


def test_empty_and_null_columns() -> None:
    empty = pa.chunked_array([], pa.string())
    assert bs.word_counts(empty, tx.OPENERS).tolist() == []
    assert bs.not_blank(empty).to_pylist() == []
    with_null = pa.array(["a b", None, "c"])  # no byte view: the Arrow paths answer
    assert bs.url_candidates(with_null, b.URL_CANDIDATE).tolist() == [False] * 3
    assert bs.word_counts(pa.array(["a b", "", " c "]), tx.OPENERS).tolist() == [2, 0, 1]
    assert np.array_equal(bs.holding_ampersand(pa.array(["&", None])), [True, False])


def test_mentions_decided_leaves_the_non_ascii_runs_to_python() -> None:
    texts = ["@bob x", "@bob", "@bob schön", "@bobé x", "@al @bobé x", "@al ＠bo x", "@al \xa0@b x"]
    texts += ["＠al x", " \xa0@al x", "@bob's é", "@bob 😂"]
    column = pa.array(texts)
    stripped = pc.replace_substring_regex(column, b._ASCII_LEADING_MENTIONS, "", max_replacements=1)
    decided = bs.mentions_decided(column, stripped).tolist()
    assert decided == [True, True, True] + [False] * 7 + [False]
    for text, strip, sure in zip(texts, stripped.to_pylist(), decided, strict=True):
        assert not sure or strip == tx.strip_leading_mentions(text)


def test_a_mention_rule_that_trusts_every_row_is_caught() -> None:
    """Guard: with every row taken as decided, the parity test fails on non-ASCII runs."""
    from datetime import datetime, timezone

    from tweetgen import Post, PostKind
    from tweetgen.filters.apply import run_per_post, run_step
    from tweetgen.records.schema import SCHEMA, post_batches

    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    texts = ["@bobé x", "@al \xa0@b x", "@bob x"]
    items = [Post(str(i), "me", t, when, "test", kind=PostKind.REPLY) for i, t in enumerate(texts)]
    table = pa.Table.from_batches(list(post_batches(items)), schema=SCHEMA)
    f = b.StripReplyMentions()
    expected = run_per_post(table, f)[0].column("text").to_pylist()
    assert run_step(table, f)[0].column("text").to_pylist() == expected
    with patch.object(bs, "mentions_decided", lambda texts, stripped: np.ones(len(texts), bool)):
        assert run_step(table, f)[0].column("text").to_pylist() != expected


@SETTINGS
@given(column=columns(st.lists(st.one_of(TEXT, st.sampled_from(["RT @x", " RT @", "\xa0RT @y"])))))
def test_starts_after_spaces_is_lstrip_startswith(column: pa.ChunkedArray) -> None:
    texts = column.to_pylist()
    for prefixes in (("RT @",), ("@", "＠"), ("é",)):
        expected = [t.lstrip().startswith(prefixes) for t in texts]
        assert bs.starts_after_spaces(column, *prefixes).tolist() == expected


def test_starts_after_spaces_looks_past_every_kind_of_space() -> None:
    texts = [" RT @x", "\xa0RT @y", "\u3000＠z", "xRT @", "RT", "", "RT @"]
    column = pa.array(texts)
    assert bs.starts_after_spaces(column, "RT @").tolist() == [1, 1, 0, 0, 0, 0, 1]
    assert bs.starts_after_spaces(column, "＠").tolist() == [0, 0, 1, 0, 0, 0, 0]
