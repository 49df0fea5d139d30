"""An X archive tweet object parsed the plain way, one post at a time: the oracle the reader's one
parser (``tweetgen/sources/x_tweets.py``, typed decoding into columns) is tested on.

These are the per-post rules the reader had before it kept one parser (main at ``e9377d2``):
every field read from the ``json.loads`` dict with ``isinstance`` checks, each error worded.
"""

from __future__ import annotations

import html
from typing import Any

from tweetgen.errors import InputFormatError
from tweetgen.records.post import Post, PostKind, Url
from tweetgen.sources.values import parse_datetime, valid_text
from tweetgen.sources.x_tweets import _STATUS_URL, SOURCE_NAME, Account


def unwrap(item: Any, index: int, label: str) -> dict[str, Any]:
    """The tweet object inside ``{"tweet": {...}}``, or the bare object older exports hold."""
    if isinstance(item, dict) and isinstance(item.get("tweet"), dict):
        item = item["tweet"]
    if not isinstance(item, dict):
        kind = type(item).__name__
        raise InputFormatError(f"post #{index + 1}: expected an object, found {kind}", path=label)
    return item


def tweet_id(raw: dict[str, Any]) -> str | None:
    value = raw.get("id_str", raw.get("id"))
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()
    return None


def checked_id(raw: dict[str, Any], index: int, label: str) -> str | None:
    """:func:`tweet_id`, refused with a one-line error when it is not valid Unicode."""
    ident = tweet_id(raw)
    if ident is not None:
        field = "tweet.id_str" if raw.get("id_str") is not None else "tweet.id"
        valid_text(ident, field, where=f"post #{index + 1}", path=label)
    return ident


def _required_text(raw: dict[str, Any], key: str, where: str, label: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        problem = "missing" if value is None else f"not a string ({type(value).__name__})"
        raise InputFormatError(f"{where}: {key!r} is {problem}", path=label)
    return value


def _objects(container: Any, key: str) -> list[dict[str, Any]]:
    """Entity lists, tolerating absent or odd shapes: they are extras, not the post."""
    value = container.get(key) if isinstance(container, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _urls(raw: dict[str, Any]) -> tuple[Url, ...]:
    urls: list[Url] = []
    for group in (raw.get("entities"), raw.get("extended_entities")):
        for key in ("urls", "media"):
            for u in _objects(group, key):
                short = u.get("url")
                if isinstance(short, str) and short and all(x.short != short for x in urls):
                    expanded = u.get("expanded_url")
                    urls.append(Url(short, expanded if isinstance(expanded, str) else None))
    return tuple(urls)


def _strings(raw: dict[str, Any], key: str, field: str) -> tuple[str, ...]:
    values = (e.get(field) for e in _objects(raw.get("entities"), key))
    return tuple(dict.fromkeys(v for v in values if isinstance(v, str) and v))


def _reply_to(raw: dict[str, Any]) -> str | None:
    value = raw.get("in_reply_to_status_id_str", raw.get("in_reply_to_status_id"))
    return str(value) if isinstance(value, str | int) and str(value).strip() else None


def _quoted_id(raw: dict[str, Any], urls: tuple[Url, ...]) -> str | None:
    """X archives mark quotes only by the quoted post's permalink among the links."""
    quoted = raw.get("quoted_status_id_str")
    if isinstance(quoted, str) and quoted:
        return quoted
    for url in urls:
        match = _STATUS_URL.match(url.expanded or "")
        if match:
            return match.group(1)
    return "" if raw.get("is_quote_status") in (True, "true") else None


def _count(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_tweet(raw: dict[str, Any], account: Account, *, index: int, label: str) -> Post:
    """A :class:`Post` from one tweet object; errors name the file and the post."""
    ident = checked_id(raw, index, label)
    where = f"post #{index + 1}" + (f" (id {ident})" if ident else "")
    if ident is None:
        raise InputFormatError(f"{where}: no 'id_str' or 'id'", path=label)
    text = html.unescape(_required_text(raw, "full_text", where, label))
    created_raw = _required_text(raw, "created_at", where, label)
    try:
        created = parse_datetime(created_raw)
    except ValueError as exc:
        raise InputFormatError(f"{where}: bad created_at: {exc}", path=label) from None
    urls = _urls(raw)
    reply_to = _reply_to(raw)
    extra: dict[str, Any] = {}
    if account.display_name:
        extra["display_name"] = account.display_name
    for key in ("favorite_count", "retweet_count"):
        if (n := _count(raw.get(key))) is not None:
            extra[key] = n
    if text.startswith("RT @"):
        kind, reply_to = PostKind.RETWEET, None
    elif reply_to:
        kind = PostKind.REPLY
    elif (quoted := _quoted_id(raw, urls)) is not None:
        kind = PostKind.QUOTE
        if quoted:
            extra["quoted_id"] = quoted
    else:
        kind = PostKind.ORIGINAL
    lang = raw.get("lang")
    return Post(
        id=ident,
        author=account.username,
        text=text,
        created_at=created,
        source=SOURCE_NAME,
        kind=kind,
        lang=lang if isinstance(lang, str) and lang else None,
        reply_to=reply_to,
        urls=urls,
        mentions=_strings(raw, "user_mentions", "screen_name"),
        hashtags=_strings(raw, "hashtags", "text"),
        extra=extra,
    )
