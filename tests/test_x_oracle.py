"""The X archive's one tweet parser against the per-post oracle (``tests/x_oracle.py``): the same
post, field for field, or the same error, word for word, on any tweet object; and the same
archive whichever decoder (typed, or ``json.loads``) feeds it."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import x_oracle
from hypothesis import given, settings
from hypothesis import strategies as st

from tweetgen.errors import InputFormatError, TweetgenError
from tweetgen.records.post import Post
from tweetgen.records.schema import batch_posts, post_batches
from tweetgen.sources import x_tweets
from tweetgen.sources.x_archive import XArchiveSource
from tweetgen.sources.x_tweets import Account

_ANY = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
_VALUES = st.recursive(
    _ANY, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)  # fmt: skip
_IDS = st.sampled_from(["1", "22", " 3 ", "", " ", "x\ud800", "7"]) | st.integers() | _VALUES
_TEXTS = st.sampled_from(["hi", "RT @a: b", "a &amp;amp; &lt;b&gt;", "bad \ud800", ""]) | _VALUES
_DATES = st.sampled_from([
    "Wed Jan 17 14:41:16 +0000 2024", "Wed Jan  7 14:41:16 +0100 2024", "garbage",
    "Sat Feb 30 14:41:16 +0000 2024", "2024-01-17T14:41:16Z", "1705502476", 1705502476,
    "Mon Jan 01 00:00:00 +1400 0001",
]) | _VALUES  # fmt: skip
_LINK = st.fixed_dictionaries(
    {},
    optional={
        "url": st.sampled_from(["https://t.co/a", "https://t.co/b", ""]) | _VALUES,
        "expanded_url": st.sampled_from(["https://x.com/u/status/12", "https://a.b"]) | _VALUES,
    },
)
_NAMED = st.fixed_dictionaries({}, optional={"screen_name": _TEXTS, "text": _TEXTS})
_ENTITIES = st.fixed_dictionaries(
    {},
    optional={
        k: st.lists(v | _VALUES, max_size=3) | _VALUES
        for k, v in (("urls", _LINK), ("media", _LINK), ("user_mentions", _NAMED),
                     ("hashtags", _NAMED))
    },
) | _VALUES  # fmt: skip
_CHAIN = st.fixed_dictionaries({"editTweetIds": st.lists(_IDS, max_size=3) | _VALUES})
_EDIT = st.fixed_dictionaries(
    {}, optional={"initial": _CHAIN | _VALUES, "edit": st.fixed_dictionaries(
        {"editControlInitial": _CHAIN | _VALUES}) | _VALUES},
) | _VALUES  # fmt: skip
_EXTRAS = {
    "lang": _TEXTS, "in_reply_to_status_id_str": _IDS, "in_reply_to_status_id": _IDS,
    "quoted_status_id_str": _IDS, "is_quote_status": st.sampled_from([True, "true"]) | _VALUES,
    "favorite_count": _IDS, "retweet_count": _IDS, "entities": _ENTITIES,
    "extended_entities": _ENTITIES, "edit_info": _EDIT, "deleted_at": _TEXTS,
}  # fmt: skip
#: Posts (usable id, text and date: the optional fields are what varies), and anything.
_TWEETS = st.fixed_dictionaries(
    {
        "id_str": st.sampled_from(["1", "22", " 3 ", "x"]) | st.integers(),
        "full_text": st.sampled_from(["hi", "RT @a: b", "a &amp;amp; &lt;b&gt;", "bad \ud800"]),
        "created_at": st.sampled_from(["Wed Jan 17 14:41:16 +0000 2024", "1705502476"]),
    },
    optional=_EXTRAS,
) | st.fixed_dictionaries(
    {}, optional={"id_str": _IDS, "id": _IDS, "full_text": _TEXTS, "created_at": _DATES} | _EXTRAS
)  # fmt: skip


def outcome(parse: Any, raw: Any, account: Account) -> Any:
    try:
        post: Post = parse(raw, account, index=4, label="tweets.js")
    except InputFormatError as exc:
        return str(exc)
    except OverflowError as exc:  # int(inf): both crash alike (json.loads reads Infinity)
        return repr(exc)
    (stored,) = batch_posts(next(post_batches([post])))  # as the corpus stores it
    return stored.to_record(), stored.extra


@settings(max_examples=400, deadline=None)
@given(
    tweet=_TWEETS,
    wrapped=st.booleans(),
    account=st.sampled_from([Account("me"), Account("me", "Me \ud800 & co")]),
)
def test_the_parser_agrees_with_the_oracle(
    tweet: dict[str, Any], wrapped: bool, account: Account
) -> None:
    raw = {"tweet": tweet} if wrapped else tweet
    expected = outcome(x_oracle.parse_tweet, x_oracle.unwrap(raw, 4, "tweets.js"), account)
    assert outcome(x_tweets.parse_tweet, raw, account) == expected


def test_guard_the_oracle_comparison_sees_one_field() -> None:
    raw = {"id_str": "1", "full_text": "hi", "created_at": "Wed Jan 17 14:41:16 +0000 2024"}
    good = outcome(x_tweets.parse_tweet, raw, Account("me"))
    assert good == outcome(x_oracle.parse_tweet, raw, Account("me"))
    assert good != outcome(x_oracle.parse_tweet, raw | {"lang": "en"}, Account("me"))


_STR = st.sampled_from(["1", "2", "3", " 4 ", "", "x"])
_CLEAN_LINK: st.SearchStrategy[dict[str, Any]] = st.builds(
    dict,
    url=st.sampled_from(["https://t.co/a", "https://t.co/b", ""]) | st.none(),
    expanded_url=st.sampled_from(["https://x.com/u/status/12", "https://a.b"]) | st.none(),
)
_CLEAN_ENTITIES = st.fixed_dictionaries(
    {},
    optional={
        "urls": st.lists(_CLEAN_LINK, max_size=2),
        "media": st.lists(_CLEAN_LINK, max_size=2),
        "user_mentions": st.lists(st.builds(dict, screen_name=_STR | st.none()), max_size=2),
        "hashtags": st.lists(st.builds(dict, text=_STR | st.none()), max_size=2),
    },
)
_CLEAN_CHAIN: st.SearchStrategy[dict[str, Any]] = st.builds(
    dict, editTweetIds=st.lists(_STR | st.integers(1, 5), max_size=3)
)
_GOOD_DATE = "Wed Jan 17 14:41:16 +0000 2024"
#: Tweets the typed decoder takes as they are (so it, not ``json.loads``, reads the file); now
#: and then one the rules refuse.
_CLEAN = st.fixed_dictionaries(
    {
        "id_str": st.sampled_from(["1", "2", "3", " 4 ", "1", "2", "3", "", 5]),
        "full_text": st.sampled_from(["hi", "RT @a", "&amp;", "hi", "RT @a", "&amp;", None]),
        "created_at": st.sampled_from([_GOOD_DATE] * 12 + [
            "Sat Feb 30 14:41:16 +0000 2024", "garbage", "1705502476",
            "Mon Jan 01 00:00:00 +1400 0001", None,
        ]),
    },
    optional={
        "id": _STR | st.integers(0, 5) | st.none(),
        "lang": _STR | st.none(),
        "in_reply_to_status_id_str": _STR | st.integers(0, 5) | st.none(),
        "quoted_status_id_str": _STR | st.none(),
        "is_quote_status": st.sampled_from([True, False, "true", None]),
        "favorite_count": _STR | st.integers(0, 5) | st.none(),
        "entities": _CLEAN_ENTITIES,
        "edit_info": st.builds(dict, initial=_CLEAN_CHAIN) | st.builds(
            dict, edit=st.builds(dict, editControlInitial=_CLEAN_CHAIN)),
        "deleted_at": _STR | st.none(),
    },
)  # fmt: skip


def read_both(tweets: list[dict[str, Any]]) -> list[Any]:
    """The archive of these tweets (and as deleted ones) read the typed way and by
    ``json.loads``: records and skipped counts, or the error."""
    answers: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        body = json.dumps([{"tweet": t} for t in tweets])
        (data / "tweets.js").write_text("window.YTD.tweets.part0 = " + body)
        (data / "deleted-tweets.js").write_text("window.YTD.deleted_tweets.part0 = " + body)
        for typed in (True, False):
            with pytest.MonkeyPatch.context() as patch:
                if not typed:
                    patch.setattr(x_tweets, "file_batches", _decline)
                for deleted in (False, True):
                    source = XArchiveSource()
                    try:
                        posts = list(source.read(tmp, include_deleted=deleted))
                    except TweetgenError as exc:
                        answers.append((typed, deleted, str(exc)))
                    else:
                        found = [(p.to_record(), p.extra) for p in posts]
                        answers.append((typed, deleted, found, dict(source.skipped)))
    return answers


def _decline(*args: Any, **kwargs: Any) -> Any:
    raise x_tweets.Unusual("test")


@settings(max_examples=100, deadline=None)
@given(tweets=st.lists(_CLEAN, max_size=6))
def test_the_typed_and_the_json_route_agree(tweets: list[dict[str, Any]]) -> None:
    """Refusals, dates, edit chains and deleted posts come out the same whichever decoder
    read the file (the json route is the one the oracle test checks)."""
    typed_plain, typed_deleted, json_plain, json_deleted = read_both(tweets)
    assert typed_plain[1:] == json_plain[1:]
    assert typed_deleted[1:] == json_deleted[1:]
