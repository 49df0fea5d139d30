"""Hypothesis properties of every built-in filter, and meta-tests that none is left out.

Every filter: never raises on any unicode text and any post kind, keeps ids and order, and is
idempotent unless listed in NOT_IDEMPOTENT. Each filter also has its own property below,
registered in PROPERTIES; a meta-test checks that every built-in filter has one and a section
in docs/filters.md.
"""

from __future__ import annotations

import html
import os
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from filter_oracle import clean_text, count_words, oracle, post_length
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tweetgen import Post, PostKind, get_filters
from tweetgen.filters import builtin as b
from tweetgen.filters.base import Filter
from tweetgen.filters.dedup import shingles
from tweetgen.filters.scripts import is_unspaced
from tweetgen.filters.text import is_word, normalise, remove_urls
from tweetgen.testing.strategies import posts, texts

DOCS = Path(__file__).resolve().parents[1] / "docs" / "filters.md"

#: unescape-html unescapes one level: ``&amp;amp;`` -> ``&amp;`` -> ``&`` (see docs).
NOT_IDEMPOTENT = {"unescape-html"}

#: Independent of the implementation's regex: any of these left over is a URL left over.
URL_LEFT = re.compile(r"https?://|www\.|(?<![\w.-])t\.co/", re.IGNORECASE)
EMAIL_LEFT = re.compile(r"(?<![\w.+@-])\w[\w.+-]*@[\w-]+\.[a-z]{2,}\b", re.IGNORECASE)
BREAKS = re.compile(r"[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")

#: Posts and texts from the strategies tweetgen ships for plugin authors (tweetgen.testing).
TEXT = texts()


FAST = settings(
    max_examples=int(os.environ.get("TWEETGEN_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def run(f: Filter, items: list[Post]) -> list[Post]:
    return list(f(items))


def check_common(name: str, f: Filter, items: list[Post]) -> list[Post]:
    """Ids kept in order; idempotent unless excepted. Returns the output for more checks."""
    out = run(f, items)
    ids = [p.id for p in items]
    kept = [p.id for p in out]
    assert kept == [i for i in ids if i in set(kept)]
    if name not in NOT_IDEMPOTENT:
        again = run(f, out)
        assert [(p.id, p.text) for p in again] == [(p.id, p.text) for p in out]
    return out


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def by_id(items: list[Post]) -> dict[str, Post]:
    return {p.id: p for p in items}


# one property per filter ----------------------------------------------------------------


@FAST
@given(posts())
def test_prop_drop_retweets(items: list[Post]) -> None:
    out = check_common("drop-retweets", b.DropRetweets(), items)
    expected = [
        p
        for p in items
        if p.kind is not PostKind.RETWEET and not p.text.lstrip().startswith("RT @")
    ]
    assert out == expected


#: Unicode names of the letters of scripts written without spaces: an oracle for the short
#: rule that does not share the implementation's code point ranges.
UNSPACED_NAMES = (
    "CJK ", "HIRAGANA", "KATAKANA", "HENTAIGANA", "HALFWIDTH KATAKANA", "THAI ", "LAO ",
    "TIBETAN", "MYANMAR", "KHMER", "IDEOGRAPHIC",
)  # fmt: skip


def unspaced_by_name(char: str) -> bool:
    return unicodedata.category(char)[0] == "L" and unicodedata.name(char, "").startswith(
        UNSPACED_NAMES
    )


def length_by_name(text: str) -> int:
    """Words, with two letters of an unspaced script for a word (rounded up, per token)."""
    total = 0
    for token in remove_urls(text).split():
        if is_word(token):
            letters = sum(map(unspaced_by_name, token))
            total += -(-letters // 2) if letters else 1
    return total


#: Texts mixing spaced and unspaced scripts, so the properties meet both.
MIXED = st.lists(
    st.one_of(
        st.text(alphabet="日本語の投稿です中文帖子ภาษาไทยລາວខ្មែរမြန်မာཀཁ", min_size=1, max_size=12),
        st.text(alphabet="abc déf 123 @x #y https://t.co/z ", max_size=12),
        TEXT,
    ),
    max_size=4,
).map(" ".join)


@FAST
@given(posts(text=MIXED), st.integers(0, 5))
def test_prop_drop_short(items: list[Post], min_words: int) -> None:
    out = check_common("drop-short", b.DropShort(min_words=min_words), items)
    kept = {p.id for p in out}
    for p in items:
        assert (p.id in kept) == (length_by_name(p.text) >= min_words)
    assert all(p in items for p in out)  # drops only, never rewrites


@FAST
@given(MIXED)
def test_prop_length_is_the_seeds_count_without_unspaced_scripts(text: str) -> None:
    """Never shorter than the seed's count; the same when no unspaced script is present."""
    assert post_length(text) >= count_words(text)
    if not any(map(unspaced_by_name, text)):
        assert post_length(text) == count_words(text)


@FAST
@given(st.text(alphabet="日本語の投稿です中文帖子ภาษาไทย", min_size=1, max_size=40))
def test_prop_unspaced_posts_count_two_letters_a_word(text: str) -> None:
    assert post_length(text) == -(-len(text) // 2)
    assert (post_length(text) >= 3) == (len(text) >= 5)


def test_the_script_ranges_match_the_unicode_names() -> None:
    """Every code point: the ranges in tweetgen.filters.scripts agree with the names."""
    wrong = [hex(c) for c in range(0x110000) if is_unspaced(chr(c)) != unspaced_by_name(chr(c))]
    assert wrong == []


def test_the_seeds_rule_is_an_option() -> None:
    seed = b.DropShort(by_script=False)
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    japanese = Post(
        id="1", author="a", text="今日はとても良い天気ですね", created_at=when, source="t"
    )
    assert not list(oracle(seed)([japanese])) and list(oracle(b.DropShort())([japanese]))
    assert not list(seed([japanese])) and list(b.DropShort()([japanese]))


URLS = st.builds(
    "{}{}{}".format,
    st.sampled_from(["http://", "https://", "HTTPS://", "www.", "t.co/"]),
    st.from_regex(r"[a-z0-9-]{1,10}(\.[a-z]{2,5}){0,2}", fullmatch=True),
    st.text(st.characters(blacklist_categories=["Zs", "Zl", "Zp", "Cc"]), max_size=20),
)


@FAST
@given(posts(), st.lists(st.tuples(TEXT, URLS), max_size=4), TEXT)
def test_prop_remove_urls(items: list[Post], embedded: list[tuple[str, str]], tail: str) -> None:
    f = b.RemoveUrls()
    out = check_common("remove-urls", f, items)
    for p in out:
        assert not URL_LEFT.search(p.text), p.text
        assert len(p.text) <= len(by_id(items)[p.id].text)
    text = " ".join(f"{before} {url}" for before, url in embedded) + " " + tail
    cleaned = clean_text(f, text)
    assert not URL_LEFT.search(cleaned)
    assert len(cleaned) <= len(text)
    if not URL_LEFT.search(text):
        assert cleaned == text


@FAST
@given(posts(), st.text(max_size=60), st.booleans())
def test_prop_unescape_html(items: list[Post], raw: str, quote: bool) -> None:
    f = b.UnescapeHtml()
    out = check_common("unescape-html", f, items)
    for p in out:
        assert len(p.text) <= len(by_id(items)[p.id].text)
    # Undoes exactly one level of escaping, as the X API applies it (and no more).
    assert clean_text(f, html.escape(raw, quote=quote)) == raw
    assert clean_text(f, html.escape(html.escape(raw))) == html.escape(raw)


@FAST
@given(posts())
def test_prop_collapse_whitespace(items: list[Post]) -> None:
    out = check_common("collapse-whitespace", b.CollapseWhitespace(), items)
    for p in out:
        text = p.text
        assert text == text.strip() and "  " not in text and "\n\n\n" not in text
        assert all(c in " \n" for c in text if c.isspace())
        assert " \n" not in text and "\n " not in text
        assert "".join(text.split()) == "".join(by_id(items)[p.id].text.split())


@FAST
@given(posts(), st.booleans())
def test_prop_newlines(items: list[Post], keep: bool) -> None:
    out = check_common("newlines", b.Newlines(keep=keep), items)
    for p in out:
        before = by_id(items)[p.id].text
        assert len(p.text) <= len(before)
        if keep:
            assert all(c == "\n" for c in BREAKS.findall(p.text))
            assert p.text.count("\n") == len(BREAKS.findall(before.replace("\r\n", "\n")))
        else:
            assert not BREAKS.search(p.text)
            assert "".join(p.text.split()) == "".join(before.split())


@FAST
@given(posts())
def test_prop_drop_replies(items: list[Post]) -> None:
    out = check_common("drop-replies", b.DropReplies(), items)
    assert out == [p for p in items if p.kind is not PostKind.REPLY and p.reply_to is None]


@FAST
@given(posts(), st.lists(st.from_regex(r"@[A-Za-z0-9_]{1,15}", fullmatch=True), max_size=3), TEXT)
def test_prop_strip_reply_mentions(items: list[Post], mentions: list[str], rest: str) -> None:
    f = b.StripReplyMentions()
    out = check_common("strip-reply-mentions", f, items)
    for p in out:
        before = by_id(items)[p.id]
        assert before.text.endswith(p.text)  # only a prefix is ever removed
        if before.kind is not PostKind.REPLY:
            assert p.text == before.text
    body = "hello " + rest
    assert clean_text(f, " ".join([*mentions, body])) == body


@FAST
@given(posts(), st.lists(st.sampled_from(["en", "de", "fr", "zh"]), min_size=1), st.booleans())
def test_prop_keep_languages(items: list[Post], languages: list[str], keep_unknown: bool) -> None:
    out = check_common(
        "keep-languages", b.KeepLanguages(languages=languages, keep_unknown=keep_unknown), items
    )
    known = {"en", "de", "fr", "zh", "ja"}
    for p in items:
        primary = (p.lang or "").lower().split("-")[0]
        expected = primary in languages if primary in known else keep_unknown
        assert (p in out) == expected


@FAST
@given(posts(max_size=12))
def test_prop_drop_duplicates(items: list[Post]) -> None:
    out = check_common("drop-duplicates", b.DropDuplicates(), items)
    keys = [normalise(p.text) for p in out]
    assert len(keys) == len(set(keys))
    assert {normalise(p.text) for p in items} == set(keys)


@st.composite
def related(draw: st.DrawFn) -> list[Post]:
    """Posts edited from one another, so near-duplicates at every similarity occur."""
    texts = [draw(TEXT)]
    for _ in range(draw(st.integers(0, 7))):
        src = draw(st.sampled_from(texts))
        at = draw(st.integers(0, len(src)))
        cut = draw(st.integers(0, 3))
        texts.append(src[:at] + draw(st.text(max_size=3)) + src[at + cut :])
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return [Post(str(i), "me", t, now, "test") for i, t in enumerate(texts)]


@FAST
@given(
    st.one_of(posts(max_size=12), related()), st.sampled_from([0.5, 0.8, 1.0]), st.integers(1, 5)
)
def test_prop_drop_near_duplicates(items: list[Post], threshold: float, size: int) -> None:
    f = b.DropNearDuplicates(threshold=threshold, shingle=size)
    out = check_common("drop-near-duplicates", f, items)
    kept = [shingles(p.text, size) for p in out]
    # MinHash finds pairs at the threshold with p >= 0.99 and pairs this close almost surely.
    sure = max(threshold, 0.95)
    assert all(jaccard(x, y) < sure for i, x in enumerate(kept) for y in kept[i + 1 :])
    position = {p.id: i for i, p in enumerate(items)}
    for p in items:
        if p not in out:  # dropped: an earlier kept post is similar enough (checked exactly)
            earlier = [s for q, s in zip(out, kept, strict=True) if position[q.id] < position[p.id]]
            assert any(jaccard(shingles(p.text, size), s) >= threshold for s in earlier)


EMAILS = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,9}@[a-z0-9-]{1,8}\.[a-z]{2,4}", fullmatch=True)
PHONES = st.from_regex(r"\+[1-9]\d{0,2} \d{3} \d{3} \d{4}|\(\d{3}\) \d{3}-\d{4}", fullmatch=True)


@FAST
@given(posts(), st.lists(st.tuples(TEXT, st.one_of(EMAILS, PHONES)), max_size=3))
def test_prop_scrub_contacts(items: list[Post], embedded: list[tuple[str, str]]) -> None:
    f = b.ScrubContacts()
    out = check_common("scrub-contacts", f, items)
    for p in out:
        assert not EMAIL_LEFT.search(p.text), p.text
    contacts = [c for _, c in embedded]
    text = " ".join(f"{before} {contact} ." for before, contact in embedded)
    cleaned = clean_text(f, text)
    for contact in contacts:
        assert contact not in cleaned


@FAST
@given(posts(), st.integers(1, 40))
def test_prop_max_length(items: list[Post], max_chars: int) -> None:
    out = check_common("max-length", b.MaxLength(max_chars=max_chars), items)
    assert out == [p for p in items if len(p.text) <= max_chars]


@FAST
@given(st.text(max_size=12))
def test_prop_is_word_ignores_tags(token: str) -> None:
    assert not is_word("@" + token) and not is_word("#" + token)


PROPERTIES: dict[str, Callable[[], None]] = {
    "drop-retweets": test_prop_drop_retweets,
    "drop-short": test_prop_drop_short,
    "remove-urls": test_prop_remove_urls,
    "unescape-html": test_prop_unescape_html,
    "collapse-whitespace": test_prop_collapse_whitespace,
    "newlines": test_prop_newlines,
    "drop-replies": test_prop_drop_replies,
    "strip-reply-mentions": test_prop_strip_reply_mentions,
    "keep-languages": test_prop_keep_languages,
    "drop-duplicates": test_prop_drop_duplicates,
    "drop-near-duplicates": test_prop_drop_near_duplicates,
    "scrub-contacts": test_prop_scrub_contacts,
    "max-length": test_prop_max_length,
}


def builtin_names() -> set[str]:
    return {n for n, cls in get_filters().items() if cls.__module__.startswith("tweetgen.")}


def test_every_builtin_filter_has_a_property_test() -> None:
    assert set(PROPERTIES) == builtin_names()


def test_every_builtin_filter_has_a_docs_section() -> None:
    headings = set(re.findall(r"^#{2,4} `([a-z-]+)`", DOCS.read_text(encoding="utf-8"), re.M))
    assert builtin_names() <= headings, builtin_names() - headings


def test_unescape_html_is_not_idempotent_on_double_escaping() -> None:
    f = b.UnescapeHtml()
    assert clean_text(f, clean_text(f, "&amp;amp;")) != clean_text(f, "&amp;amp;")
