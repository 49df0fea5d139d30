"""Run filters over a corpus's Arrow table, one step at a time, counting what each did.

A filter with a usable ``filter_table`` decides on whole columns; any other filter (a
third-party callable, a function) sees the rows as a stream of posts converted one record batch
at a time, and what it yields is batched back into Arrow. Either way a step reports how many
rows it saw, dropped and rewrote, and the counts are the same on both paths.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.columns import BATCH_ROWS, SCHEMA, conform, records_batch, table_posts
from tweetgen.errors import FilterError
from tweetgen.filters.base import Filter, TableStep
from tweetgen.post import Post
from tweetgen.report import FilterStep

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


class _Pending:
    """Input posts not yet matched by output, to count dropped and rewritten posts in one
    pass: output keeps input order, so everything before a matched id was dropped."""

    def __init__(self) -> None:
        self.queue: deque[tuple[str, str]] = deque()
        self.ids: Counter[str] = Counter()

    def add(self, post: Post) -> None:
        self.queue.append((post.id, post.text))
        self.ids[post.id] += 1

    def text_of(self, post_id: str) -> str | None:
        """The input text of ``post_id``, consuming it and everything before it."""
        if not self.ids[post_id]:
            return None
        while True:
            seen_id, text = self.queue.popleft()
            self.ids[seen_id] -= 1
            if seen_id == post_id:
                return text


def run_per_post(table: pa.Table, f: Filter) -> tuple[pa.Table, int, int]:
    """Stream ``table`` through a per-post filter, batch by batch in both directions."""
    pending = _Pending()

    def source() -> Iterator[Post]:
        for post in table_posts(table):
            pending.add(post)
            yield post

    batches: list[pa.RecordBatch] = []
    records: list[dict[str, Any]] = []
    changed = kept = 0
    for post in _iterate(f, source()):
        if not isinstance(post, Post):
            raise FilterError(f"filter {f.name!r} yielded {type(post).__name__}, not a Post")
        if pending.text_of(post.id) != post.text:
            changed += 1
        records.append(post.to_record())
        kept += 1
        if len(records) == BATCH_ROWS:
            batches.append(records_batch(records))
            records = []
    if records:
        batches.append(records_batch(records))
    return conform(pa.Table.from_batches(batches, schema=SCHEMA)), table.num_rows - kept, changed


def _iterate(f: Filter, posts: Iterator[Post]) -> Iterable[Post]:
    result = f(posts)
    if not isinstance(result, Iterable):
        raise FilterError(f"filter {f.name!r} returned {type(result).__name__}, not posts")
    return result
