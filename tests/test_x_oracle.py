"""The X archive's one tweet parser against the per-post oracle (``tests/x_oracle.py``): the same
post, field for field, or the same error, word for word, on any tweet object."""

from __future__ import annotations

from typing import Any

import x_oracle
from hypothesis import given, settings
from hypothesis import strategies as st

from tweetgen.errors import InputFormatError
from tweetgen.records.post import Post
from tweetgen.records.schema import batch_posts, post_batches
from tweetgen.sources import x_tweets
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
