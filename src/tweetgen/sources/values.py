"""Values shared by the built-in sources: dates, and text that must be valid Unicode.

Source options are parsed by :mod:`tweetgen.plugins.options`, the one option parser."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from tweetgen.errors import InputFormatError

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_X_DATE = re.compile(
    r"^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d) (\d{4})$"
)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_EPOCH_MS_ABOVE = 100_000_000_000  # as seconds this would be the year 5138


def valid_text(value: str, field: str, *, where: str = "", path: str | None = None) -> str:
    """``value``, when it is valid Unicode. A lone surrogate (JSON's ``"\\ud800"`` escape
    decodes to one) cannot be stored, nor replaced in a field that identifies something (an
    id, the account's handle): the error names the field and where it is."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        at = f"{where}: " if where else ""
        raise InputFormatError(
            f"{at}not valid Unicode in `{field}` (a lone surrogate, "
            f"{value[exc.start]!r}, at character {exc.start + 1})",
            path=path,
        ) from None
    return value


def parse_datetime(value: Any) -> datetime:
    """A timezone-aware datetime from the forms posts come in; naive values are taken as UTC.

    Accepted: ``datetime``, X's ``Fri Feb 20 09:10:58 +0000 2026``, ISO 8601, and epoch
    seconds (or milliseconds, when the number is too large to be seconds). Raises ValueError.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, bool):
        raise ValueError(f"not a date: {value!r}")
    elif isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        parsed = _from_epoch(float(value))
    elif isinstance(value, str):
        parsed = _from_text(value.strip())
    else:
        raise ValueError(f"not a date: {value!r}")
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    try:
        parsed.astimezone(timezone.utc)  # the corpus stores UTC: refuse what cannot convert
    except OverflowError:
        raise ValueError(f"date out of range: {value!r}") from None
    return parsed


def _from_epoch(number: float) -> datetime:
    if abs(number) >= _EPOCH_MS_ABOVE:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"epoch time out of range: {number!r}") from None


def _from_text(text: str) -> datetime:
    match = _X_DATE.match(text)
    if match:
        month, day, hh, mm, ss, sign, oh, om, year = match.groups()
        if month not in _MONTHS:
            raise ValueError(f"unknown month in {text!r}")
        offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
        return datetime(
            int(year), _MONTHS[month], int(day), int(hh), int(mm), int(ss),
            tzinfo=timezone(offset),
        )  # fmt: skip
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"unrecognised date {text!r}") from None
