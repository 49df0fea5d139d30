"""The default chain reproduces the seed's data table; composition order matters as documented."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tweetgen import Chain, Post, PostKind, get_sources
from tweetgen.corpus.corpus import Corpus
from tweetgen.filters import builtin as b
from tweetgen.filters.base import Filter
from tweetgen.pipeline import default_filters, parse_filter_spec

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def make(items: list[tuple[str, PostKind]]) -> list[Post]:
    return [
        Post(str(i), "me", text, START + timedelta(hours=i), "test", kind)
        for i, (text, kind) in enumerate(items)
    ]


OG, R, RT = PostKind.ORIGINAL, PostKind.REPLY, PostKind.RETWEET

SEED_CORPUS = [
    ("the obvious thing nobody says about parsers", OG),
    ("someone else's words", RT),
    ("RT @bob: an old-style retweet", OG),  # no kind: caught by its text
    ("lol", OG),
    ("https://t.co/abc", OG),  # emptied by remove-urls: still a short tweet
    ("me &amp; you", OG),  # two words once unescaped
    ("#tbt #throwback https://t.co/xyz", OG),
    ("@bob thanks!", R),
    ("wrote   a thing about &lt;3 and   tests https://t.co/q1", OG),
    ("line one\r\n\r\n\r\nline two is longer", OG),
    ("another retweet", RT),
    ("quoting with my own take on it", PostKind.QUOTE),
]


def test_default_chain_gives_the_seeds_table() -> None:
    corpus = Corpus.from_posts(make(SEED_CORPUS))
    filtered = corpus.filter(*default_filters())
    report = filtered.report
    assert report.table() == [
        ("downloaded", 12),
        ("retweets", 3),
        ("short tweets", 5),
        ("kept", 4),
    ]
    steps = {s.name: (s.seen, s.dropped, s.changed) for s in report.steps}
    assert steps == {
        "drop-retweets": (12, 3, 0),
        "unescape-html": (9, 0, 2),
        "remove-urls": (9, 1, 2),
        "strip-reply-mentions": (8, 0, 1),  # "@bob thanks!" -> "thanks!"
        "collapse-whitespace": (8, 0, 2),
        "drop-short": (8, 4, 0),
    }
    assert filtered.texts == [
        "the obvious thing nobody says about parsers",
        "wrote a thing about <3 and tests",
        "line one\n\nline two is longer",
        "quoting with my own take on it",
    ]
    assert filtered.report.table() == report.table()  # carried by the corpus


def texts_after(filters: list[Filter], items: list[str]) -> list[str]:
    return [p.text for p in Chain(*filters)(make([(t, OG) for t in items]))]


def test_unescape_before_drop_short() -> None:
    items = ["me &amp; you"]
    assert texts_after([b.DropShort(), b.UnescapeHtml()], items) == ["me & you"]
    assert texts_after([b.UnescapeHtml(), b.DropShort()], items) == []


def test_remove_urls_before_drop_duplicates() -> None:
    items = ["nice https://t.co/a", "nice https://t.co/b"]
    assert texts_after([b.DropDuplicates(), b.RemoveUrls()], items) == ["nice", "nice"]
    assert texts_after([b.RemoveUrls(), b.DropDuplicates()], items) == ["nice"]


def test_link_only_posts_are_short_in_either_order() -> None:
    corpus = Corpus.from_posts(
        make(
            [
                ("https://x.co/a https://x.co/b", OG),
                ("see https://x.co/a https://x.co/b", OG),
                ("a b c", OG),
            ]
        )
    )
    short_first = corpus.filter(b.DropShort(), b.RemoveUrls()).report
    urls_first = corpus.filter(b.RemoveUrls(), b.DropShort()).report
    assert [s.dropped for s in short_first.steps] == [2, 0]
    assert [s.dropped for s in urls_first.steps] == [1, 1]
    assert (
        short_first.table()
        == urls_first.table()
        == [
            ("downloaded", 3),
            ("retweets", 0),
            ("short tweets", 2),
            ("kept", 1),
        ]
    )


def test_extra_reasons_get_their_own_rows() -> None:
    corpus = Corpus.from_posts(
        make([*SEED_CORPUS, ("the obvious thing nobody says about parsers", OG)])
    )
    spec = ["drop-retweets", "drop-replies", "remove-urls", "drop-duplicates", "drop-short"]
    report = corpus.filter(*(parse_filter_spec(s) for s in spec)).report
    assert dict(report.table()) == {
        "downloaded": 13,
        "retweets": 3,
        "replies": 1,
        "short tweets": 3,  # "me &amp; you" survives: no unescape-html in this chain
        "duplicates": 1,
        "kept": 5,
    }


def test_real_archive_through_the_default_chain(milahu_archive: Path) -> None:
    if "x-archive" not in get_sources():
        pytest.skip("x-archive source not available")
    corpus = Corpus.from_source("x-archive", str(milahu_archive))
    report = corpus.filter(*default_filters()).report
    table = dict(report.table())
    assert table["downloaded"] == len(corpus)
    assert table["retweets"] == sum(1 for k in corpus.dataset["kind"] if k == "retweet")
    assert 0 < table["kept"] < table["downloaded"] - table["retweets"]
