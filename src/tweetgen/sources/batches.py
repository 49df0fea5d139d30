"""Any source as a stream of record batches, whatever it yields.

A source may offer ``read_batches(location, **options)`` yielding ``pyarrow.RecordBatch``es in
the corpus schema (the built-in ones do); otherwise its ``read`` yields posts, and the core
batches them here. So third-party sources keep working unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from tweetgen.records.profile import Profile
from tweetgen.records.schema import SCHEMA, post_batches

ProgressCallback = Callable[[int], None]


class SourceStream(Iterator[pa.RecordBatch]):
    """A source's batches, and (once read) what it read but did not yield, by reason.

    A source reports such records (earlier versions of edited posts...) in a ``skipped``
    mapping of reason to count; ``Corpus.from_batches`` turns them into data table rows.
    """

    def __init__(self, source: Any, batches: Iterator[pa.RecordBatch]) -> None:
        self.source = source
        self.batches = batches
        self._ahead: list[pa.RecordBatch] = []

    def __next__(self) -> pa.RecordBatch:
        if self._ahead:
            return self._ahead.pop()
        return next(self.batches)

    def started(self) -> SourceStream:
        """This stream with its next batch read now, to be given first (a source that reads
        in one go, as the X archive does, has read everything)."""
        if not self._ahead:
            batch = next(self.batches, None)
            if batch is not None:
                self._ahead.append(batch)
        return self

    @property
    def skipped(self) -> dict[str, int]:
        found = getattr(self.source, "skipped", None) or {}
        return {str(k): int(v) for k, v in dict(found).items() if int(v) > 0}

    @property
    def profile(self) -> Profile | None:
        """The account's face, when the source knows it (a ``profile`` attribute, read with
        the posts): ``Corpus.from_batches`` keeps it in the corpus's meta."""
        found = getattr(self.source, "profile", None)
        return found if isinstance(found, Profile) else None


def source_batches(
    name: str, location: str, *, progress: ProgressCallback | None = None, **options: Any
) -> SourceStream:
    """Batches from the source called ``name``; ``progress`` gets the running post count.

    Options and the location are checked before this returns (sources check on ``read``).
    """
    from tweetgen.plugins import check_source_options, get_source

    source = get_source(name)
    options = check_source_options(type(source), options)  # did-you-mean on a typo
    read_batches = getattr(source, "read_batches", None)
    if callable(read_batches):
        batches: Iterator[pa.RecordBatch] = iter(read_batches(location, **options))
    else:
        batches = post_batches(source.read(location, **options))
    return SourceStream(source, _counted(batches, progress))


def _counted(
    batches: Iterator[pa.RecordBatch], progress: ProgressCallback | None
) -> Iterator[pa.RecordBatch]:
    total = 0
    for batch in batches:
        if batch.schema != SCHEMA:
            batch = pa.RecordBatch.from_arrays(
                [batch.column(n).cast(f.type) for n, f in zip(SCHEMA.names, SCHEMA, strict=True)],
                schema=SCHEMA,
            )
        total += batch.num_rows
        if progress is not None:
            progress(total)
        yield batch
