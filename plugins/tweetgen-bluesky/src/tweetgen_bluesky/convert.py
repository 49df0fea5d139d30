"""Turn AT Protocol post records into :class:`tweetgen.Post` values."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from atproto import models

from tweetgen import InputFormatError, Post, PostKind, Url
from tweetgen.filters.languages import bcp47

SOURCE = "bluesky"
_QUOTE_EMBEDS = (models.AppBskyEmbedRecord.Main, models.AppBskyEmbedRecordWithMedia.Main)


def parse_time(value: str, uri: str) -> datetime:
    """An aware datetime; clients that forget the offset mean UTC."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputFormatError(f"{uri}: bad createdAt {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _quoted_uri(embed: Any) -> str | None:
    if isinstance(embed, models.AppBskyEmbedRecordWithMedia.Main):
        embed = embed.record
    if isinstance(embed, models.AppBskyEmbedRecord.Main):
        return str(embed.record.uri)
    return None


def _facets(
    record: models.AppBskyFeedPost.Record,
) -> tuple[tuple[Url, ...], tuple[str, ...], tuple[str, ...]]:
    """Links, mentions (handles, no ``@``) and hashtags; facet offsets count UTF-8 bytes."""
    raw = record.text.encode("utf-8")
    urls: list[Url] = []
    mentions: list[str] = []
    tags: list[str] = list(record.tags or ())
    for facet in record.facets or ():
        shown = raw[facet.index.byte_start : facet.index.byte_end].decode("utf-8", "replace")
        for feature in facet.features:
            if isinstance(feature, models.AppBskyRichtextFacet.Link):
                urls.append(Url(shown, feature.uri))
            elif isinstance(feature, models.AppBskyRichtextFacet.Mention):
                mentions.append(shown.lstrip("@") or feature.did)
            elif isinstance(feature, models.AppBskyRichtextFacet.Tag):
                tags.append(feature.tag)
    return tuple(urls), tuple(mentions), tuple(dict.fromkeys(tags))


def record_to_post(uri: str, record: models.AppBskyFeedPost.Record, author: str) -> Post:
    """A post record as written: a reply, a quote or an original."""
    urls, mentions, hashtags = _facets(record)
    quoted = _quoted_uri(record.embed)
    kind, reply_to = PostKind.ORIGINAL, None
    if record.reply is not None:
        kind, reply_to = PostKind.REPLY, record.reply.parent.uri
    elif quoted is not None:
        kind = PostKind.QUOTE
    return Post(
        id=uri,
        author=author,
        text=record.text,
        created_at=parse_time(record.created_at, uri),
        source=SOURCE,
        kind=kind,
        lang=bcp47(record.langs[0]) if record.langs else None,
        reply_to=reply_to,
        urls=urls,
        mentions=mentions,
        hashtags=hashtags,
        extra={"quoted": quoted} if quoted else {},
    )


def feed_item_to_post(item: models.AppBskyFeedDefs.FeedViewPost) -> Post | None:
    """One ``getAuthorFeed`` entry; a repost becomes a RETWEET by the reposter, dated when reposted.

    Returns None for entries whose record is not a post (nothing to learn a voice from).
    """
    view = item.post
    if not models.is_record_type(view.record, models.AppBskyFeedPost):
        return None
    post = record_to_post(view.uri, view.record, view.author.handle)
    reason = item.reason
    if not isinstance(reason, models.AppBskyFeedDefs.ReasonRepost):
        return post
    return Post(
        id=reason.uri or f"{view.uri}#repost-by-{reason.by.did}",
        author=reason.by.handle,
        text=post.text,
        created_at=parse_time(reason.indexed_at, view.uri),
        source=SOURCE,
        kind=PostKind.RETWEET,
        lang=post.lang,
        urls=post.urls,
        mentions=post.mentions,
        hashtags=post.hashtags,
        extra={"reposted": view.uri, "original_author": view.author.handle},
    )
