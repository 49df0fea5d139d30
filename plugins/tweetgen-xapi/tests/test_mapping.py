"""v2 tweet dicts to Posts, without any HTTP."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from tweetgen_xapi import tweet_to_post

from tweetgen import InputFormatError, PostKind, Url


def tweet(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "42",
        "text": "hello",
        "created_at": "2025-03-10T09:00:00.000Z",
        "edit_history_tweet_ids": ["42"],
    }
    return {**base, **fields}


def refs(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"type": t, "id": i} for t, i in pairs]


def test_original() -> None:
    post = tweet_to_post(tweet(lang="en", conversation_id="42"), "alice")
    assert (post.id, post.author, post.source, post.kind) == ("42", "alice", "x-api", "original")
    assert post.created_at == datetime(2025, 3, 10, 9, tzinfo=timezone.utc)
    assert post.lang == "en"
    assert post.extra == {"conversation_id": "42"}


@pytest.mark.parametrize(
    ("references", "kind", "reply_to"),
    [
        (refs(("retweeted", "7")), PostKind.RETWEET, None),
        (refs(("replied_to", "7")), PostKind.REPLY, "7"),
        (refs(("quoted", "7")), PostKind.QUOTE, None),
        (refs(("quoted", "8"), ("replied_to", "7")), PostKind.REPLY, "7"),
    ],
)
def test_kinds(references: list[dict[str, str]], kind: PostKind, reply_to: str | None) -> None:
    post = tweet_to_post(tweet(referenced_tweets=references), "alice")
    assert post.kind is kind
    assert post.reply_to == reply_to


def test_entities() -> None:
    entities = {
        "urls": [{"url": "https://t.co/x", "expanded_url": "https://example.org/"}],
        "mentions": [{"username": "bob", "id": "2"}],
        "hashtags": [{"tag": "amwriting"}],
    }
    post = tweet_to_post(tweet(entities=entities), "alice")
    assert post.urls == (Url("https://t.co/x", "https://example.org/"),)
    assert post.mentions == ("bob",)
    assert post.hashtags == ("amwriting",)


def test_text_is_unescaped_exactly_once() -> None:
    post = tweet_to_post(tweet(text="fish &amp; chips &lt;3 &amp;amp;"), "alice")
    assert post.text == "fish & chips <3 &amp;"


def test_long_post_uses_note_tweet_and_its_entities() -> None:
    note = {"text": "the whole long post #full", "entities": {"hashtags": [{"tag": "full"}]}}
    entities = {"hashtags": [{"tag": "cut"}]}
    post = tweet_to_post(tweet(text="the whole…", note_tweet=note, entities=entities), "a")
    assert post.text == "the whole long post #full"
    assert post.hashtags == ("full",)


@pytest.mark.parametrize("created_at", ["yesterday", "2025-03-10T09:00:00", None])
def test_bad_dates_are_input_errors(created_at: str | None) -> None:
    with pytest.raises(InputFormatError, match="created_at"):
        tweet_to_post(tweet(created_at=created_at), "alice")


def test_missing_text_is_an_input_error() -> None:
    bad = tweet()
    del bad["text"]
    with pytest.raises(InputFormatError, match="'text'"):
        tweet_to_post(bad, "alice")
