"""Long posts ("note tweets") from ``note-tweet.js``, matched back to their truncated tweets.

``tweets.js`` holds a long post cut near 280 characters (ending in ``…``); ``note-tweet.js``
holds the whole text under a different id and no tweet id at all::

    {"noteTweet": {"noteTweetId": "...", "createdAt": "2026-02-20T09:10:58.000Z",
                   "core": {"text": "...", "urls": [...], "mentions": [...], ...}}}

So a note is matched to the tweet posted in the same second whose text it starts with.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from typing import Any

from tweetgen.errors import InputFormatError
from tweetgen.records.post import Post, PostKind, Url
from tweetgen.sources.values import parse_datetime

_URL = re.compile(r"https?://\S+")
_LEADING_MENTIONS = re.compile(r"^(?:@\w+\s+)+")
_PREFIX = 40  # characters of the tweet that must open the note


@dataclass(frozen=True)
class Note:
    id: str
    second: int
    text: str
    urls: tuple[Url, ...]
    mentions: tuple[str, ...]
    hashtags: tuple[str, ...]


def _norm(text: str) -> str:
    """Text reduced to what a note and its truncated tweet share (no links, reply handles)."""
    text = " ".join(_URL.sub(" ", text).replace("…", " ").split())
    return _LEADING_MENTIONS.sub("", text)


def _pick(entities: Any, *keys: str) -> tuple[str, ...]:
    """Entity values under whichever key spelling the export used."""
    found = []
    for e in entities if isinstance(entities, list) else []:
        value = e if isinstance(e, str) else next(
            (e.get(k) for k in keys if isinstance(e, dict) and isinstance(e.get(k), str)), None
        )  # fmt: skip
        if value:
            found.append(value)
    return tuple(dict.fromkeys(found))


def parse_note(item: Any, index: int, label: str) -> Note:
    body = item.get("noteTweet") if isinstance(item, dict) else None
    core = body.get("core") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(core, dict):
        raise InputFormatError(f"note #{index + 1}: expected noteTweet.core", path=label)
    text, created = core.get("text"), body.get("createdAt")
    if not isinstance(text, str) or not isinstance(created, str):
        raise InputFormatError(f"note #{index + 1}: missing core.text or createdAt", path=label)
    try:
        second = int(parse_datetime(created).timestamp())
    except ValueError as exc:
        raise InputFormatError(f"note #{index + 1}: bad createdAt: {exc}", path=label) from None
    urls: list[Any] = core["urls"] if isinstance(core.get("urls"), list) else []
    return Note(
        id=str(body.get("noteTweetId") or ""),
        second=second,
        text=html.unescape(text),
        urls=tuple(
            Url(short, next(iter(_pick([u], "expandedUrl", "expanded_url")), None))
            for u in urls
            for short in _pick([u], "shortUrl", "url")
        ),
        mentions=_pick(core.get("mentions"), "screenName", "screen_name"),
        hashtags=_pick(core.get("hashtags"), "text", "hashtag"),
    )


class NoteIndex:
    """Notes by the second they were posted; each note is merged into at most one post."""

    def __init__(self, notes: list[Note]) -> None:
        self._by_second: dict[int, list[Note]] = {}
        self._norms: dict[str, str] = {}  # note text -> _norm(text), made once
        for note in notes:
            self._by_second.setdefault(note.second, []).append(note)

    def seconds(self) -> set[int]:
        """Seconds at which notes not yet merged were posted."""
        return {s for s, notes in self._by_second.items() if notes}

    def may_merge(self, text: str, kind: str, stamp: int) -> bool:
        """Whether :meth:`merge` could find a note for a post (it changes nothing): lets a
        reader build posts only for the rows that may really get a note."""
        if kind == PostKind.RETWEET.value:
            return False
        near = [n for s in (stamp, stamp - 1, stamp + 1) for n in self._by_second.get(s, ())]
        if not near:
            return False
        head = _norm(text)[:_PREFIX]
        return bool(head) and any(self._normed(note).startswith(head) for note in near)

    def merge(self, post: Post) -> Post:
        """``post`` with the whole text of its note, or unchanged when it has none."""
        if post.kind is PostKind.RETWEET or not self._by_second:
            return post
        stamp = int(post.created_at.timestamp())
        head = _norm(post.text)[:_PREFIX]
        for second in (stamp, stamp - 1, stamp + 1):
            candidates = self._by_second.get(second, [])
            for note in candidates:
                if head and self._normed(note).startswith(head):
                    candidates.remove(note)
                    return self._merged(post, note)
        return post

    def _normed(self, note: Note) -> str:
        found = self._norms.get(note.text)
        if found is None:
            found = self._norms[note.text] = _norm(note.text)
        return found

    @staticmethod
    def _merged(post: Post, note: Note) -> Post:
        known = {u.short for u in post.urls}
        return replace(
            post,
            text=note.text,
            urls=post.urls + tuple(u for u in note.urls if u.short not in known),
            mentions=tuple(dict.fromkeys(post.mentions + note.mentions)),
            hashtags=tuple(dict.fromkeys(post.hashtags + note.hashtags)),
            extra={**post.extra, "note_tweet_id": note.id},
        )
