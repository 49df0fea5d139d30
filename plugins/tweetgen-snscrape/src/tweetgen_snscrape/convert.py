"""snscrape tweets to :class:`tweetgen.Post`: one mapping for JSONL lines and live results.

A live ``snscrape.modules.twitter.Tweet`` is first turned into the very dict its ``--jsonl``
output holds (``Tweet.json()``), so both paths go through :func:`item_to_post`.
Field names changed over snscrape's life: ``content`` became ``rawContent`` (0.5),
``outlinks``/``tcooutlinks`` became ``links`` (0.6); both spellings are read.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from tweetgen import InputFormatError, Post, PostKind, Url

SOURCE_NAME = "snscrape"


def tweet_to_dict(tweet: Any) -> dict[str, Any]:
    """What ``snscrape --jsonl`` writes for ``tweet`` (datetimes as ISO strings, and so on)."""
    data: dict[str, Any] = json.loads(tweet.json())
    return data


def is_tweet(item: Mapping[str, Any]) -> bool:
    """Whether a line holds a tweet (not a ``Tombstone`` or ``TweetRef``, which have no text)."""
    return str(item.get("_type", "snscrape.modules.twitter.Tweet")).endswith(".Tweet")


def _urls(item: Mapping[str, Any]) -> Iterator[Url]:
    if item.get("links"):
        for link in item["links"]:
            yield Url(link.get("tcourl") or link["url"], link["url"])
        return
    short = item.get("tcooutlinks") or []
    for i, url in enumerate(item.get("outlinks") or ()):
        yield Url(short[i] if i < len(short) else url, url)


def _kind(item: Mapping[str, Any]) -> PostKind:
    if item.get("retweetedTweet"):
        return PostKind.RETWEET
    if item.get("inReplyToTweetId"):
        return PostKind.REPLY
    if item.get("quotedTweet"):
        return PostKind.QUOTE
    return PostKind.ORIGINAL


def _author(item: Mapping[str, Any]) -> str:
    user = item.get("user") or {}
    author = user.get("username") or item.get("username")  # snscrape < 0.4 had no user object
    if not author:
        raise KeyError("user.username")
    return str(author)


def _ref_id(tweet: Mapping[str, Any] | None) -> str | None:
    return None if not tweet else str(tweet.get("id"))


def item_to_post(item: Mapping[str, Any]) -> Post:
    """Map one snscrape tweet dict to a Post; InputFormatError when a needed field is missing."""
    try:
        text = item.get("rawContent") or item.get("content")
        if text is None:
            raise KeyError("rawContent")
        created_at = datetime.fromisoformat(str(item["date"]))
        tweet_id, author = str(item["id"]), _author(item)
    except KeyError as exc:
        raise InputFormatError(f"tweet without {exc.args[0]!r}") from None
    except ValueError:
        raise InputFormatError(f"tweet {item.get('id')}: bad date {item.get('date')!r}") from None
    if created_at.tzinfo is None:
        raise InputFormatError(f"tweet {tweet_id}: date {item['date']!r} has no time zone")
    reply_to = item.get("inReplyToTweetId")
    extra = {
        "url": item.get("url"),
        "conversation_id": item.get("conversationId") and str(item["conversationId"]),
        "quoted_id": _ref_id(item.get("quotedTweet")),
        "retweeted_id": _ref_id(item.get("retweetedTweet")),
    }
    return Post(
        id=tweet_id,
        author=author,
        text=html.unescape(text),  # X escapes &, < and > once in the text snscrape saw
        created_at=created_at,
        source=SOURCE_NAME,
        kind=_kind(item),
        lang=item.get("lang"),
        reply_to=None if reply_to is None else str(reply_to),
        urls=tuple(_urls(item)),
        mentions=tuple(u["username"] for u in item.get("mentionedUsers") or ()),
        hashtags=tuple(item.get("hashtags") or ()),
        extra={k: v for k, v in extra.items() if v is not None},
    )
