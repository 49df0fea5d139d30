"""X (Twitter) account archive source: the .zip X exports, or its extracted folder.

Reads ``data/tweets.js`` (``data/tweet.js`` in older exports) and every part the manifest lists
(``tweets-part1.js``...), merges long posts from ``data/note-tweet.js``, keeps only the latest
version of edited posts, and optionally adds ``data/deleted-tweets.js``. See docs/sources.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.columns import BATCH_ROWS, SCHEMA, batch_posts, post_batches, string_array
from tweetgen.errors import ArchiveError, InputFormatError, SourceError
from tweetgen.filters.vector import first_occurrences
from tweetgen.hookspecs import hookimpl
from tweetgen.post import Post
from tweetgen.sources import x_columns as xc
from tweetgen.sources.archive_tree import ArchiveTree, open_tree
from tweetgen.sources.jsfile import parse_js
from tweetgen.sources.safezip import ZipLimits, unsafe_name
from tweetgen.sources.values import check_options, parse_bool
from tweetgen.sources.x_notes import NoteIndex, parse_note
from tweetgen.sources.x_tweets import Account, parse_tweet, tweet_id, unwrap

OPTIONS = {
    "include_deleted": "also read data/deleted-tweets.js (true/false, default false)",
    "author": "handle to record as the author instead of the one in data/account.js",
}
_TWEETS = re.compile(r"^tweets?(?:-part(\d+))?\.js$")
_NOTES = re.compile(r"^note-tweet(?:-part(\d+))?\.js$")
_DELETED = re.compile(r"^deleted-tweets?(?:-part(\d+))?\.js$")

#: Seconds around a note's time where its post may be (merge itself allows one; floor vs
#: truncation of negative times may shift one more).
_NOTE_SLACK = 2

Raw = tuple[dict[str, Any], int, str]  # tweet object, its index in its file, the file's label


class XArchiveSource:
    """Posts of one account from the archive X lets every user download."""

    name = "x-archive"
    description = "An X (Twitter) account archive: the .zip X exports, or its extracted folder."
    options: ClassVar[dict[str, str]] = OPTIONS

    def __init__(self, limits: ZipLimits | None = None) -> None:
        self.limits = limits or ZipLimits()

    def read(self, location: str, **options: Any) -> Iterator[Post]:
        """Check options and location now; posts are read as the result is iterated."""
        batches = self.read_batches(location, **options)
        return (post for batch in batches for post in batch_posts(batch))

    def read_batches(self, location: str, **options: Any) -> Iterator[pa.RecordBatch]:
        """The posts as record batches (see :mod:`tweetgen.columns`); checks run now."""
        check_options(self.name, options, OPTIONS)
        include_deleted = parse_bool("include_deleted", options.get("include_deleted", False))
        author = options.get("author")
        if author is not None and (not isinstance(author, str) or not author.strip()):
            raise SourceError(f"option author: expected a handle, got {author!r}")
        if not Path(location).expanduser().exists():
            raise SourceError("no such file or directory", path=location)
        return self._batches(location, include_deleted, author)

    def _batches(
        self, location: str, include_deleted: bool, author: str | None
    ) -> Iterator[pa.RecordBatch]:
        tree = open_tree(location, self.limits)
        try:
            table = read_archive(tree, str(location), include_deleted, author)
        finally:
            tree.close()
        yield from table.to_batches(max_chunksize=BATCH_ROWS)


def read_archive(
    tree: ArchiveTree, location: str, include_deleted: bool = False, author: str | None = None
) -> pa.Table:
    """Every post in the archive, in file order, each id once, as one table.

    Each tweets file is decoded piece by piece into record batches (:mod:`x_columns`); a file
    that path declines is parsed the careful way. Then, on whole columns: earlier versions of
    edited posts go, repeated ids go, deleted posts follow, long posts get their notes.
    """
    names = set(tree.names())
    manifest = _manifest(tree, names)
    tweet_files = _data_files(tree, names, manifest, ("tweets", "tweet"), _TWEETS)
    if tweet_files is None:
        raise ArchiveError("not an X archive: no data/tweets.js or data/tweet.js", path=location)
    account = _account(tree, names, manifest, author)
    note_files = _data_files(tree, names, manifest, ("noteTweet",), _NOTES) or []
    notes = NoteIndex([parse_note(*item) for item in _items(tree, note_files, lambda x: x)])
    files = [_tweets_file(tree, name, account) for name in tweet_files]
    present = pa.chunked_array(
        [b.column("id") for f in files for b in f.batches]
        + [pa.array([tweet_id(r) for r, _, _ in f.raws], pa.string()) for f in files],
        pa.string(),
    )
    old = xc.superseded(present, (c for f in files for c in f.chains))
    table = _first_of_each_id(_table(f.finish(account, old) for f in files), old)
    if include_deleted:
        deleted_files = _data_files(tree, names, manifest, ("deletedTweets",), _DELETED) or []
        deleted = _table(_deleted_file(tree, n, account) for n in deleted_files)
        table = pa.concat_tables([table, _deleted_rows(deleted, table.column("id"))])
    return _merge_notes(table, notes)


@dataclass
class _File:
    """One tweets file: batches from the fast path, or raw objects from the careful one."""

    label: str
    batches: list[pa.RecordBatch] = field(default_factory=list)
    chains: list[list[str]] = field(default_factory=list)
    raws: list[Raw] = field(default_factory=list)
    deleted_at: list[str | None] = field(default_factory=list)

    def finish(self, account: Account, superseded: set[str]) -> list[pa.RecordBatch]:
        """Batches of every post; raw objects are parsed now, superseded ones never are."""
        if not self.raws:
            return self.batches
        posts = (
            parse_tweet(raw, account, index=index, label=label)
            for raw, index, label in self.raws
            if tweet_id(raw) not in superseded
        )
        return list(post_batches(posts))


def _tweets_file(tree: ArchiveTree, name: str, account: Account, deleted: bool = False) -> _File:
    label = tree.label(name)
    try:
        fast = xc.read_file(tree.blocks(name), account, deleted=deleted)
        return _File(label, fast.batches, fast.chains, deleted_at=fast.deleted_at)
    except xc.Unusual:
        pass
    raws = list(_raw_tweets(tree, [name]))
    chains = [c for raw, _, _ in raws if (c := _raw_chains(raw))]
    deleted_at = [
        r.get("deleted_at") if isinstance(r.get("deleted_at"), str) else None for r, _, _ in raws
    ]
    return _File(label, chains=chains, raws=raws, deleted_at=deleted_at)


def _deleted_file(tree: ArchiveTree, name: str, account: Account) -> list[pa.RecordBatch]:
    """Deleted posts with ``deleted`` (and ``deleted_at``) in their extra."""
    f = _tweets_file(tree, name, account, deleted=True)
    batches = f.finish(account, set())
    table = _table(batches)
    extras = [
        _deleted_extra(extra, at)
        for extra, at in zip(table.column("extra").to_pylist(), f.deleted_at, strict=True)
    ]
    index = table.schema.get_field_index("extra")
    return table.set_column(index, "extra", string_array(extras)).to_batches()


def _deleted_extra(extra: str, deleted_at: str | None) -> str:
    data = {**json.loads(extra), "deleted": True}
    if deleted_at is not None:
        data["deleted_at"] = deleted_at
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def _table(batches: Iterable[Iterable[pa.RecordBatch]] | Iterable[pa.RecordBatch]) -> pa.Table:
    flat: list[pa.RecordBatch] = []
    for item in batches:
        if isinstance(item, pa.RecordBatch):
            flat.append(item)
        else:
            flat.extend(item)
    return pa.Table.from_batches(flat, schema=SCHEMA)


def _first_of_each_id(table: pa.Table, superseded: set[str]) -> pa.Table:
    """Without earlier versions of edited posts, and each id once (its first row)."""
    if superseded:
        gone = pc.is_in(table.column("id"), value_set=pa.array(sorted(superseded), pa.string()))
        table = table.filter(pc.invert(gone))
    first = first_occurrences(table.column("id"))
    return table if first.all() else table.filter(pa.array(first))


def _deleted_rows(deleted: pa.Table, kept_ids: pa.ChunkedArray) -> pa.Table:
    """Deleted posts whose id is new, each once."""
    new = pc.invert(pc.is_in(deleted.column("id"), value_set=pc.unique(kept_ids)))
    deleted = deleted.filter(new)
    return deleted.filter(pa.array(first_occurrences(deleted.column("id"))))


def _merge_notes(table: pa.Table, notes: NoteIndex) -> pa.Table:
    """Long posts get their whole text: rows posted within a second or two of a note are
    handed, in order, to :meth:`NoteIndex.merge`, which decides exactly."""
    if not notes.seconds() or not table.num_rows:
        return table
    micros = np.asarray(pc.cast(table.column("created_at"), pa.int64()).to_numpy())
    seconds = micros // 1_000_000
    wanted = np.array(sorted(notes.seconds()), dtype=np.int64)
    near = np.zeros(len(seconds), dtype=bool)
    for shift in range(-_NOTE_SLACK, _NOTE_SLACK + 1):
        near |= np.isin(seconds + shift, wanted)
    rows = np.flatnonzero(near)
    if not len(rows):
        return table
    candidates = table.take(pa.array(rows))
    merged = [notes.merge(p) for p in batch_posts(candidates)]
    order = np.arange(table.num_rows)
    order[rows] = table.num_rows + np.arange(len(rows))
    replaced = pa.Table.from_batches(list(post_batches(merged)), schema=SCHEMA)
    return pa.concat_tables([table, replaced]).take(pa.array(order))


def _items(tree: ArchiveTree, files: list[str], wrap: Callable[[Any], Any]) -> Iterator[Any]:
    """``(item, index, label)`` for each element of each file's top-level list."""
    for name in files:
        label = tree.label(name)
        data = parse_js(tree.read(name), label)
        if not isinstance(data, list):
            found = "an object" if isinstance(data, dict) else type(data).__name__
            raise InputFormatError(f"expected a list of entries, found {found}", path=label)
        for index, item in enumerate(data):
            yield wrap(item), index, label


def _raw_tweets(tree: ArchiveTree, files: list[str]) -> Iterator[Raw]:
    for item, index, label in _items(tree, files, lambda x: x):
        yield unwrap(item, index, label), index, label


def _raw_chains(raw: dict[str, Any]) -> list[str]:
    """The edit chains of one raw tweet (more than one id each), joined for ``superseded``."""
    info = raw.get("edit_info")
    info = info if isinstance(info, dict) else {}
    edit = info.get("edit")
    edit = edit if isinstance(edit, dict) else {}
    found = []
    for holder in (info.get("initial"), edit.get("editControlInitial")):
        chain = holder.get("editTweetIds") if isinstance(holder, dict) else None
        if isinstance(chain, list) and len(chain) > 1:
            found.append("\x00".join(str(i) for i in chain))
    return found


def _manifest(tree: ArchiveTree, names: set[str]) -> dict[str, Any] | None:
    if "manifest.js" not in names:
        return None
    data = parse_js(tree.read("manifest.js"), tree.label("manifest.js"))
    if not isinstance(data, dict):
        raise InputFormatError("expected an object", path=tree.label("manifest.js"))
    return data


def _account(
    tree: ArchiveTree, names: set[str], manifest: dict[str, Any] | None, author: str | None
) -> Account:
    """Handle and display name from account.js, else the manifest; ``author`` overrides."""
    info: dict[str, Any] = {}
    if "account.js" in names:
        label = tree.label("account.js")
        data = parse_js(tree.read("account.js"), label)
        if data != []:
            first = data[0] if isinstance(data, list) else None
            info = first.get("account") if isinstance(first, dict) else None  # type: ignore[assignment]
            if not isinstance(info, dict):
                raise InputFormatError("expected [{'account': {...}}]", path=label)
    user = (manifest or {}).get("userInfo")
    user = user if isinstance(user, dict) else {}
    handle = author or info.get("username") or user.get("userName") or "unknown"
    display = info.get("accountDisplayName") or user.get("displayName")
    account_id = info.get("accountId") or user.get("accountId")
    return Account(
        str(handle).strip().lstrip("@"),
        str(display) if display else None,
        str(account_id) if account_id else None,
    )


def _data_files(
    tree: ArchiveTree,
    names: set[str],
    manifest: dict[str, Any] | None,
    types: tuple[str, ...],
    pattern: re.Pattern[str],
) -> list[str] | None:
    """Files of a data type: as the manifest lists them, else by name; None when neither."""
    listed = _listed(tree, manifest, types)
    if listed is not None:
        present = []
        for name, count in listed:
            if name in names:
                present.append(name)
            elif count:
                raise ArchiveError(
                    f"the manifest lists data/{name} ({count} entries) but it is missing",
                    path=tree.label("manifest.js"),
                )
        return present
    found = [n for n in names if pattern.match(n)]
    return sorted(found, key=lambda n: int(pattern.match(n).group(1) or 0)) or None  # type: ignore[union-attr]


def _listed(
    tree: ArchiveTree, manifest: dict[str, Any] | None, types: tuple[str, ...]
) -> list[tuple[str, int]] | None:
    """``(bare file name, count)`` per file the manifest lists for ``types``, or None."""
    data_types = (manifest or {}).get("dataTypes")
    if not isinstance(data_types, dict) or not any(t in data_types for t in types):
        return None
    label = tree.label("manifest.js")
    listed = []
    for t in types:
        entry = data_types.get(t)
        for f in entry.get("files", []) if isinstance(entry, dict) else []:
            file_name = f.get("fileName") if isinstance(f, dict) else None
            if not isinstance(file_name, str):
                raise InputFormatError(f"dataTypes.{t}: a file without fileName", path=label)
            bare = file_name.removeprefix("data/")
            if unsafe_name(bare) or "/" in bare or "\\" in bare or not bare:
                raise InputFormatError(f"unsafe or unexpected file name {file_name!r}", path=label)
            try:
                count = int(f.get("count", 1))
            except (TypeError, ValueError):
                count = 1
            listed.append((bare, count))
    return listed


@hookimpl
def register_sources(register: Callable[[type[Any]], None]) -> None:
    register(XArchiveSource)
