"""The Arrow layout of a corpus, and conversion between posts and record batches.

Sources may hand the core :class:`~tweetgen.records.post.Post` objects or record batches in this
schema; the core batches post streams itself (:func:`post_batches`) and otherwise moves whole
columns. Strings reaching Arrow are made valid Unicode here: a lone surrogate (``"\\ud800"``
in JSON) becomes U+FFFD instead of failing later at save.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.records.post import Post

_STRING = pa.string()
#: The corpus layout (``tweetgen.corpus.corpus.FEATURES`` is made from it for ``datasets``).
SCHEMA: pa.Schema = pa.schema(
    [
        ("id", _STRING),
        ("author", _STRING),
        ("text", _STRING),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("source", _STRING),
        ("kind", _STRING),
        ("lang", _STRING),
        ("reply_to", _STRING),
        ("urls", pa.list_(pa.struct([("short", _STRING), ("expanded", _STRING)]))),
        ("mentions", pa.list_(_STRING)),
        ("hashtags", pa.list_(_STRING)),
        ("extra", _STRING),
    ]
)

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def valid_unicode(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings (nested too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub(REPLACEMENT, value)
    if isinstance(value, dict):
        return {valid_unicode(k): valid_unicode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [valid_unicode(v) for v in value]
    return value


def string_array(values: Sequence[str | None]) -> pa.Array:
    """A string array; lone surrogates are replaced rather than failing."""
    try:
        return pa.array(values, _STRING)
    except UnicodeEncodeError:
        return pa.array(valid_unicode(values), _STRING)


#: Rows per record batch: big enough for Arrow kernels to pay off, small enough to stream.
BATCH_ROWS = 16_384


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


def first_occurrences(keys: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """For each row, whether it is the first with its key (``keys`` has no nulls)."""
    if isinstance(keys, pa.ChunkedArray):  # one dictionary for every chunk
        keys = keys.combine_chunks()
    encoded = pc.dictionary_encode(keys)
    indices = np.asarray(encoded.indices.to_numpy(zero_copy_only=False))
    first = np.zeros(len(indices), dtype=bool)
    if len(indices):
        _, positions = np.unique(indices, return_index=True)
        first[positions] = True
    return first
