"""The corpus's Arrow layout in plain pyarrow, and valid Unicode on the way into Arrow.

:mod:`tweetgen.columns` holds the same layout as ``datasets`` features (what a saved corpus
records); this module needs only pyarrow, so the X archive's worker processes start without
importing ``datasets`` (half a second each).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

_STRING = pa.string()
#: ``tweetgen.columns.SCHEMA`` without the ``datasets`` metadata (a test keeps them equal).
ARROW_SCHEMA = pa.schema(
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
