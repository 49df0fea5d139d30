"""Example tests for each built-in filter, on texts and on Post objects with kinds."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from itertools import count

import pytest

from tweetgen import FilterError, Post, PostKind, get_filters
from tweetgen.filters import builtin as b
from tweetgen.filters.base import Filter
from tweetgen.pipeline import parse_filter_spec

_ids = count()


def post(text: str, kind: PostKind = PostKind.ORIGINAL, **fields: object) -> Post:
    return Post(
        id=str(fields.pop("id", next(_ids))),
        author="me",
        text=text,
        created_at=datetime(2024, 1, 1, tzinfo=timezone.utc),
        source="test",
        kind=kind,
        **fields,  # type: ignore[arg-type]
    )


def texts(f: Filter, *items: str | Post) -> list[str]:
    posts = [p if isinstance(p, Post) else post(p) for p in items]
    return [p.text for p in f(posts)]


def test_drop_retweets_by_kind_and_by_text() -> None:
    f = b.DropRetweets()
    assert f.reason == "retweets"
    rt = post("someone else said this", PostKind.RETWEET)
    assert texts(f, rt, "RT @bob: hi", "  RT @bob: hi", "mine", "ART @ the museum") == [
        "mine",
        "ART @ the museum",
    ]
    assert texts(f, post("quoting", PostKind.QUOTE), post("answer", PostKind.REPLY)) == [
        "quoting",
        "answer",
    ]


@pytest.mark.parametrize(
    ("text", "dropped"),
    [
        ("one two three", False),
        ("one two", True),
        ("@a @b #c #d https://x.co/y one two", True),
        ("@a one two three", False),
        ("(@bob) hi there", True),
        ("- - - ok", True),  # punctuation-only tokens are not words
        ("😂 😂 😂", False),  # emoji are words: they are part of a voice
        ("me & you", True),
        ("me &amp; you", False),  # that is why unescape-html runs before drop-short
        ("", True),
    ],
)
def test_drop_short(text: str, dropped: bool) -> None:
    f = b.DropShort()
    assert f.reason == "short tweets"
    assert texts(f, text) == ([] if dropped else [text])


def test_drop_short_min_words_option() -> None:
    assert texts(b.DropShort(min_words=1), "hi", "@a") == ["hi"]
    assert texts(b.DropShort(min_words=0), "") == [""]
    with pytest.raises(FilterError, match="min_words"):
        b.DropShort(min_words=-1)
    with pytest.raises(FilterError, match="min_words"):
        b.DropShort(min_words="many")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://x.co/a https://x.co/b", "see"),
        ("a http://x.com/?q=1&r=2 b", "a b"),
        ("HTTPS://EXAMPLE.COM shouting", "shouting"),
        ("(see https://x.com).", "(see)."),
        ("go to www.example.org now", "go to now"),
        ("bare t.co/AbC link", "bare link"),
        ("microsoft.co/uk is not a t.co link", "microsoft.co/uk is not a t.co link"),
        ("line one\nhttps://x.co/a\nline two", "line one\nline two"),  # no blank line
        ("one\r\n  https://x.co/a https://x.co/b \r\ntwo", "one\r\ntwo"),
        ("one\n\nhttps://x.co/a\n\ntwo", "one\n\n\ntwo"),  # blank lines of the author stay
        ("one\nsee https://x.co/a\ntwo", "one\nsee\ntwo"),
        ("no links here", "no links here"),
        ("www https://x.", "."),  # one pass would splice "www." together
    ],
)
def test_remove_urls(text: str, expected: str) -> None:
    assert texts(b.RemoveUrls(), text) == [expected]


def test_remove_urls_drops_link_only_posts_as_short_tweets() -> None:
    f = b.RemoveUrls()
    assert texts(f, "https://t.co/abc", "  https://a.b https://c.d  ") == []
    assert f.reason == "short tweets"


def test_unescape_html_once() -> None:
    f = b.UnescapeHtml()
    assert texts(f, "me &amp; you &lt;3 &gt;_&lt; &quot;hi&quot; &#39;x&#39; &#x1F600;") == [
        "me & you <3 >_< \"hi\" 'x' 😀"
    ]
    assert texts(f, "&amp;amp;") == ["&amp;"]  # exactly one level: not idempotent
    # Only semicolon-terminated entities: query strings and prose stay as written.
    assert texts(f, "?a=1&copy=2 AT&T &not this &bogus;") == ["?a=1&copy=2 AT&T &not this &bogus;"]


def test_collapse_whitespace_keeps_line_breaks() -> None:
    f = b.CollapseWhitespace()
    assert texts(f, "  a \t  b  ") == ["a b"]
    assert texts(f, "a  \r\n  b\u2028c") == ["a\nb\nc"]
    assert texts(f, "a\n\n\n\n b\n\n") == ["a\n\nb"]
    assert texts(f, " \n\t ") == []


def test_newlines_drop_or_keep() -> None:
    assert texts(b.Newlines(), "a \n b\r\n\r\nc") == ["a b c"]
    assert texts(b.Newlines(keep=False), "one line") == ["one line"]
    assert texts(b.Newlines(keep=True), "a\r\nb\rc\u2028d\n\ne") == ["a\nb\nc\nd\n\ne"]
    assert b.Newlines(keep="yes").keep is True
    with pytest.raises(FilterError, match="keep"):
        b.Newlines(keep="maybe")


def test_drop_replies() -> None:
    f = b.DropReplies()
    reply = post("@bob sure", PostKind.REPLY, reply_to="1")
    threaded = post("continuing my thread", reply_to="2")  # a source without kinds
    assert texts(f, reply, threaded, "@bob not a reply, a mention", "plain") == [
        "@bob not a reply, a mention",
        "plain",
    ]
    assert f.reason == "replies"


def test_strip_reply_mentions() -> None:
    f = b.StripReplyMentions()
    reply = post("@bob @alice.bsky.social  sure, @carol too", PostKind.REPLY, reply_to="1")
    only = post("@bob @alice", PostKind.REPLY, reply_to="1")
    original = post("@bob look at this")
    assert texts(f, reply, only, original) == ["sure, @carol too", "@bob look at this"]
    assert texts(b.StripReplyMentions(replies_only=False), original) == ["look at this"]
    possessive = post("@bob's idea is good", PostKind.REPLY, reply_to="1")
    assert texts(f, possessive) == ["@bob's idea is good"]


def test_keep_languages() -> None:
    f = b.KeepLanguages(languages="en,DE")
    posts = [
        post("hello", lang="en"),
        post("hallo", lang="de-AT"),
        post("bonjour", lang="fr"),
        post("📷", lang="qme"),
        post("?", lang="und"),
        post("no lang"),
    ]
    assert texts(f, *posts) == ["hello", "hallo", "📷", "?", "no lang"]
    strict = parse_filter_spec('keep-languages:languages=["en"]:keep_unknown=false')
    assert texts(strict, *posts) == ["hello"]
    assert f.reason == "other languages"


@pytest.mark.parametrize("bad", [None, "", [], [1], 3])
def test_keep_languages_needs_languages(bad: object) -> None:
    with pytest.raises(FilterError, match="languages"):
        b.KeepLanguages(languages=bad)  # type: ignore[arg-type]


def test_drop_duplicates_keeps_first_after_normalising() -> None:
    f = b.DropDuplicates()
    same = ("hello world", "HELLO\nWORLD ", "ＨＥＬＬＯ world")
    assert texts(f, "Hello  World", *same, "other") == ["Hello  World", "other"]
    # no state between calls
    assert texts(f, "hello world") == ["hello world"]


def test_drop_near_duplicates() -> None:
    f = b.DropNearDuplicates()
    base = "just shipped the new release of my little parser, feedback welcome"
    kept = texts(
        f,
        base,
        base + "!",
        base.upper(),
        "just shipped the new release of my little parser; feedback welcome!!",
        "something completely different about gardening and tomatoes",
    )
    assert kept == [base, "something completely different about gardening and tomatoes"]
    loose = b.DropNearDuplicates(threshold=0.3)
    assert texts(loose, "good morning everyone", "good morning to all") == ["good morning everyone"]
    with pytest.raises(FilterError, match="threshold"):
        b.DropNearDuplicates(threshold=1.5)


def test_scrub_contacts() -> None:
    f = b.ScrubContacts()
    assert texts(f, "mail jane.doe+x@example.co.uk or call +1 (555) 123-4567!") == [
        "mail [email] or call [phone]!"
    ]
    assert texts(f, "0171 1234567 or 555.123.4567") == ["[phone] or [phone]"]
    # an address glued to a dash is still an address (found by hypothesis: "0@0.AA-")
    assert texts(f, "write to jo@example.org-thanks") == ["write to [email]-thanks"]
    untouched = "@me@mastodon.social 2024-01-05 12:30, 1,000,000, pi 3.14159265358, 42"
    assert texts(f, untouched) == [untouched]
    assert texts(b.ScrubContacts(email="", phone=""), "x@y.com", "a x@y.com b") == ["a  b"]
    with pytest.raises(FilterError, match="placeholder"):
        b.ScrubContacts(phone="555")


def test_max_length_drops_long_posts() -> None:
    f = b.MaxLength(max_chars=5)
    assert texts(f, "12345", "123456") == ["12345"]
    assert b.MaxLength().max_chars == 280
    assert f.reason == "long posts"
    with pytest.raises(FilterError, match="max_chars"):
        b.MaxLength(max_chars=0)


def test_cleaned_posts_keep_id_and_fields() -> None:
    p = post("hi  there https://x.co/a", PostKind.QUOTE, lang="en")
    (out,) = b.RemoveUrls()([p])
    assert (out.id, out.kind, out.lang, out.text) == (p.id, p.kind, "en", "hi  there")
    (same,) = b.RemoveUrls()([out])
    assert same is out  # unchanged posts are passed through, not copied


def test_every_filter_builds_from_the_cli_spec() -> None:
    specs = {
        "drop-short": "drop-short:min_words=2",
        "newlines": "newlines:keep=true",
        "keep-languages": "keep-languages:languages=en,de",
        "drop-near-duplicates": "drop-near-duplicates:threshold=0.9:shingle=3",
        "scrub-contacts": "scrub-contacts:email=<email>",
        "max-length": "max-length:max_chars=500",
        "strip-reply-mentions": "strip-reply-mentions:replies_only=false",
    }
    for name in get_filters():
        f = parse_filter_spec(specs.get(name, name))
        assert isinstance(f, Filter)
        assert f.name == name
        assert name in repr(f) or type(f).__name__ in repr(f)


def test_default_chain_order() -> None:
    assert [f.name for f in b.default_filters()] == [
        "drop-retweets",
        "unescape-html",
        "remove-urls",
        "strip-reply-mentions",
        "collapse-whitespace",
        "drop-short",
    ]
    kept = [f.name for f in b.default_filters(reply_mentions=True)]
    assert "strip-reply-mentions" not in kept and len(kept) == 5
    assert b.default_filters()[0] is not b.default_filters()[0]  # fresh instances each call


PATHOLOGICAL = [
    "a" + " " * 20_000 + "b",  # a regex like [ \t]*https?:// is quadratic here
    " " * 20_000 + "https://x.co",
    "11 " * 7_000 + ":",
    "@a " * 7_000 + "@a's",
    "https://" + "." * 20_000,
    "a." * 10_000 + "@",
    "&#" * 10_000,
]


def test_pathological_texts_stay_linear() -> None:
    posts = [post(t) for t in PATHOLOGICAL]
    start = time.perf_counter()
    for name, cls in get_filters().items():
        if cls.__module__.startswith("tweetgen."):
            f = parse_filter_spec(
                "keep-languages:languages=en" if name == "keep-languages" else name
            )
            list(f(posts))
    assert time.perf_counter() - start < 10  # about 0.5 s; minutes when a regex backtracks


def test_url_start_is_the_case_insensitive_spelling() -> None:
    """``text.URL_START`` spells its letters out (for speed): it must match exactly what the
    pattern with ``re.IGNORECASE`` matches, whatever character stands at each place."""
    import re
    import sys

    from tweetgen.filters.text import URL_START

    spelled = re.compile(URL_START)
    folded = re.compile(r"(?:https?://|www\.|(?<![\w.-])t\.co/)", re.IGNORECASE)
    words = ["https://", "http://", "www.", "t.co/", "xt.co/", ".t.co/"]
    chars = [chr(c) for c in range(0x3000)] + [
        "ſ",
        "\u212a",
        "\u0130",
        "\u0131",
        chr(sys.maxunicode),
    ]
    for word in words:
        for at in range(len(word)):
            for char in chars:
                probe = word[:at] + char + word[at + 1 :]
                assert bool(spelled.search(probe)) == bool(folded.search(probe)), repr(probe)
