"""Hypothesis strategies for posts, corpora and the raw records of the built-in sources.

Needs hypothesis (``pip install 'tweetgen[testing]'``)::

    from hypothesis import given
    from tweetgen.testing.strategies import posts

    @given(posts())
    def test_my_filter_keeps_order(items):
        ...

The text is hostile on purpose: URLs, mentions, hashtags, HTML entities, CJK, emoji (with
joiners and flags), combining marks, every kind of line break, and plain random unicode.
Dates are always timezone-aware, with offsets other than UTC too.

``st.builds(Post)`` cannot work (hypothesis draws naive datetimes for ``created_at``); use
:func:`post`, or ``st.from_type(Post)``, which this module registers (importing it is enough;
``pip install 'tweetgen[testing]'`` also registers it through hypothesis' entry point).
"""

from __future__ import annotations

import html
import json
import operator
import string
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from tweetgen.records.post import Post, PostKind, Url

if TYPE_CHECKING:
    from tweetgen.corpus.corpus import Corpus

#: Pieces that trip text filters, glued together by :func:`texts`.
FRAGMENTS: tuple[str, ...] = (
    "http://", "https://", "HTTP://", "www.", "www", "t.co/", "x.com/a?b=1&c=2", ".", ",", ")",
    "(", " ", "  ", "\t", "\n", "\r\n", "\u2028", "\u00a0", "&amp;", "&lt;", "&gt;", "&", ";",
    "#", "@", "@bob", "@a.bsky.social", "RT @", "a@b.co", "+1 555 123 4567", "555-123-4567",
    "12", "word", "Word", "ünï", "e\u0301", "😂", "👩\u200d💻", "🇯🇵", "日本語", "中文", "한국어",
    "\u200b", "&#x1F600;", "&amp;amp;",
)  # fmt: skip

#: Language tags as sources report them, odd ones included (X's ``qme``/``und``, case, empty).
LANGS: tuple[str, ...] = ("en", "en-GB", "de", "fr", "ja", "und", "qme", "", "ZH")

#: Posts are dated between these (aware; drawn with offsets from -12:00 to +14:00).
EARLIEST = datetime(2006, 3, 21)
LATEST = datetime(2030, 12, 31)

_WORD_CHARS = string.ascii_letters + string.digits + "_"
_HANDLE = st.text(_WORD_CHARS, min_size=1, max_size=15)
_TAG = st.builds(
    operator.add, st.sampled_from(string.ascii_letters), st.text(_WORD_CHARS, max_size=11)
)


def texts(max_size: int = 60) -> st.SearchStrategy[str]:
    """Any unicode text, or a string glued from :data:`FRAGMENTS` (half of each)."""
    glued = st.lists(
        st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=max_size // 4 or 1
    ).map("".join)
    return st.one_of(st.text(max_size=max_size), glued)


def cjk_texts(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text in CJK scripts and emoji, with no spaces between words (as such posts are)."""
    alphabet = st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK ideographs
        st.characters(min_codepoint=0x3040, max_codepoint=0x30FF),  # kana
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),  # hangul
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),  # emoji
        st.sampled_from("。、！？「」"),
    )
    return st.text(alphabet, max_size=max_size)


def timezones() -> st.SearchStrategy[timezone]:
    """UTC or a fixed offset (needs no tz database, so it runs anywhere)."""
    minutes = st.integers(-12 * 60, 14 * 60).map(lambda m: timedelta(minutes=m))
    return st.one_of(st.just(timezone.utc), minutes.map(timezone))


def aware_datetimes() -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes, as every :class:`Post` must have."""
    return st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=timezones())


def languages() -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(LANGS))


def urls() -> st.SearchStrategy[Url]:
    """A t.co-style short link and where it leads (sometimes unknown)."""
    short = _HANDLE.map(lambda s: f"https://t.co/{s}")
    expanded = st.one_of(
        st.none(),
        st.builds("https://{}.example/{}".format, _TAG, st.text(max_size=12)),
    )
    return st.builds(Url, short, expanded)


def extras() -> st.SearchStrategy[dict[str, Any]]:
    """JSON-serialisable ``Post.extra`` dicts (what sources put there)."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=10)
    )
    return st.one_of(st.just({}), st.dictionaries(st.text(max_size=8), scalars, max_size=3))


# Built once: building strategies inside every draw would cost more than drawing from them.
_KINDS = st.sampled_from(list(PostKind))
_TEXTS = st.one_of(texts(), cjk_texts())
_DATES = aware_datetimes()
_LANGUAGES = languages()
_URL_LISTS = st.lists(urls(), max_size=2)
_EXTRAS = extras()
_IDS = st.integers(1, 2**63 - 1).map(str)


def _draw_post(
    draw: st.DrawFn,
    id: str,
    text: st.SearchStrategy[str] | None,
    kinds: st.SearchStrategy[PostKind] | None,
) -> Post:
    kind = draw(kinds if kinds is not None else _KINDS)
    body = draw(text if text is not None else _TEXTS)
    mentions: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    links: tuple[Url, ...] = ()
    with_entities: bool = draw(st.booleans())
    if with_entities:  # entities, and their text appended (or, sometimes, not)
        mentions = tuple(draw(st.lists(_HANDLE, max_size=2)))
        hashtags = tuple(draw(st.lists(_TAG, max_size=2)))
        links = tuple(draw(_URL_LISTS))
        in_text: bool = draw(st.booleans())
        if in_text:
            tail = [*(f"@{m}" for m in mentions), *(f"#{h}" for h in hashtags)]
            body = " ".join([body, *tail, *(u.short for u in links)])
    if kind is PostKind.RETWEET:
        body = f"RT @{draw(_HANDLE)}: {body}"
    return Post(
        id=id,
        author="me",
        text=body,
        created_at=draw(_DATES),
        source="test",
        kind=kind,
        lang=draw(_LANGUAGES),
        reply_to=draw(_IDS) if kind is PostKind.REPLY else None,
        urls=links,
        mentions=mentions,
        hashtags=hashtags,
        extra=draw(_EXTRAS),
    )


@st.composite
def post(
    draw: st.DrawFn,
    *,
    text: st.SearchStrategy[str] | None = None,
    kinds: st.SearchStrategy[PostKind] | None = None,
) -> Post:
    """One post of any kind (author ``me``, source ``test``), with entities also in its text.

    Replies always have ``reply_to`` (others never); a retweet's text starts ``RT @user:``.
    """
    return _draw_post(draw, draw(_IDS), text, kinds)


@st.composite
def posts(
    draw: st.DrawFn,
    min_size: int = 0,
    max_size: int = 8,
    *,
    text: st.SearchStrategy[str] | None = None,
    kinds: st.SearchStrategy[PostKind] | None = None,
) -> list[Post]:
    """A list of posts with unique ids ``"0"``, ``"1"``... in order, as a source yields them."""
    n = draw(st.integers(min_size, max_size))
    return [_draw_post(draw, str(i), text, kinds) for i in range(n)]


@st.composite
def corpora(draw: st.DrawFn, min_size: int = 0, max_size: int = 8) -> Corpus:
    """A :class:`tweetgen.Corpus` of :func:`posts`."""
    from tweetgen.corpus.corpus import Corpus

    return Corpus.from_posts(draw(posts(min_size, max_size)), meta={"source": "test"})


# raw records of the built-in sources ---------------------------------------------------------


def _x_date(when: datetime) -> str:
    return when.strftime("%a %b %d %H:%M:%S %z %Y")


@st.composite
def x_archive_tweets(draw: st.DrawFn) -> dict[str, Any]:
    """One ``{"tweet": {...}}`` object of an X archive's ``tweets.js``.

    As X writes it: numbers as strings, ``full_text`` HTML-escaped once, entities beside it,
    ``in_reply_to_status_id_str`` absent (not null) on posts that are not replies.
    """
    p = draw(post())
    body: dict[str, Any] = {
        "id_str": p.id,
        "id": p.id,
        "created_at": _x_date(p.created_at),
        "full_text": html.escape(p.text, quote=False),
        "lang": p.lang if p.lang else "und",
        "favorite_count": str(draw(st.integers(0, 10**6))),
        "retweet_count": str(draw(st.integers(0, 10**6))),
        "retweeted": False,
        "entities": {
            "hashtags": [{"text": h, "indices": ["0", "0"]} for h in p.hashtags],
            "user_mentions": [
                {"screen_name": m, "name": m, "id_str": "1", "indices": ["0", "0"]}
                for m in p.mentions
            ],
            "urls": [
                {"url": u.short, "expanded_url": u.expanded or u.short, "indices": ["0", "0"]}
                for u in p.urls
            ],
        },
    }
    if p.reply_to:
        body["in_reply_to_status_id_str"] = p.reply_to
    return {"tweet": body}


def tweets_js(records: list[dict[str, Any]]) -> str:
    """The text of a ``data/tweets.js`` holding ``records`` (see :func:`x_archive_tweets`)."""
    return "window.YTD.tweets.part0 = " + json.dumps(records, ensure_ascii=False, indent=2)


@st.composite
def jsonl_records(draw: st.DrawFn) -> dict[str, Any]:
    """One object of the ``jsonl`` source: the columns ``Corpus.to_jsonl`` writes."""
    record = draw(post(text=texts().filter(bool))).to_record()
    record["created_at"] = record["created_at"].isoformat()
    record["extra"] = json.loads(record["extra"])
    return record


@st.composite
def csv_rows(draw: st.DrawFn) -> dict[str, str]:
    """One row of the ``csv`` source, as strings keyed by the default column names."""
    p = draw(post(text=texts().filter(lambda t: bool(t) and "\x00" not in t)))
    return {
        "id": p.id,
        "text": p.text,
        "created_at": p.created_at.isoformat(),
        "author": p.author,
        "kind": p.kind.value,
        "lang": p.lang or "",
        "reply_to": p.reply_to or "",
        "mentions": " ".join(p.mentions),
        "hashtags": " ".join(p.hashtags),
    }


def _hypothesis_setup_hook() -> None:
    """Called by hypothesis through its ``hypothesis`` entry point: ``from_type(Post)`` works."""
    st.register_type_strategy(Post, post())
    st.register_type_strategy(Url, urls())


_hypothesis_setup_hook()

__all__ = [
    "FRAGMENTS",
    "LANGS",
    "aware_datetimes",
    "cjk_texts",
    "corpora",
    "csv_rows",
    "extras",
    "jsonl_records",
    "languages",
    "post",
    "posts",
    "texts",
    "timezones",
    "tweets_js",
    "urls",
    "x_archive_tweets",
]
