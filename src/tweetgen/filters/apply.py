"""Run filters over a corpus's Arrow table, one step at a time, counting what each did.

A filter with a usable ``filter_table`` decides on whole columns; any other filter (a
third-party callable, a function) sees the rows as a stream of posts converted one record batch
at a time; the posts it passes on untouched are taken back as the table's rows, and only posts
it built anew become rows again. Either way a step reports how many rows it saw, dropped and
rewrote, and the counts are the same on both paths.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.errors import FilterError
from tweetgen.filters.base import Filter, TableStep
from tweetgen.records.post import Post
from tweetgen.records.report import FilterStep
from tweetgen.records.schema import SCHEMA, conform, post_batches, records_batch, table_posts

TEXT = "text"
#: Methods whose override in a subclass makes an inherited ``filter_table`` stale.
_PER_POST_METHODS = ("__call__", "drops", "clean")


def _owner(cls: type, attr: str) -> type | None:
    return next((c for c in cls.__mro__ if attr in c.__dict__), None)


def column_method(f: Filter) -> Callable[[pa.Table], TableStep] | None:
    """``f.filter_table`` when it speaks for ``f``: not when a subclass overrode the per-post
    behaviour (``drops``, ``clean``, ``__call__``) below the class that defined it."""
    method = getattr(f, "filter_table", None)
    if not callable(method):
        return None
    owner = _owner(type(f), "filter_table")
    if owner is None:  # set on the instance: the instance knows best
        return method
    for attr in _PER_POST_METHODS:
        other = _owner(type(f), attr)
        if other is not None and not issubclass(owner, other):
            return None
    return method


def run_step(table: pa.Table, f: Filter) -> tuple[pa.Table, FilterStep]:
    """``table`` after ``f``, and the step's counts."""
    method = column_method(f)
    if method is not None:
        out, dropped, changed = apply_table_step(table, method(table), f.name)
    else:
        out, dropped, changed = run_per_post(table, f)
    return out, FilterStep(f.name, f.reason, table.num_rows, dropped, changed)


def run_filters(table: pa.Table, filters: Sequence[Filter]) -> tuple[pa.Table, list[FilterStep]]:
    steps = []
    for f in filters:
        table, step = run_step(table, f)
        steps.append(step)
    return table, steps


def apply_table_step(table: pa.Table, step: TableStep, name: str) -> tuple[pa.Table, int, int]:
    """Apply a column decision; return the new table, rows dropped, kept rows rewritten."""
    rows = table.num_rows
    keep, text = step.keep, step.text
    if keep is not None:
        _check_length(keep, rows, name, "keep")
        keep = pc.fill_null(keep, False)
    changed = 0
    if text is not None:
        _check_length(text, rows, name, "text")
        text = text.cast(pa.string())
        differs = pc.fill_null(pc.not_equal(table.column(TEXT), text), True)
        if keep is not None:
            differs = pc.and_(differs, keep)
        changed = int(pc.sum(differs).as_py() or 0)
        if changed:
            table = table.set_column(table.schema.get_field_index(TEXT), TEXT, text)
    dropped = 0
    if keep is not None:
        dropped = rows - int(pc.sum(keep).as_py() or 0)
        if dropped:
            table = table.filter(keep)
    return table, dropped, changed


def _check_length(array: Any, rows: int, name: str, what: str) -> None:
    if len(array) != rows:
        raise FilterError(f"filter {name!r}: {what} has {len(array)} rows, the table {rows}")


class _Unmatched:
    """Input rows not yet matched by output: output keeps input order, so everything before
    a matched id was dropped."""

    def __init__(self) -> None:
        self.queue: deque[tuple[int, Post]] = deque()
        self.ids: Counter[str] = Counter()

    def add(self, row: int, post: Post) -> None:
        self.queue.append((row, post))
        self.ids[post.id] += 1

    def match(self, post_id: str) -> tuple[int, Post] | None:
        """The input row and post of ``post_id``, consuming it and everything before it."""
        if not self.ids[post_id]:
            return None
        while True:
            row, seen = self.queue.popleft()
            self.ids[seen.id] -= 1
            if seen.id == post_id:
                return row, seen


def run_per_post(table: pa.Table, f: Filter) -> tuple[pa.Table, int, int]:
    """Stream ``table`` through a per-post filter. Posts it passes on untouched (the very
    objects it was given) are taken as rows of ``table``; only posts it built anew are
    turned back into rows."""
    unmatched = _Unmatched()

    def source() -> Iterator[Post]:
        for row, post in enumerate(table_posts(table)):
            unmatched.add(row, post)
            yield post

    rows: list[int] = []  # each output row's input row; -1 - i for the i-th rewrite
    rewrites: list[dict[str, Any]] = []
    changed = 0
    for post in _iterate(f, source()):
        if not isinstance(post, Post):
            raise FilterError(f"filter {f.name!r} yielded {type(post).__name__}, not a Post")
        found = unmatched.match(post.id)
        if found is not None and found[1] is post:
            rows.append(found[0])
            continue
        changed += found is None or found[1].text != post.text
        rows.append(-1 - len(rewrites))
        rewrites.append(post.to_record())
    return _assembled(table, rows, rewrites), table.num_rows - len(rows), changed


def _assembled(table: pa.Table, rows: list[int], rewrites: list[dict[str, Any]]) -> pa.Table:
    """The output rows in order: rows of ``table`` (``>= 0``) and ``rewrites`` (``-1 - i``)."""
    order = np.array(rows, dtype=np.int64)
    taken = conform(table).take(pa.array(order[order >= 0], pa.int64()))
    if not rewrites:
        return taken
    new = pa.Table.from_batches([records_batch(rewrites)], schema=SCHEMA)
    position = np.empty(len(order), dtype=np.int64)
    position[np.flatnonzero(order >= 0)] = np.arange(taken.num_rows)
    position[np.flatnonzero(order < 0)] = taken.num_rows - 1 - order[order < 0]
    joined = pa.concat_tables([taken, new]).combine_chunks()
    return joined.take(pa.array(position, pa.int64()))


def _iterate(f: Filter, posts: Iterator[Post]) -> Iterable[Post]:
    result = f(posts)
    if not isinstance(result, Iterable):
        raise FilterError(f"filter {f.name!r} returned {type(result).__name__}, not posts")
    return result


def run_on_posts(f: Filter, posts: Iterable[Post]) -> Iterator[Post]:
    """A column filter called on a stream: the posts become a table, its column rule decides,
    and the posts it keeps come back (rewritten ones with their new text)."""
    items = list(posts)
    table = pa.Table.from_batches(list(post_batches(items)), schema=SCHEMA)
    method = column_method(f)
    if method is None:
        raise FilterError(f"filter {f.name!r} has no column rule")
    step = method(table)
    keep = np.ones(len(items), dtype=bool)
    if step.keep is not None:
        _check_length(step.keep, len(items), f.name, "keep")
        keep = np.asarray(pc.fill_null(step.keep, False).to_numpy(zero_copy_only=False))
    texts = None if step.text is None else step.text.to_pylist()
    for i in np.flatnonzero(keep):
        post, text = items[i], None if texts is None else texts[i]
        yield post if text is None or text == post.text else post.with_text(text)
