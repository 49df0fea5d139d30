"""The column rule of every built-in filter equals its per-post oracle: same posts, same counts.

Each built-in decides on Arrow columns only (``filter_table``); ``tests/filter_oracle.py``
states the same rule one post at a time, and runs through ``run_per_post`` as third-party
filters run. Hypothesis compares the two on texts built to hit the column tests' edges
(non-ASCII spaces, ``ſ``, full-width ``＠``, URLs, entities, duplicates differing only in case
or spacing).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any
from unittest.mock import patch

import pyarrow as pa
import pytest
from filter_oracle import oracle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tweetgen import Post, PostKind, get_filters
from tweetgen.filters import columns as cx
from tweetgen.filters.apply import column_method, run_per_post, run_step
from tweetgen.filters.base import Filter, TableStep
from tweetgen.filters.builtin import DropShort
from tweetgen.plugins import get_filter
from tweetgen.records.schema import BATCH_ROWS, post_batches, table_posts
from tweetgen.testing.strategies import posts

#: Options each built-in is checked with; a meta-test requires every built-in to be here.
CONFIGS: dict[str, list[dict[str, Any]]] = {
    "drop-retweets": [{}],
    "drop-short": [
        {"min_words": 0},
        {"min_words": 1},
        {"min_words": 3},
        {"min_words": 5},
        {"min_words": 3, "by_script": False},
    ],
    "remove-urls": [{}],
    "unescape-html": [{}, {"all_sources": True}],
    "collapse-whitespace": [{}],
    "newlines": [{"keep": True}, {"keep": False}],
    "drop-replies": [{}],
    "strip-reply-mentions": [{"replies_only": True}, {"replies_only": False}],
    "keep-languages": [{"languages": "en,de"}, {"languages": "fr", "keep_unknown": False}],
    "drop-duplicates": [{}],
    "drop-near-duplicates": [{"threshold": 0.5}, {"threshold": 0.9, "shingle": 2}],
    "scrub-contacts": [{}, {"email": "", "phone": ""}],
    "max-length": [{"max_chars": 12}],
}
CASES = [(name, options) for name, configs in CONFIGS.items() for options in configs]

FRAGMENTS = [
    "http://", "https://", "HTTPS://", "https://t.co/Ab1", " HTTP://T.CO/x9 ", "\thttps://t.co/z",
    "\nhttps://t.co/Q\n",
    "httpſ://", "www.", "WWW.", "t.co/", "xt.co/", "a.b/c",
    " ", "  ", "\t", "\n", "\r\n", "\x1c", "\x85", "\xa0", "\u2028", "\u3000", "\u200b",
    "&amp;", "&lt;", "&gt;", "&", "&#39;", "&amp;amp;", ";", "#", "#tag", "@", "@bob", "＠bob",
    "RT @", " RT @x", "a@b.co", "+1 555 123 4567", "555-123-4567", "12", "٣٤", "(@x", "\"#y",
    "日本語の文", "ภาษาไทย", "ｶﾀｶﾅ",
    "word", "Word", "WORD", "ünï", "ß", "😂", "日本語", "ＨＥＬＬＯ", "hello", "$", "~", "-",
    "\n\n\n", " \n", "\n ", "-" * 40, "(((\"", "'#x", "“@y", "«z", "…", "\x01", "a.co/",
]  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=14).map("".join),
)

SETTINGS = settings(
    max_examples=int(os.environ.get("TWEETGEN_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


SOURCES = st.sampled_from(["test", "x-archive"])


@st.composite
def post_lists(draw: st.DrawFn) -> list[Post]:
    """tweetgen's shipped posts, texts from a small repeating pool (duplicate filters), from
    two sources (x-archive text is plain already)."""
    pool = draw(st.lists(TEXT, min_size=1, max_size=4))
    drawn = draw(posts(max_size=10, text=st.one_of(TEXT, st.sampled_from(pool))))
    sources = draw(st.lists(SOURCES, min_size=len(drawn), max_size=len(drawn)))
    return [replace(post, source=source) for post, source in zip(drawn, sources, strict=True)]


def table_of(items: list[Post], rows: int = BATCH_ROWS) -> pa.Table:
    """``items`` as a table of record batches of ``rows`` posts (chunks, as sources give)."""
    from tweetgen.records.schema import SCHEMA

    return pa.Table.from_batches(list(post_batches(items, rows)), schema=SCHEMA)


class Oracle:
    """The per-post rule of a built-in as a third-party filter (run by ``run_per_post``)."""

    def __init__(self, f: Filter) -> None:
        self.name, self.reason, self.rule = f.name, f.reason, oracle(f)

    def __call__(self, items: Iterable[Post]) -> Iterator[Post]:
        return self.rule(list(items))


def differences(f: Filter, items: list[Post], rows: int = BATCH_ROWS) -> list[str]:
    """How the column rule of ``f`` differs from its per-post oracle on ``items``."""
    table = table_of(items, rows)
    column, step = run_step(table, f)
    per_post, dropped, changed = run_per_post(table, Oracle(f))
    problems = []
    if column.column("id").to_pylist() != per_post.column("id").to_pylist():
        problems.append("kept ids differ")
    if column.column("text").to_pylist() != per_post.column("text").to_pylist():
        problems.append("texts differ")
    if (step.dropped, step.changed) != (dropped, changed):
        problems.append(f"counts {(step.dropped, step.changed)} != {(dropped, changed)}")
    streamed = list(f(list(table_posts(table))))
    if [p.text for p in streamed] != per_post.column("text").to_pylist():
        problems.append("calling the filter on posts differs from the oracle")
    return problems


def test_every_builtin_is_checked_and_has_a_column_path() -> None:
    builtins = {n for n, c in get_filters().items() if c.__module__.startswith("tweetgen.")}
    assert set(CONFIGS) == builtins
    for name, options in CASES:
        assert column_method(get_filter(name, **options)) is not None, name


@pytest.mark.parametrize(("name", "options"), CASES, ids=[f"{n}{o}" for n, o in CASES])
@SETTINGS
@given(items=post_lists())
def test_column_path_equals_per_post_path(
    name: str, options: dict[str, Any], items: list[Post]
) -> None:
    assert differences(get_filter(name, **options), items) == []


@pytest.mark.parametrize(("name", "options"), CASES, ids=[f"{n}{o}" for n, o in CASES])
@SETTINGS
@given(items=post_lists(), rows=st.integers(1, 4))
def test_column_path_equals_per_post_path_on_chunked_tables(
    name: str, options: dict[str, Any], items: list[Post], rows: int
) -> None:
    """Texts in several chunks: the byte scans read chunk by chunk."""
    assert differences(get_filter(name, **options), items, rows) == []


@pytest.mark.parametrize(
    "text",
    ["a\nhttps://t.co/x\nb", "see https://t.co/x", "a https://t.co/x\n\nb https://t.co/y."],
)
def test_remove_urls_paths_agree_on_link_lines(text: str) -> None:
    items = [Post("1", "me", text, datetime(2024, 1, 1, tzinfo=timezone.utc), "test")]
    assert differences(get_filter("remove-urls"), items) == []


class _Broken(DropShort):
    """A column path that forgets to drop: the comparison above must catch it."""

    def filter_table(self, table: pa.Table) -> TableStep:
        return TableStep(None)


def test_the_comparison_catches_a_wrong_column_path() -> None:
    items = [
        Post("1", "me", "hi", datetime(2024, 1, 1, tzinfo=timezone.utc), "test"),
        Post("2", "me", "one two three", datetime(2024, 1, 1, tzinfo=timezone.utc), "test"),
    ]
    assert differences(_Broken(), items) == [
        "kept ids differ",
        "texts differ",
        "counts (0, 0) != (1, 0)",
        "calling the filter on posts differs from the oracle",
    ]


def test_py_spaces_is_what_str_isspace_accepts() -> None:
    import pyarrow.compute as pc

    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert spaces == cx.PY_SPACES
    chars = [chr(c) for c in range(0x3100)]
    found = pc.match_substring_regex(pa.array(chars), cx.SPACE_CLASS).to_pylist()
    assert found == [c.isspace() for c in chars]


def test_arrow_splits_on_exactly_what_str_split_splits_on() -> None:
    import pyarrow.compute as pc

    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    split = pc.utf8_split_whitespace(pa.array([f"a{c}b" for c in chars]))
    tokens = pc.list_value_length(split).to_pylist()
    arrow_spaces = "".join(c for c, n in zip(chars, tokens, strict=True) if n == 2)
    assert arrow_spaces == cx.PY_SPACES


def test_word_characters_follow_unicode_categories() -> None:
    import unicodedata

    from tweetgen.filters.builtin import _ASCII_MARKS, _seed_words

    sample = [chr(c) for c in range(0x3000)] + ["😂", "日", "\U000e0001", "\u0378"]
    sample = [c for c in sample if not c.isspace() and not 0xD800 <= ord(c) <= 0xDFFF]
    expected = [int(unicodedata.category(c)[0] in "LNS" and c not in "@#＠＃") for c in sample]
    assert cx.word_counts(pa.array(sample), _seed_words, _ASCII_MARKS).tolist() == expected


def test_word_counts_in_slices_equal_the_whole() -> None:
    texts = ["one two three", "", "@a #b c", "日本語 です", "  spaced   out  words ", "x"] * 3
    from tweetgen.filters.builtin import _ASCII_MARKS, _seed_words

    whole = cx.word_counts(pa.array(texts), _seed_words, _ASCII_MARKS)
    with patch.object(cx, "WORD_COUNT_ROWS", 4):
        again = cx.word_counts(pa.array(texts), _seed_words, _ASCII_MARKS)
        assert again.tolist() == whole.tolist()
    assert whole.tolist()[:6] == [3, 0, 1, 2, 3, 1]


def test_the_comparison_catches_a_wrong_fast_word_counter() -> None:
    """Guard: drop-short's parity test catches a column word counter that is off by one."""
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    texts = ["one two three", "one two", "a b c d"]
    items = [Post(str(i), "me", text, when, "test") for i, text in enumerate(texts)]
    assert differences(DropShort(), items) == []
    real = cx.word_counts
    with patch.object(cx, "word_counts", lambda column, *rules: real(column, *rules) - 1):
        assert differences(DropShort(), items) == [
            "kept ids differ",
            "texts differ",
            "counts (2, 0) != (1, 0)",
            "calling the filter on posts differs from the oracle",
        ]


LINK_PIECES = [
    "https://t.co/Ab1", "HTTPS://T.CO/x9", "http://t.co/z", "https://t.co/a.", "https://x.com/a",
    "www.x", "t.co/", "ét.co/x", "httpſ://t.co/q", " ", "  ", "\n", "\n\n", "\t", "\x1f", "\xa0",
    "\u3000", "\u2028", "\x85", "\r\n", "\x0b", "a", "word", "é", "😂", "…", ".",
]  # fmt: skip


@SETTINGS
@given(
    texts=st.lists(
        st.lists(st.sampled_from(LINK_PIECES), max_size=10).map("".join), min_size=1, max_size=8
    ),
    rows=st.integers(1, 4),
)
def test_remove_urls_paths_agree_on_lines_of_links(texts: list[str], rows: int) -> None:
    """Links alone on their lines, between spaces of every kind: the Arrow regexes' path."""
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    items = [Post(str(i), "me", text, when, "test") for i, text in enumerate(texts)]
    assert differences(get_filter("remove-urls"), items, rows) == []


def test_break_and_space_classes_are_what_splitlines_and_isspace_say() -> None:
    import pyarrow.compute as pc

    from tweetgen.filters.builtin import BREAK_CLASS, INLINE_SPACE_CLASS, OTHER_BREAK_CLASS

    chars = [chr(c) for c in range(0x3100)]
    found = pc.match_substring_regex(pa.array(chars), BREAK_CLASS).to_pylist()
    assert found == [len(f"a{c}b".splitlines()) == 2 for c in chars]
    other = pc.match_substring_regex(pa.array(chars), OTHER_BREAK_CLASS).to_pylist()
    assert other == [len(f"a{c}b".splitlines()) == 2 and c != "\n" for c in chars]
    inline = pc.match_substring_regex(pa.array(chars), INLINE_SPACE_CLASS).to_pylist()
    assert inline == [c.isspace() and len(f"a{c}b".splitlines()) == 1 for c in chars]


MENTION_PIECES = [
    "@bob", "@a.b", "@me@x.social", "@bob's", "@bob:", "@_", "@", "＠x", "@é", "@1-2", "@@", " ",
    "  ", "\n", "\t", "\x1c", "\x1f", "\x0b", "\xa0", "\u3000", "a", "é", "-", ".", "\x01",
]  # fmt: skip


@SETTINGS
@given(
    texts=st.lists(
        st.lists(st.sampled_from(MENTION_PIECES), max_size=8).map("".join), min_size=1, max_size=8
    ),
    replies_only=st.booleans(),
    rows=st.integers(1, 4),
)
def test_strip_reply_mentions_paths_agree_on_runs_of_mentions(
    texts: list[str], replies_only: bool, rows: int
) -> None:
    """Runs of mentions in ASCII (the Arrow regex) and other texts (Python's regex)."""
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    kinds = [PostKind.REPLY, PostKind.ORIGINAL]
    items = [
        Post(str(i), "me", text, when, "test", kind=kinds[i % 2]) for i, text in enumerate(texts)
    ]
    f = get_filter("strip-reply-mentions", replies_only=replies_only)
    assert differences(f, items, rows) == []


def test_the_comparison_catches_a_candidate_test_that_misses_rows() -> None:
    """Guard: a column test that misses full-width ``＠`` leaves those replies' mentions."""
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    items = [Post("1", "me", "＠bob cat", when, "test", kind=PostKind.REPLY)]
    f = get_filter("strip-reply-mentions")
    assert differences(f, items) == []
    real = cx.starts_after_spaces
    with patch.object(cx, "starts_after_spaces", lambda column, *_: real(column, "@")):
        assert differences(f, items) == [
            "texts differ",
            "counts (0, 0) != (0, 1)",
            "calling the filter on posts differs from the oracle",
        ]


ASCII_PIECES = [
    "word", "a", "7", "$", "~", "@x", "#y", "(", "\"", "'", "(@x", "'#y", "((", "-", "...", "-a",
    "a@b", "@", "#", "_", "!", " ", "  ", "\t", "\n", "\x0b", "\x1c", "\x1f", "\x00", "\x01",
]  # fmt: skip


@SETTINGS
@given(
    texts=st.lists(
        st.lists(st.sampled_from(ASCII_PIECES), max_size=12).map("".join), min_size=1, max_size=8
    ),
    rows=st.integers(1, 4),
)
def test_drop_short_counts_ascii_texts_as_the_oracle(texts: list[str], rows: int) -> None:
    """ASCII texts of tags, openers and controls, at every word count around the limit."""
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    items = [Post(str(i), "me", text, when, "test") for i, text in enumerate(texts)]
    for min_words in (1, 2, 3):
        assert differences(DropShort(min_words=min_words), items, rows) == []
