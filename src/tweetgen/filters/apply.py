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
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.base.cores import usable_cores
from tweetgen.errors import FilterError
from tweetgen.filters.base import Filter, TableStep
from tweetgen.records.post import Post
from tweetgen.records.report import FilterStep
from tweetgen.records.schema import SCHEMA, conform, post_batches, records_batch, table_posts

TEXT = "text"
#: Rows each thread gets at least when a step is split between cores.
MIN_THREAD_ROWS = 100_000
_BUILT_IN_PREFIX = "tweetgen.filters."
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
        out, dropped, changed = apply_table_step(table, table_step(table, f, method), f.name)
    else:
        out, dropped, changed = run_per_post(table, f)
    return out, FilterStep(f.name, f.reason, table.num_rows, dropped, changed)


def run_filters(table: pa.Table, filters: Sequence[Filter]) -> tuple[pa.Table, list[FilterStep]]:
    steps = []
    for f in filters:
        table, step = run_step(table, f)
        steps.append(step)
    return table, steps


def table_step(table: pa.Table, f: Filter, method: Callable[[pa.Table], TableStep]) -> TableStep:
    """``method(table)``; for a big table and a built-in filter that decides each row on its
    own (``row_local``), the rows are split between threads, one per core: Arrow's kernels
    let go of the interpreter lock, so the slices really run at once."""
    slices = _slices(table, f, method)
    if len(slices) < 2:
        return method(table)
    from tweetgen.plugins import get_plugin_manager

    get_plugin_manager()  # built before threads start: its first build is not thread-safe
    with ThreadPoolExecutor(len(slices)) as pool:
        steps = list(pool.map(method, slices))
    keep = text = None
    if any(s.keep is not None for s in steps):
        pairs = zip(steps, slices, strict=True)
        keep = _joined([_all_true(len(p)) if s.keep is None else s.keep for s, p in pairs])
    if any(s.text is not None for s in steps):
        pairs = zip(steps, slices, strict=True)
        text = _joined([p.column(TEXT) if s.text is None else s.text for s, p in pairs])
    return TableStep(keep, text)


def _slices(table: pa.Table, f: Filter, method: Callable[[pa.Table], TableStep]) -> list[pa.Table]:
    owner = _owner(type(f), "filter_table")
    built_in = owner is not None and owner.__module__.startswith(_BUILT_IN_PREFIX)
    if not (built_in and getattr(f, "row_local", False)):
        return [table]
    count = min(usable_cores(), table.num_rows // MIN_THREAD_ROWS)
    if count < 2:
        return [table]
    size = -(-table.num_rows // count)
    return [table.slice(start, size) for start in range(0, table.num_rows, size)]


def _all_true(rows: int) -> pa.Array:
    return pa.array(np.ones(rows, dtype=bool))


def _joined(parts: list[pa.Array | pa.ChunkedArray]) -> pa.ChunkedArray:
    chunks = [c for p in parts for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])]
    return pa.chunked_array(chunks, chunks[0].type)


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
