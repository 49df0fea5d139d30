"""Reading an X archive's tweets into one Arrow table (see :mod:`tweetgen.sources.x_archive`).

Each tweets file is decoded piece by piece into record batches (:mod:`x_tweets`). Then, on
whole columns: earlier versions of edited posts go, repeated ids go, deleted posts follow,
long posts get their notes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.errors import ArchiveError
from tweetgen.records.post import Post
from tweetgen.records.schema import (
    SCHEMA,
    batch_posts,
    first_occurrences,
    post_batches,
)
from tweetgen.sources import x_tweets as xt
from tweetgen.sources.archive_tree import ArchiveTree
from tweetgen.sources.x_manifest import (
    DELETED,
    EDIT_VERSIONS,
    NOTES,
    TWEETS,
    data_files,
    items,
    read_account,
    read_manifest,
)
from tweetgen.sources.x_notes import NoteIndex, parse_note
from tweetgen.sources.x_parallel import parallel_plan, read_parts
from tweetgen.sources.x_tweets import Account

#: Seconds around a note's time where its post may be (merge itself allows one; floor vs
#: truncation of negative times may shift one more).
_NOTE_SLACK = 2


def read_archive(
    tree: ArchiveTree,
    location: str,
    include_deleted: bool = False,
    author: str | None = None,
    skipped: Counter[str] | None = None,
) -> pa.Table:
    """Every post in the archive, in file order, each id once, as one table.

    Each tweets file is decoded piece by piece into record batches (:mod:`x_tweets`). Then, on
    whole columns: earlier versions of edited posts go (counted in ``skipped`` under
    ``EDIT_VERSIONS``, so the data table accounts for every post the archive holds), repeated
    ids go, deleted posts follow, long posts get their notes.
    """
    names = set(tree.names())
    manifest = read_manifest(tree, names)
    tweet_files = data_files(tree, names, manifest, ("tweets", "tweet"), TWEETS)
    if tweet_files is None:
        raise ArchiveError("not an X archive: no data/tweets.js or data/tweet.js", path=location)
    account = read_account(tree, names, manifest, author)
    note_files = data_files(tree, names, manifest, ("noteTweet",), NOTES) or []
    notes = NoteIndex([parse_note(*item) for item in items(tree, note_files)])
    files = _tweets_files(tree, tweet_files, account)
    problems = [p for f in files for p in f.problems]
    _raise_first([p for p in problems if p.first])
    present = pa.chunked_array(
        [b.column("id") for f in files for b in f.batches]
        + [pa.array([p.ident for p in problems], pa.string())],
        pa.string(),
    )
    old = xt.superseded(present, (c for f in files for c in f.chains))
    _raise_first([p for p in problems if p.ident not in old])
    counted = Counter({EDIT_VERSIONS: sum(p.ident in old for p in problems)})
    table = _first_of_each_id(_table(b for f in files for b in f.batches), old, counted)
    if skipped is not None and counted[EDIT_VERSIONS]:
        skipped[EDIT_VERSIONS] += counted[EDIT_VERSIONS]
    if include_deleted:
        deleted_files = data_files(tree, names, manifest, ("deletedTweets",), DELETED) or []
        deleted = _table(b for n in deleted_files for b in _deleted_file(tree, n, account))
        table = pa.concat_tables([table, _deleted_rows(deleted, table.column("id"))])
    return _merge_notes(table, notes)


def _raise_first(problems: list[xt.Problem]) -> None:
    if problems:
        raise problems[0].error()


def _tweets_files(tree: ArchiveTree, names: list[str], account: Account) -> list[xt.FileColumns]:
    """Every tweets file, big parts (of a zip or a folder) decoded by worker processes at once."""
    groups = parallel_plan(tree, names)
    done = read_parts(tree, groups, account) if groups else {}
    return [done.get(n) or xt.read_file(tree, n, account) for n in names]


def _deleted_file(tree: ArchiveTree, name: str, account: Account) -> list[pa.RecordBatch]:
    """Deleted posts, with ``deleted`` (and ``deleted_at``) in their extra."""
    f = xt.read_file(tree, name, account, deleted=True)
    _raise_first(f.problems)
    return f.batches


def _table(batches: Iterable[pa.RecordBatch]) -> pa.Table:
    return pa.Table.from_batches(list(batches), schema=SCHEMA)


def _first_of_each_id(table: pa.Table, superseded: set[str], skipped: Counter[str]) -> pa.Table:
    """Without earlier versions of edited posts (counted), and each id once (its first row)."""
    if superseded:
        gone = pc.is_in(table.column("id"), value_set=pa.array(sorted(superseded), pa.string()))
        skipped[EDIT_VERSIONS] += int(pc.sum(gone).as_py() or 0)
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
    texts = table.column("text").take(pa.array(rows)).to_pylist()
    kinds = table.column("kind").take(pa.array(rows)).to_pylist()
    stamps = np.trunc(micros[rows] / 1e6).astype(np.int64).tolist()  # int(dt.timestamp())
    merged: list[Post] = []
    taken: list[int] = []
    for row, text, kind, stamp in zip(rows.tolist(), texts, kinds, stamps, strict=True):
        if notes.may_merge(text, kind, stamp):  # notes merged so far are out of the index
            (post,) = batch_posts(table.slice(row, 1))
            merged.append(notes.merge(post))
            taken.append(row)
    if not taken:
        return table
    replaced = pa.Table.from_batches(list(post_batches(merged)), schema=SCHEMA)
    return _replace_rows(table, taken, replaced)


def _replace_rows(table: pa.Table, rows: list[int], new: pa.Table) -> pa.Table:
    """``table`` with its ``rows`` (ascending) replaced by the rows of ``new``, in order;
    only the record batches holding such a row are rebuilt, the rest are shared."""
    out: list[pa.RecordBatch] = []
    start = used = 0
    for batch in table.to_batches():
        end = start + batch.num_rows
        mine = [r - start for r in rows[used:] if r < end]
        if mine:
            order = np.arange(batch.num_rows)
            order[mine] = batch.num_rows + np.arange(len(mine))
            both = pa.concat_tables([pa.Table.from_batches([batch]), new.slice(used, len(mine))])
            out.extend(both.take(pa.array(order)).to_batches())
            used += len(mine)
        else:
            out.append(batch)
        start = end
    return pa.Table.from_batches(out, schema=table.schema)
