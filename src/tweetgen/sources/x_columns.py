"""The fast path of the X archive reader: typed decoding straight into Arrow columns.

msgspec decodes each piece of a ``tweets.js`` into Structs naming only the fields a post uses
(everything else is skipped, not built), and each piece becomes one record batch before the
next is read, so neither the raw text nor the decoded objects of a whole part stay alive. The
rules are :func:`tweetgen.sources.x_tweets.parse_tweet`'s, row for row; anything this path is not
sure of (an odd shape, an unparsable date, a missing field) raises :class:`Unusual`, and the
reader then parses that file the careful way, which also words any error.
"""

from __future__ import annotations

import gc
import html
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.records.post import PostKind
from tweetgen.records.schema import SCHEMA, string_array, valid_unicode
from tweetgen.sources.archive_tree import ArchiveTree
from tweetgen.sources.jsfile import Buffer, NotStreamable, array_pieces
from tweetgen.sources.x_dates import CarefulDate, dates
from tweetgen.sources.x_tweets import _STATUS_URL, SOURCE_NAME, Account

UNSET = msgspec.UNSET


class Unusual(Exception):
    """This file needs the careful reader."""


class _Link(msgspec.Struct, gc=False):
    url: str | None = None
    expanded_url: str | None = None


class _Mention(msgspec.Struct, gc=False):
    screen_name: str | None = None


class _Tag(msgspec.Struct, gc=False):
    text: str | None = None


class _Entities(msgspec.Struct, gc=False):
    urls: list[_Link] = []
    media: list[_Link] = []
    user_mentions: list[_Mention] = []
    hashtags: list[_Tag] = []


class _Chain(msgspec.Struct, gc=False):
    editTweetIds: list[str | int] | None = None


class _Edit(msgspec.Struct, gc=False):
    editControlInitial: _Chain | None = None


class _EditInfo(msgspec.Struct, gc=False):
    initial: _Chain | None = None
    edit: _Edit | None = None


class _Tweet(msgspec.Struct, gc=False):
    id_str: str | int | msgspec.UnsetType | None = UNSET
    id: str | int | None = None
    full_text: str | None = None
    created_at: str | None = None
    lang: str | None = None
    in_reply_to_status_id_str: str | int | msgspec.UnsetType | None = UNSET
    in_reply_to_status_id: str | int | None = None
    quoted_status_id_str: str | None = None
    is_quote_status: bool | str | None = None
    favorite_count: str | int | None = None
    retweet_count: str | int | None = None
    entities: _Entities | None = None
    extended_entities: _Entities | None = None
    edit_info: _EditInfo | None = None
    deleted_at: str | None = None


class _Item(msgspec.Struct, gc=False):
    tweet: _Tweet | None = None


_DECODER = msgspec.json.Decoder(list[_Item])


def decode_piece(data: Buffer) -> list[_Item]:
    """Typed decode; a syntax error is a ValueError (maybe a bad cut), the rest Unusual."""
    try:
        return _DECODER.decode(data)
    except msgspec.ValidationError as exc:
        raise NotStreamable(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise NotStreamable(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise ValueError(str(exc)) from None
    except RecursionError:  # the careful path says where: "JSON nested too deeply"
        raise NotStreamable("nested too deeply") from None


@dataclass
class FileColumns:
    """What one tweets file held: its batches, and what the archive-wide steps need."""

    batches: list[pa.RecordBatch] = field(default_factory=list)
    chains: list[list[str]] = field(default_factory=list)
    deleted_at: list[str | None] = field(default_factory=list)


def read_file(
    tree: ArchiveTree, name: str, account: Account, *, deleted: bool = False
) -> FileColumns:
    """Every tweet of one file as record batches; :class:`Unusual` when the fast path declines."""
    out = FileColumns()
    out.batches.extend(file_batches(tree, name, account, out, deleted=deleted))
    return out


def file_batches(
    tree: ArchiveTree, name: str, account: Account, out: FileColumns, *, deleted: bool = False
) -> Iterator[pa.RecordBatch]:
    """The record batches of one file as its pieces are decoded (``out`` gets its edit chains
    and deletion times, not its batches); :class:`Unusual` when the fast path declines,
    possibly after some batches."""
    builder = _Builder(account, deleted)
    try:
        with paused_gc():
            for items in array_pieces(tree.blocks(name), decode_piece):
                batch = builder.batch(items, out)
                del items
                yield batch
    except NotStreamable as exc:
        raise Unusual(str(exc)) from None


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while millions of acyclic objects are made: each
    collection would walk them all again (decoding runs several times faster)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _count(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _links(t: _Tweet) -> list[dict[str, str | None]]:
    urls: list[dict[str, str | None]] = []
    seen: set[str] = set()
    for group in (t.entities, t.extended_entities):
        if group is None:
            continue
        for u in (*group.urls, *group.media):
            short = u.url
            if short and short not in seen:
                seen.add(short)
                urls.append({"short": short, "expanded": u.expanded_url})
    return urls


def _unique(values: list[str | None]) -> list[str]:
    """Each non-empty value once, in order."""
    if len(values) == 1:  # most posts with a mention or a tag have one
        first = values[0]
        return [first] if first else []
    return list(dict.fromkeys(v for v in values if v))


def _quoted(t: _Tweet, urls: list[dict[str, str | None]]) -> str | None:
    if t.quoted_status_id_str:
        return t.quoted_status_id_str
    for url in urls:
        match = _STATUS_URL.match(url["expanded"] or "")
        if match:
            return match.group(1)
    return "" if t.is_quote_status in (True, "true") else None


def _kind(
    t: _Tweet, text: str, links: list[dict[str, str | None]]
) -> tuple[str, str | None, str | None]:
    """``(kind, reply_to, quoted_id)`` of a tweet, by ``parse_tweet``'s rules."""
    raw_reply = t.in_reply_to_status_id_str
    if raw_reply is UNSET:
        raw_reply = t.in_reply_to_status_id
    reply_to = None if raw_reply is None else _reply(raw_reply)
    if text.startswith("RT @"):
        return _RETWEET, None, None
    if reply_to:
        return _REPLY, reply_to, None
    quoted = _quoted(t, links)
    return (_ORIGINAL if quoted is None else _QUOTE), reply_to, quoted


def _reply(value: str | int) -> str | None:
    text = str(value)
    return text if text.strip() else None


_RETWEET, _REPLY = PostKind.RETWEET.value, PostKind.REPLY.value
_QUOTE, _ORIGINAL = PostKind.QUOTE.value, PostKind.ORIGINAL.value


def _plain_id(value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()
    return None


class _Builder:
    """Turns decoded tweets into record batches in the corpus schema."""

    def __init__(self, account: Account, deleted: bool) -> None:
        self.account = account
        self.deleted = deleted
        name = account.display_name
        self.display = f'"display_name": {json.dumps(name, ensure_ascii=False)}' if name else ""
        #: ``extra`` of posts that quote nothing, by their raw (likes, reposts): most posts
        #: share a few such pairs, and the JSON is the same for each.
        self._extras: dict[tuple[Any, Any], str] = {}

    def batch(self, items: list[_Item], out: FileColumns) -> pa.RecordBatch:
        """One tweet a row, by ``parse_tweet``'s rules (see the module docstring), in one flat
        loop with locals for appends: it runs for every post of an archive."""
        ids: list[str] = []
        texts: list[str] = []
        created: list[str] = []
        kinds: list[str] = []
        langs: list[str | None] = []
        replies: list[str | None] = []
        urls: list[list[dict[str, str | None]]] = []
        mentions: list[list[str]] = []
        hashtags: list[list[str]] = []
        extras: list[str] = []
        extras_cache, extra = self._extras, self._extra
        deleted, deleted_at, chains = self.deleted, out.deleted_at, out.chains
        unescape = html.unescape
        for item in items:
            t = item.tweet
            if t is None:
                raise Unusual("an entry without 'tweet'")
            ident = t.id_str
            if type(ident) is not str or not ident or ident.strip() != ident:
                ident = _plain_id(t.id if ident is UNSET else ident)
            text, when = t.full_text, t.created_at
            if ident is None or type(text) is not str or type(when) is not str:
                raise Unusual("a tweet without id, full_text or created_at")
            if "&" in text:
                text = unescape(text)
            e, x = t.entities, t.extended_entities
            links = _links(t) if x is not None or (e is not None and (e.urls or e.media)) else []
            kind, reply_to, quoted = _kind(t, text, links)
            ids.append(ident)
            texts.append(text)
            created.append(when)
            kinds.append(kind)
            langs.append(t.lang or None)
            replies.append(reply_to)
            urls.append(links)
            found = e.user_mentions if e is not None else None
            mentions.append(_unique([m.screen_name for m in found]) if found else [])
            tags = e.hashtags if e is not None else None
            hashtags.append(_unique([h.text for h in tags]) if tags else [])
            if quoted:
                extras.append(extra(t, quoted))
            else:  # most posts share their few counts: one JSON text each
                key = (t.favorite_count, t.retweet_count)
                cached = extras_cache.get(key)
                if cached is None:
                    cached = extras_cache[key] = extra(t, None)
                extras.append(cached)
            if deleted:
                deleted_at.append(t.deleted_at)
            info = t.edit_info
            if info is not None and (info.edit is not None or _long_chain(info.initial)):
                chains.extend([chain] if (chain := _edit_chain(info)) else [])
        columns = (ids, texts, created, kinds, langs, replies, urls, mentions, hashtags, extras)
        return self._record_batch(*columns)

    def _record_batch(
        self,
        ids: list[str],
        texts: list[str],
        created: list[str],
        kinds: list[str],
        langs: list[str | None],
        replies: list[str | None],
        *lists: list[Any],
    ) -> pa.RecordBatch:
        """The columns :meth:`batch` collected, in :data:`SCHEMA`'s order and types."""
        n = len(ids)
        urls, mentions, hashtags, extras = lists
        arrays = [
            string_array(ids),
            pa.array([self.account.username] * n, pa.string()),
            string_array(texts),
            _column_dates(created),
            pa.array([SOURCE_NAME] * n, pa.string()),
            pa.array(kinds, pa.string()),
            string_array(langs),
            string_array(replies),
            _typed(urls, SCHEMA.field("urls").type),
            _typed(mentions, SCHEMA.field("mentions").type),
            _typed(hashtags, SCHEMA.field("hashtags").type),
            string_array(extras),
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)

    def _extra(self, t: _Tweet, quoted: str | None) -> str:
        """``json.dumps(extra, sort_keys=True, ensure_ascii=False)`` of the post's extra."""
        parts = [self.display] if self.display else []
        fav, rts = _count(t.favorite_count), _count(t.retweet_count)
        if fav is not None:
            parts.append(f'"favorite_count": {fav}')
        if quoted:
            parts.append(f'"quoted_id": {json.dumps(quoted, ensure_ascii=False)}')
        if rts is not None:
            parts.append(f'"retweet_count": {rts}')
        return "{" + ", ".join(parts) + "}"


def _column_dates(values: list[str]) -> pa.Array:
    try:
        return dates(values)
    except CarefulDate:
        raise Unusual("a date only the careful reader can report") from None


def _typed(values: list[Any], kind: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, kind)
    except UnicodeEncodeError:
        return pa.array(valid_unicode(values), kind)


def _long_chain(chain: _Chain | None) -> bool:
    return chain is not None and chain.editTweetIds is not None and len(chain.editTweetIds) > 1


def _edit_chain(info: _EditInfo) -> list[str]:
    """The edit chains of an edited post (more than one id), as the reader's ``_superseded``."""
    found: list[str] = []
    holders = (info.initial, info.edit.editControlInitial if info.edit else None)
    for holder in holders:
        ids = holder.editTweetIds if holder is not None else None
        if ids is not None and len(ids) > 1:
            found.append("\x00".join(str(i) for i in ids))
    return found


def superseded(present: pa.ChunkedArray | pa.Array, chains: Iterable[list[str]]) -> set[str]:
    """Ids of earlier versions whose latest version is among ``present`` ids."""
    wanted = [c.split("\x00") for group in chains for c in group]
    if not wanted:
        return set()
    lasts = pa.array([c[-1] for c in wanted], pa.string())
    there = pc.is_in(lasts, value_set=pc.unique(present)).to_pylist()
    return {i for c, ok in zip(wanted, there, strict=True) if ok for i in c[:-1]}
