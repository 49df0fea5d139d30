"""X API v2 tweet objects (plain JSON dicts) to :class:`tweetgen.Post`."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tweetgen import InputFormatError, Post, PostKind, Url

SOURCE_NAME = "x-api"

#: ``referenced_tweets`` types, in the order that decides a post's kind when several apply
#: (a reply that quotes another post is a reply: that is what reply filters look for).
_KINDS = (
    ("retweeted", PostKind.RETWEET),
    ("replied_to", PostKind.REPLY),
    ("quoted", PostKind.QUOTE),
)


def _created_at(tweet: Mapping[str, Any]) -> datetime:
    raw = str(tweet.get("created_at") or "")
    try:
        # v2 writes "2023-05-01T12:00:00.000Z"; fromisoformat learnt "Z" only in 3.11.
        created = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputFormatError(f"tweet {tweet.get('id')}: bad created_at {raw!r}") from None
    if created.tzinfo is None:
        raise InputFormatError(f"tweet {tweet.get('id')}: created_at {raw!r} has no time zone")
    return created


def _text_and_entities(tweet: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """Long posts (over 280 characters) arrive truncated in ``text``, whole in ``note_tweet``."""
    note = tweet.get("note_tweet") or {}
    if note.get("text"):
        return note["text"], note.get("entities") or tweet.get("entities") or {}
    return tweet["text"], tweet.get("entities") or {}


def tweet_to_post(tweet: Mapping[str, Any], author: str) -> Post:
    """Map one v2 tweet, as the API returns it, to a Post written by ``author``."""
    try:
        tweet_id = str(tweet["id"])
        text, entities = _text_and_entities(tweet)
    except KeyError as exc:
        raise InputFormatError(f"tweet without {exc.args[0]!r}: {dict(tweet)!r:.80}") from None
    refs = {ref.get("type"): str(ref.get("id")) for ref in tweet.get("referenced_tweets") or ()}
    kind = next((k for t, k in _KINDS if t in refs), PostKind.ORIGINAL)
    extra = {
        "conversation_id": tweet.get("conversation_id"),
        "in_reply_to_user_id": tweet.get("in_reply_to_user_id"),
        "quoted_id": refs.get("quoted"),
        "retweeted_id": refs.get("retweeted"),
    }
    return Post(
        id=tweet_id,
        author=author,
        text=html.unescape(text),  # v2 escapes &, < and > once
        created_at=_created_at(tweet),
        source=SOURCE_NAME,
        kind=kind,
        lang=tweet.get("lang"),
        reply_to=refs.get("replied_to"),
        urls=tuple(Url(u["url"], u.get("expanded_url")) for u in entities.get("urls") or ()),
        mentions=tuple(m["username"] for m in entities.get("mentions") or ()),
        hashtags=tuple(h["tag"] for h in entities.get("hashtags") or ()),
        extra={k: v for k, v in extra.items() if v is not None},
    )
