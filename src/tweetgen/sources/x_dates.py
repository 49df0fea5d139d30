"""X's ``created_at`` strings (``Wed Jan 17 14:41:16 +0000 2024``) as timestamps, a column
at a time, with exactly the careful reader's results (:func:`values.parse_datetime`).

Archives write every date in that fixed 30-character form; the column is rewritten as ISO
8601 and cast by Arrow's strict parser (``strptime`` for a space-padded day), and what Arrow
cannot vouch for goes to ``parse_datetime``, row by row. (A numpy calendar decoding the
bytes saved 0.5 s of CPU on 1M dates, a few percent of the 1M ``prepare``: it went, see
benchmarks/RESULTS.md.)
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.records.schema import SCHEMA
from tweetgen.sources.values import parse_datetime

X_DATE_FORMAT = "%a %b %d %H:%M:%S %z %Y"
#: What ``values._X_DATE`` accepts; Arrow parses only these (it is laxer), Python the rest.
X_DATE_PATTERN = (
    r"^[A-Z][a-z]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} "
    r"\d\d:\d\d:\d\d [+-]\d{4} \d{4}$"
)
TIMESTAMP = SCHEMA.field("created_at").type
_FIRST = datetime(1, 1, 1, tzinfo=timezone.utc)
_LAST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
_DAYS = pa.array(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
_MONTHS = pa.array(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
)
#: ``Wed Jan 17 14:41:16 +0000 2024``: X's form with a two-digit day.
_X_DATE_LENGTH = 30
_EPOCH_ISO = "1970-01-01T00:00:00+0000"


class CarefulDate(ValueError):
    """A date only the careful reader can report (an impossible one, 30 February)."""


def dates(values: list[str]) -> pa.Array:
    """X's dates as UTC timestamps, the same as ``parse_datetime`` gives each."""
    raw = pa.array(values, pa.string())
    parsed = _iso_dates(raw)
    in_range = pc.and_(
        pc.greater_equal(parsed, pa.scalar(_FIRST, parsed.type)),
        pc.less_equal(parsed, pa.scalar(_LAST, parsed.type)),
    )  # what Python's datetime holds in UTC; Arrow's int64 reaches further
    usable = pc.and_(pc.match_substring_regex(raw, X_DATE_PATTERN), pc.fill_null(in_range, False))
    unusable = pc.invert(usable)
    odd = np.flatnonzero(unusable.to_numpy(zero_copy_only=False))
    if not len(odd):
        return parsed
    fixed = []
    for i in odd:
        try:
            fixed.append(parse_datetime(values[i]))
        except ValueError:
            raise CarefulDate(values[i]) from None
    return pc.replace_with_mask(parsed, unusable, pa.array(fixed, parsed.type))


def _iso_dates(raw: pa.Array) -> pa.Array:
    """Dates of X's fixed-width form rewritten as ISO 8601 and cast by Arrow's ISO parser
    (strict: no 30 February, no second 60); other forms by Arrow's ``strptime``. A date
    neither takes is null."""
    day, month = pc.utf8_slice_codeunits(raw, 0, 3), pc.utf8_slice_codeunits(raw, 4, 7)
    fixed = pc.and_(
        pc.and_(pc.equal(pc.utf8_length(raw), _X_DATE_LENGTH), pc.is_in(day, _DAYS)),
        pc.and_(pc.is_in(month, _MONTHS), pc.match_substring_regex(raw, X_DATE_PATTERN)),
    )
    fixed = pc.and_(fixed, pc.utf8_is_digit(pc.utf8_slice_codeunits(raw, 8, 10)))
    number = pc.utf8_lpad(pc.cast(pc.add(pc.index_in(month, _MONTHS), 1), pa.string()), 2, "0")
    iso = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(raw, 26, 30), "-", number, "-",
        pc.utf8_slice_codeunits(raw, 8, 10), "T", pc.utf8_slice_codeunits(raw, 11, 19),
        pc.utf8_slice_codeunits(raw, 20, 25), "",
    )  # fmt: skip
    try:
        parsed = pc.cast(pc.if_else(fixed, iso, _EPOCH_ISO), TIMESTAMP)
    except pa.ArrowInvalid:  # an impossible date: the careful reader says which
        raise CarefulDate("an impossible date") from None
    if pc.all(fixed).as_py():
        return parsed
    other = pc.strptime(raw, format=X_DATE_FORMAT, unit="us", error_is_null=True)
    return pc.if_else(fixed, parsed, pc.cast(other, TIMESTAMP))
