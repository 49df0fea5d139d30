"""An account export's ``outbox.json`` (an ActivityPub OrderedCollection) as Posts.

``Create`` of a ``Note`` (or a poll, ``Question``) is a post: a reply when it has ``inReplyTo``.
``Announce`` is a boost (RETWEET); the export names the boosted post only by URI, so its text is
empty. Direct messages are left out, and so are other activities (a ``Like``, a ``Create`` of
an ``Event``...); both are counted, for the data table. The rule for a direct message, from
how Mastodon addresses a status: a status whose ``to`` and ``cc`` hold neither the Public
collection nor a followers collection was addressed only to the people it mentions, which is
what a direct message is. Public, unlisted and followers-only posts are kept.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tweetgen import InputFormatError, Post, PostKind
from tweetgen.records.profile import Profile
from tweetgen_mastodon.archive import Export
from tweetgen_mastodon.content import acct_from_url
from tweetgen_mastodon.posts import SOURCE, html_post, parse_time

#: Reasons items are left out, as the data table's rows name them.
DIRECT = "direct messages"
NOT_POSTS = "other activities"
PUBLIC = frozenset({"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})
_POST_TYPES = ("Note", "Question", "Article")


@dataclass(frozen=True)
class Account:
    acct: str  # ``user@host``
    followers: str | None


def load_json(data: bytes | None, label: str) -> Any:
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputFormatError(f"not valid JSON ({exc})", path=label) from None
    except RecursionError:
        raise InputFormatError("JSON nested too deeply", path=label) from None


def read_profile(export: Export) -> Profile | None:
    """The account's face: actor.json's ``name``, and the avatar beside it (no handle: None)."""
    try:
        actor = load_json(export.actor, export.label)
    except InputFormatError:  # the posts' reader reports it; the face is only left out
        return None
    if not isinstance(actor, dict) or not actor.get("preferredUsername"):
        return None
    return Profile.make(_account(actor, []).acct, actor.get("name"), export.avatar)


def read_outbox(export: Export, skipped: Counter[str] | None = None) -> Iterator[Post]:
    """Every post in the export, oldest first as Mastodon writes them. Each item left out is
    counted in ``skipped`` by reason (:data:`DIRECT`, :data:`NOT_POSTS`): the data table shows
    them, so its first row is the export's own item count."""
    outbox = load_json(export.outbox, export.label)
    items = outbox.get("orderedItems") if isinstance(outbox, dict) else None
    if not isinstance(items, list):
        raise InputFormatError("not an ActivityPub outbox (no orderedItems)", path=export.label)
    account = _account(load_json(export.actor, export.label), items)
    counts = Counter[str]() if skipped is None else skipped
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not _is_post(item):
            counts[NOT_POSTS] += 1
            continue
        if is_direct(item, account.followers):
            counts[DIRECT] += 1
            continue
        try:
            yield _activity(item, account.acct)
        except (KeyError, TypeError) as exc:
            raise InputFormatError(f"item {number}: missing {exc}", path=export.label) from None


def _account(actor: Any, items: list[Any]) -> Account:
    """``user@host`` from actor.json's preferredUsername, else from the activities' actor URL."""
    if isinstance(actor, dict) and actor.get("preferredUsername"):
        host = urlsplit(str(actor.get("id") or actor.get("url") or "")).hostname
        user = str(actor["preferredUsername"])
        followers = actor.get("followers")
        return Account(f"{user}@{host}" if host else user, followers if followers else None)
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("actor"), str):
            return Account(acct_from_url(item["actor"]) or item["actor"], None)
    return Account("unknown", None)


def is_direct(item: dict[str, Any], followers: str | None) -> bool:
    """Addressed neither to the public nor to followers: a direct message (see module doc)."""
    obj = item.get("object")
    audience = {*_as_list(item.get("to")), *_as_list(item.get("cc"))}
    if isinstance(obj, dict):
        audience |= {*_as_list(obj.get("to")), *_as_list(obj.get("cc"))}
    if audience & PUBLIC:
        return False
    return not any(a == followers or a.endswith("/followers") for a in audience)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _is_post(item: dict[str, Any]) -> bool:
    """A boost, or the creation of a post (not a ``Like``, a ``Follow``, an ``Event``...)."""
    obj = item.get("object")
    if item.get("type") == "Announce":
        return True
    return item.get("type") == "Create" and isinstance(obj, dict) and obj.get("type") in _POST_TYPES


def _activity(item: dict[str, Any], author: str) -> Post:
    """The post of an activity :func:`_is_post` accepted."""
    if item.get("type") == "Announce":
        return _boost(item, author)
    return _note(item["object"], item, author)


def _note(note: dict[str, Any], activity: dict[str, Any], author: str) -> Post:
    tags = [t for t in note.get("tag") or () if isinstance(t, dict)]
    accts = {
        str(t.get("href")): str(t.get("name", "")).lstrip("@")
        for t in tags
        if t.get("type") == "Mention"
    }
    quoted = note.get("quote") or note.get("quoteUri") or note.get("_misskey_quote")
    kind = PostKind.REPLY if note.get("inReplyTo") else PostKind.ORIGINAL
    if kind is PostKind.ORIGINAL and quoted:
        kind = PostKind.QUOTE
    languages = list(note.get("contentMap") or {})
    extra = {"url": note.get("url"), "content_warning": note.get("summary"), "quoted": quoted}
    return html_post(
        id=str(note["id"]),
        author=author,
        html=str(note.get("content") or ""),
        created_at=parse_time(note.get("published") or activity["published"], str(note["id"])),
        kind=kind,
        lang=languages[0] if languages else None,
        reply_to=note.get("inReplyTo") or None,
        accts=accts,
        hashtags=[str(t.get("name", "")) for t in tags if t.get("type") == "Hashtag"],
        extra={k: v for k, v in extra.items() if v},
    )


def _boost(activity: dict[str, Any], author: str) -> Post:
    target = activity["object"]
    boosted = target.get("id") if isinstance(target, dict) else target
    return Post(
        id=str(activity["id"]),
        author=author,
        text="",
        created_at=parse_time(activity["published"], str(activity["id"])),
        source=SOURCE,
        kind=PostKind.RETWEET,
        extra={"boosted": boosted},
    )
