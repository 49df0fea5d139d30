"""The one record type every source produces."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from tweetgen.errors import InputFormatError


class PostKind(str, Enum):
    """What a post is relative to other posts; filters key off this, not off text prefixes."""

    ORIGINAL = "original"
    REPLY = "reply"
    RETWEET = "retweet"
    QUOTE = "quote"


@dataclass(frozen=True, slots=True)
class Url:
    """A link as written in the post (``short``, e.g. t.co) and where it leads (``expanded``)."""

    short: str
    expanded: str | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """A single post from any source.

    ``created_at`` is always timezone-aware so posts from different sources sort together.
    ``extra`` holds source-specific fields and must be JSON-serialisable (it is stored as JSON).
    """

    id: str
    author: str
    text: str
    created_at: datetime
    source: str
    kind: PostKind = PostKind.ORIGINAL
    lang: str | None = None
    reply_to: str | None = None
    urls: tuple[Url, ...] = ()
    mentions: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise InputFormatError(f"post {self.id}: created_at must be timezone-aware")
        if not isinstance(self.kind, PostKind):
            object.__setattr__(self, "kind", PostKind(self.kind))

    def with_text(self, text: str) -> Post:
        """A copy with new text: filters that clean text use this."""
        return replace(self, text=text)

    def to_record(self) -> dict[str, Any]:
        """Flat, Arrow-friendly dict (see :data:`tweetgen.corpus.corpus.FEATURES`)."""
        return {
            "id": self.id,
            "author": self.author,
            "text": self.text,
            "created_at": self.created_at.astimezone(timezone.utc),
            "source": self.source,
            "kind": self.kind.value,
            "lang": self.lang,
            "reply_to": self.reply_to,
            "urls": [{"short": u.short, "expanded": u.expanded} for u in self.urls],
            "mentions": list(self.mentions),
            "hashtags": list(self.hashtags),
            "extra": json.dumps(self.extra, sort_keys=True, ensure_ascii=False),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Post:
        created = record["created_at"]
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        extra = record.get("extra") or "{}"
        return cls(
            id=str(record["id"]),
            author=record["author"],
            text=record["text"],
            created_at=created,
            source=record["source"],
            kind=PostKind(record.get("kind") or "original"),
            lang=record.get("lang"),
            reply_to=record.get("reply_to"),
            urls=tuple(Url(u["short"], u.get("expanded")) for u in record.get("urls") or ()),
            mentions=tuple(record.get("mentions") or ()),
            hashtags=tuple(record.get("hashtags") or ()),
            extra=json.loads(extra) if isinstance(extra, str) else dict(extra),
        )
