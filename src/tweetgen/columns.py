"""The Arrow layout of a corpus, and conversion between posts and record batches.

Sources may hand the core :class:`~tweetgen.post.Post` objects or record batches in this
schema; the core batches post streams itself (:func:`post_batches`) and otherwise moves whole
columns. Strings reaching Arrow are made valid Unicode here: a lone surrogate (``"\\ud800"``
in JSON) becomes U+FFFD instead of failing later at save.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from tweetgen.arrow_schema import ARROW_SCHEMA
from tweetgen.arrow_schema import REPLACEMENT as REPLACEMENT  # re-exported: their home
from tweetgen.arrow_schema import string_array as string_array
from tweetgen.arrow_schema import valid_unicode as valid_unicode
from tweetgen.post import Post

#: Rows per record batch: big enough for Arrow kernels to pay off, small enough to stream.
BATCH_ROWS = 16_384

#: The corpus layout (``tweetgen.corpus.FEATURES`` says the same to ``datasets``).
SCHEMA: pa.Schema = ARROW_SCHEMA


def records_batch(records: list[dict[str, Any]]) -> pa.RecordBatch:
    """Records (``Post.to_record`` dicts) as one batch in :data:`SCHEMA`."""
    try:
        return pa.RecordBatch.from_pylist(records, schema=SCHEMA)
    except UnicodeEncodeError:
        return pa.RecordBatch.from_pylist(valid_unicode(records), schema=SCHEMA)


def post_batches(posts: Iterable[Post], rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """A stream of posts as record batches of ``rows`` posts (the last one shorter)."""
    records: list[dict[str, Any]] = []
    for post in posts:
        records.append(post.to_record())
        if len(records) == rows:
            yield records_batch(records)
            records = []
    if records:
        yield records_batch(records)


def batch_posts(batch: pa.RecordBatch | pa.Table) -> Iterator[Post]:
    for record in batch.to_pylist():
        yield Post.from_record(record)


def table_posts(table: pa.Table, rows: int = BATCH_ROWS) -> Iterator[Post]:
    """The rows of ``table`` as posts, converted one batch at a time."""
    for batch in table.to_batches(max_chunksize=rows):
        yield from batch_posts(batch)


def empty_table() -> pa.Table:
    return SCHEMA.empty_table()


def conform(table: pa.Table) -> pa.Table:
    """``table`` in :data:`SCHEMA` column order and types (a source's batches may differ)."""
    if table.schema.equals(SCHEMA):
        return table
    return table.select(SCHEMA.names).cast(SCHEMA)
