"""What the export and the API have in common: dates, and HTML statuses made into Posts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from tweetgen import InputFormatError, Post, PostKind
from tweetgen.filters.languages import bcp47
from tweetgen_mastodon.content import render

SOURCE = "mastodon"


def parse_time(value: Any, where: str) -> datetime:
    """An aware datetime from Mastodon's ISO 8601 (``2024-05-01T12:00:00.000Z``)."""
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InputFormatError(f"{where}: bad timestamp {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def html_post(
    *,
    id: str,
    author: str,
    html: str,
    created_at: datetime,
    kind: PostKind,
    lang: str | None = None,
    reply_to: str | None = None,
    accts: Mapping[str, str] | None = None,
    hashtags: Sequence[str] = (),
    extra: dict[str, Any] | None = None,
) -> Post:
    """A Post whose text, links and mentions come from Mastodon's HTML ``content``."""
    rendered = render(html, accts)
    return Post(
        id=id,
        author=author,
        text=rendered.text,
        created_at=created_at,
        source=SOURCE,
        kind=kind,
        lang=bcp47(lang),  # Mastodon exports write zh-CN as zhCn
        reply_to=reply_to,
        urls=rendered.urls,
        mentions=rendered.mentions,
        hashtags=tuple(dict.fromkeys(t.lstrip("#") for t in hashtags)),
        extra=extra or {},
    )
