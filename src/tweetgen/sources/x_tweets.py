"""The X archive's one tweet parser: ``tweets.js`` entries to record batches in the corpus schema.

Real archives store every number as a string, omit reply fields when unused (rather than
writing null), leave ``retweeted`` false even for retweets (the ``RT @`` prefix is the only
sign), and HTML-escape ``&``, ``<`` and ``>`` in ``full_text``.

msgspec decodes each piece of a file into Structs naming only the fields a post uses
(everything else is skipped, not built), and each piece becomes one record batch before the
next is read, so neither the raw text nor the decoded objects of a whole part stay alive. A
file the typed decoder refuses (an odd shape such as ``entities: "x"``, entries without the
``{"tweet": ...}`` wrapper, ``NaN``, a lone surrogate, deep nesting) is read whole by
``json.loads`` (which words file-level errors) and its entries are trimmed to the same Structs
(:func:`fit`): both go through the same rules (:class:`_Builder`). A row those rules refuse (no
id, no text, a bad date) becomes a :class:`Problem`, worded as the user sees it; the reader
raises the first one once it knows which posts are earlier versions of edited ones (those are
never reported).
"""

from __future__ import annotations

import gc
import html
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.errors import InputFormatError
from tweetgen.records.post import Post, PostKind
from tweetgen.records.schema import SCHEMA, batch_posts, string_array, valid_unicode
from tweetgen.sources.archive_tree import ArchiveTree
from tweetgen.sources.jsfile import Buffer, NotStreamable, array_pieces, parse_entries
from tweetgen.sources.values import parse_datetime, valid_text
from tweetgen.sources.x_dates import CarefulDate, dates

SOURCE_NAME = "x-archive"
_STATUS_URL = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/\w+/status(?:es)?/(\d+)/?(?:[?#].*)?$"
)
UNSET = msgspec.UNSET
#: What a refused row holds until it is dropped: a date every reader takes.
_NO_DATE = "Thu Jan 01 00:00:00 +0000 1970"


@dataclass(frozen=True)
class Account:
    """Whose archive this is (from ``account.js``, else the manifest)."""

    username: str
    display_name: str | None = None
    account_id: str | None = None


class Unusual(Exception):
    """The typed decoder declines this file: it is read whole by ``json.loads``."""


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
    editTweetIds: list[str | int] | None = None  # (fitted: any values)


class _Edit(msgspec.Struct, gc=False):
    editControlInitial: _Chain | None = None


class _EditInfo(msgspec.Struct, gc=False):
    initial: _Chain | None = None
    edit: _Edit | None = None


class _Tweet(msgspec.Struct, gc=False):
    id_str: str | int | msgspec.UnsetType | None = UNSET  # (fitted: any value)
    id: str | int | None = None  # (fitted: any value)
    full_text: str | None = None  # (fitted: any value, the refusal says which)
    created_at: str | None = None  # (fitted: any value)
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
    """Typed decode; a syntax error is a ValueError (maybe a bad cut), the rest NotStreamable."""
    try:
        return _DECODER.decode(data)
    except (msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise NotStreamable(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise ValueError(str(exc)) from None
    except RecursionError:  # json.loads says where: "JSON nested too deeply"
        raise NotStreamable("nested too deeply") from None


@dataclass(frozen=True)
class Problem:
    """A row the rules refuse, worded; ``first``: an id that is not valid Unicode, reported
    before any other (it is refused even in an earlier version of an edited post)."""

    index: int
    ident: str | None
    message: str
    label: str
    first: bool = False

    def error(self) -> InputFormatError:
        return InputFormatError(self.message, path=self.label)


@dataclass
class FileColumns:
    """What one tweets file held: its batches, and what the archive-wide steps need."""

    batches: list[pa.RecordBatch] = field(default_factory=list)
    chains: list[list[str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_file(
    tree: ArchiveTree, name: str, account: Account, *, deleted: bool = False
) -> FileColumns:
    """Every tweet of one file as record batches, streamed when the typed decoder reads it,
    else read whole by ``json.loads`` (whose errors name the file)."""
    out = FileColumns()
    try:
        out.batches.extend(file_batches(tree, name, account, out, deleted=deleted))
    except Unusual:
        out = FileColumns()
        label = tree.label(name)
        entries = [fit(e, i, label) for i, e in enumerate(parse_entries(tree.read(name), label))]
        out.batches.append(_Builder(account, deleted, label).batch(entries, out))
    out.problems.sort(key=lambda p: (p.index, not p.first))
    return out


def file_batches(
    tree: ArchiveTree, name: str, account: Account, out: FileColumns, *, deleted: bool = False
) -> Iterator[pa.RecordBatch]:
    """The record batches of one file as its pieces are decoded (``out`` gets the rest);
    :class:`Unusual` when the typed decoder declines, possibly after some batches."""
    builder = _Builder(account, deleted, tree.label(name))
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


def unwrap(item: Any, index: int, label: str) -> dict[str, Any]:
    """The tweet object inside ``{"tweet": {...}}``, or the bare object older exports hold."""
    if isinstance(item, dict) and isinstance(item.get("tweet"), dict):
        item = item["tweet"]
    if not isinstance(item, dict):
        kind = type(item).__name__
        raise InputFormatError(f"post #{index + 1}: expected an object, found {kind}", path=label)
    return item


def fit(item: Any, index: int, label: str) -> _Item:
    """An entry decoded by ``json.loads``, trimmed to the Structs the rules read: an extra of
    the wrong type is as good as absent; the ids, text and date keep their values, whatever
    they are, for the rules to pick or refuse (and say why)."""
    raw = unwrap(item, index, label)
    get = raw.get
    info = get("edit_info")
    edit = info.get("edit") if isinstance(info, dict) else None
    return _Item(
        _Tweet(
            id_str=get("id_str", UNSET),
            id=get("id"),
            full_text=get("full_text"),
            created_at=get("created_at"),
            lang=_text(get("lang")),
            in_reply_to_status_id_str=_id_or_unset(get("in_reply_to_status_id_str", UNSET)),
            in_reply_to_status_id=_id_or_unset(get("in_reply_to_status_id")),
            quoted_status_id_str=_text(get("quoted_status_id_str")),
            is_quote_status=get("is_quote_status") in (True, "true"),
            favorite_count=_count(get("favorite_count")),
            retweet_count=_count(get("retweet_count")),
            entities=_fit_entities(get("entities")),
            extended_entities=_fit_entities(get("extended_entities")),
            edit_info=_EditInfo(
                _fit_chain(info.get("initial")),
                _Edit(_fit_chain(edit.get("editControlInitial")))
                if isinstance(edit, dict)
                else None,
            )
            if isinstance(info, dict)
            else None,
            deleted_at=_text(get("deleted_at")),
        )
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _id_or_unset(value: Any) -> Any:
    return value if value is UNSET or isinstance(value, str | int) else None


def _objects(container: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = container.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _fit_entities(value: Any) -> _Entities | None:
    if not isinstance(value, dict):
        return None
    urls, media = (
        [_Link(_text(u.get("url")), _text(u.get("expanded_url"))) for u in _objects(value, key)]
        for key in ("urls", "media")
    )
    mentions = [_Mention(_text(m.get("screen_name"))) for m in _objects(value, "user_mentions")]
    tags = [_Tag(_text(h.get("text"))) for h in _objects(value, "hashtags")]
    return _Entities(urls, media, mentions, tags)


def _fit_chain(holder: Any) -> _Chain | None:
    ids = holder.get("editTweetIds") if isinstance(holder, dict) else None
    return _Chain(ids) if isinstance(ids, list) else None


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
    """X archives mark quotes only by the quoted post's permalink among the links."""
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
    """``(kind, reply_to, quoted_id)`` of a tweet."""
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


def _where(index: int, ident: str | None) -> str:
    return f"post #{index + 1}" + (f" (id {ident})" if ident else "")


def _refusal(t: _Tweet, ident: str | None, index: int) -> str:
    """Why a row without a usable id, text or date string is refused."""
    if ident is None:
        return f"post #{index + 1}: no 'id_str' or 'id'"
    for key in ("full_text", "created_at"):
        value = getattr(t, key)
        if type(value) is not str:
            problem = "missing" if value is None else f"not a string ({type(value).__name__})"
            return f"{_where(index, ident)}: {key!r} is {problem}"
    raise AssertionError("not refused")


class _Builder:
    """Turns decoded tweets into record batches in the corpus schema."""

    def __init__(self, account: Account, deleted: bool, label: str) -> None:
        self.account = account
        self.deleted = deleted
        self.label = label
        #: Entries of the file before the next batch: where a refused row is worded.
        self.seen = 0
        name = account.display_name
        self.display = f'"display_name": {json.dumps(name, ensure_ascii=False)}' if name else ""
        #: ``extra`` of posts that quote nothing, by their raw (likes, reposts): most posts
        #: share a few such pairs, and the JSON is the same for each.
        self._extras: dict[tuple[Any, Any], str] = {}

    def batch(self, items: list[_Item], out: FileColumns) -> pa.RecordBatch:
        """One tweet a row, in one flat loop with locals for appends: it runs for every post
        of an archive. A refused row is worded in ``out.problems`` and left out."""
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
        deleted, chains = self.deleted, out.chains
        refused: list[Problem] = []
        unescape = html.unescape
        for index, item in enumerate(items, self.seen):
            t = item.tweet
            if t is None:
                raise Unusual("an entry without 'tweet'")
            info = t.edit_info
            if info is not None and (info.edit is not None or _long_chain(info.initial)):
                chains.extend([chain] if (chain := _edit_chain(info)) else [])
            ident = t.id_str
            if type(ident) is not str or not ident or ident.strip() != ident:
                ident = _plain_id(t.id if ident is UNSET else ident)
            text, when = t.full_text, t.created_at
            if ident is None or type(text) is not str or type(when) is not str:
                refused.append(Problem(index, ident, _refusal(t, ident, index), self.label))
                ident, text, when = ident or "", "", _NO_DATE
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
            if quoted or deleted:
                extras.append(extra(t, quoted))
            else:  # most posts share their few counts: one JSON text each
                key = (t.favorite_count, t.retweet_count)
                cached = extras_cache.get(key)
                if cached is None:
                    cached = extras_cache[key] = extra(t, None)
                extras.append(cached)
        batch = self._record_batch(items, refused, ids, texts, created, kinds, langs, replies,
                                   urls, mentions, hashtags, extras)  # fmt: skip
        self.seen += len(items)
        return self._without(batch, refused, out)

    def _record_batch(
        self,
        items: list[_Item],
        refused: list[Problem],
        ids: list[str],
        texts: list[str],
        created: list[str],
        kinds: list[str],
        *lists: list[Any],
    ) -> pa.RecordBatch:
        """The columns :meth:`batch` collected, in :data:`SCHEMA`'s order and types."""
        n = len(ids)
        langs, replies, urls, mentions, hashtags, extras = lists
        arrays = [
            self._ids(items, ids, refused),
            pa.array([self.account.username] * n, pa.string()),
            string_array(texts),
            self._dates(created, ids, refused),
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

    def _ids(self, items: list[_Item], ids: list[str], refused: list[Problem]) -> pa.Array:
        """The id column; an id that is not valid Unicode cannot be stored nor replaced."""
        try:
            return pa.array(ids, pa.string())
        except UnicodeEncodeError:
            pass
        for index, (item, ident) in enumerate(zip(items, ids, strict=True), self.seen):
            t = item.tweet
            key = "id_str" if t is not None and t.id_str not in (None, UNSET) else "id"
            try:
                valid_text(ident, f"tweet.{key}", where=f"post #{index + 1}", path=self.label)
            except InputFormatError as exc:
                refused.append(Problem(index, ident, exc.message, self.label, first=True))
        return string_array(ids)

    def _dates(self, created: list[str], ids: list[str], refused: list[Problem]) -> pa.Array:
        """The date column; a date no reader takes refuses its row, saying why."""
        try:
            return dates(created)
        except CarefulDate:
            pass
        for row, text in enumerate(created):
            try:
                parse_datetime(text)
            except ValueError as exc:
                where = _where(self.seen + row, ids[row])
                message = f"{where}: bad created_at: {exc}"
                refused.append(Problem(self.seen + row, ids[row], message, self.label))
                created[row] = _NO_DATE
        return dates(created)

    def _without(
        self, batch: pa.RecordBatch, refused: list[Problem], out: FileColumns
    ) -> pa.RecordBatch:
        """``batch`` without its refused rows, which go to ``out.problems``."""
        if not refused:
            return batch
        out.problems.extend(refused)
        start = self.seen - batch.num_rows  # the batch's first entry
        keep = [True] * batch.num_rows
        for p in refused:
            keep[p.index - start] = False
        return batch.filter(pa.array(keep))

    def _extra(self, t: _Tweet, quoted: str | None) -> str:
        """``json.dumps(extra, sort_keys=True, ensure_ascii=False)`` of the post's extra (a
        deleted post's says so, and when)."""
        parts = ['"deleted": true'] if self.deleted else []
        if self.deleted and t.deleted_at is not None:
            parts.append(f'"deleted_at": {json.dumps(t.deleted_at, ensure_ascii=False)}')
        if self.display:
            parts.append(self.display)
        fav, rts = _count(t.favorite_count), _count(t.retweet_count)
        if fav is not None:
            parts.append(f'"favorite_count": {fav}')
        if quoted:
            parts.append(f'"quoted_id": {json.dumps(quoted, ensure_ascii=False)}')
        if rts is not None:
            parts.append(f'"retweet_count": {rts}')
        return "{" + ", ".join(parts) + "}"


def _typed(values: list[Any], kind: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, kind)
    except UnicodeEncodeError:
        return pa.array(valid_unicode(values), kind)


def _long_chain(chain: _Chain | None) -> bool:
    return chain is not None and chain.editTweetIds is not None and len(chain.editTweetIds) > 1


def _edit_chain(info: _EditInfo) -> list[str]:
    """The edit chains of an edited post (more than one id each), joined for
    :func:`superseded`."""
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


def parse_tweet(raw: dict[str, Any], account: Account, *, index: int, label: str) -> Post:
    """A :class:`Post` from one tweet object, by the same rules; errors name the file and post."""
    out = FileColumns()
    builder = _Builder(account, False, label)
    builder.seen = index
    batch = builder.batch([fit(raw, index, label)], out)
    if out.problems:
        raise min(out.problems, key=lambda p: not p.first).error()
    (post,) = batch_posts(batch)
    return post
