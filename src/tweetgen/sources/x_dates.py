"""X's ``created_at`` strings (``Wed Jan 17 14:41:16 +0000 2024``) as timestamps, a column
at a time, with exactly the careful reader's results (:func:`values.parse_datetime`).

Archives write every date in that fixed 30-character form at offset ``+0000``; such a column
is decoded from its bytes with numpy. Any other date sends the column to Arrow (an ISO 8601
rewrite cast by Arrow's strict parser, ``strptime`` for a space-padded day), and what Arrow
cannot vouch for to ``parse_datetime``, row by row.
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
_DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DAYS = pa.array(_DAY_NAMES)
_MONTHS = pa.array(_MONTH_NAMES)
#: ``Wed Jan 17 14:41:16 +0000 2024``: X's form with a two-digit day.
_X_DATE_LENGTH = 30
_EPOCH_ISO = "1970-01-01T00:00:00+0000"
#: The fixed characters of that form at offset +0000 ('.' marks a digit or a name).
_TEMPLATE = np.frombuffer(b"... ... .. ..:..:.. +0000 ....", dtype=np.uint8)
_FIXED_AT = np.flatnonzero(ord(".") != _TEMPLATE)
_DIGITS_AT = np.array([8, 9, 11, 12, 14, 15, 17, 18, 26, 27, 28, 29])
_MICROS = 1_000_000


class CarefulDate(ValueError):
    """A date only the careful reader can report (an impossible one, 30 February)."""


def dates(values: list[str]) -> pa.Array:
    """X's dates as UTC timestamps, the same as ``parse_datetime`` gives each."""
    raw = pa.array(values, pa.string())
    fast = fixed_form_dates(raw)
    if fast is not None:
        return fast
    parsed = _iso_dates(raw)
    in_range = pc.and_(
        pc.greater_equal(parsed, pa.scalar(_FIRST, parsed.type)),
        pc.less_equal(parsed, pa.scalar(_LAST, parsed.type)),
    )  # what Python's datetime holds in UTC; Arrow's int64 reaches further
    usable = pc.and_(pc.match_substring_regex(raw, X_DATE_PATTERN), pc.fill_null(in_range, False))
    odd = np.flatnonzero(~np.asarray(usable.to_numpy(zero_copy_only=False), dtype=bool))
    if not len(odd):
        return parsed
    fixed = []
    for i in odd:
        try:
            fixed.append(parse_datetime(values[i]))
        except ValueError:
            raise CarefulDate(values[i]) from None
    mask = pa.array(~np.asarray(usable.to_numpy(zero_copy_only=False), dtype=bool))
    return pc.replace_with_mask(parsed, mask, pa.array(fixed, parsed.type))


def fixed_form_dates(raw: pa.Array) -> pa.Array | None:
    """The column decoded from its bytes when every date is in X's fixed form at +0000 and
    is a real date and time (no 30 February, no hour 24, no second 60); None otherwise."""
    n = len(raw)
    if not n or raw.null_count:
        return None
    ends = np.frombuffer(raw.buffers()[1], dtype=np.int32)[raw.offset : raw.offset + n + 1]
    if np.any(np.diff(ends) != _X_DATE_LENGTH):
        return None
    chars = np.frombuffer(raw.buffers()[2], dtype=np.uint8)[ends[0] : ends[-1]]
    chars = chars.reshape(n, _X_DATE_LENGTH)
    digits = chars[:, _DIGITS_AT] - np.uint8(ord("0"))  # anything else wraps past 9
    if np.any(chars[:, _FIXED_AT] != _TEMPLATE[_FIXED_AT]) or np.any(digits > 9):
        return None
    weekday = _name_codes(chars[:, 0:3], _DAY_CODES)
    month = _name_codes(chars[:, 4:7], _MONTH_CODES)
    if np.any(weekday < 0) or np.any(month < 0):
        return None
    d = digits.astype(np.int64)
    day, hour, minute, second = (d[:, i] * 10 + d[:, i + 1] for i in (0, 2, 4, 6))
    year = d[:, 8] * 1000 + d[:, 9] * 100 + d[:, 10] * 10 + d[:, 11]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    length = _MONTH_DAYS[month] + (leap & (month == 1))
    real = (year >= 1) & (day >= 1) & (day <= length) & (hour < 24) & (minute < 60) & (second < 60)
    if not real.all():
        return None
    seconds = _days_from_civil(year, month + 1, day) * 86_400 + hour * 3_600 + minute * 60
    return pa.array((seconds + second) * _MICROS, pa.int64()).cast(TIMESTAMP)


def _codes(names: list[str]) -> np.ndarray:
    return np.array([int.from_bytes(n.encode(), "big") for n in names], dtype=np.int64)


_DAY_CODES = _codes(_DAY_NAMES)
_MONTH_CODES = _codes(_MONTH_NAMES)
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _name_codes(letters: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The index in ``codes`` (names as big-endian integers) of each row's three letters,
    -1 where none matches."""
    keys = (letters[:, 0].astype(np.int64) << 16) | (letters[:, 1].astype(np.int64) << 8)
    keys |= letters[:, 2]
    order = np.argsort(codes)
    found = np.searchsorted(codes[order], keys).clip(0, len(codes) - 1)
    return np.where(codes[order][found] == keys, order[found], -1)


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (the well-known era arithmetic:
    years start in March, so the leap day ends a year)."""
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    year_of_era = y - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


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
