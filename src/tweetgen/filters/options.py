"""Coercion of filter options, which arrive as Python values or as strings from the CLI.

``parse_filter_spec`` JSON-decodes values and falls back to the raw string, so ``keep=false``
is a bool but ``keep=no`` is a string, and ``languages=en,de`` is one string: accept all of
them here, and raise :class:`FilterError` (never ``TypeError``) with the filter and option named.
"""

from __future__ import annotations

from collections.abc import Iterable

from tweetgen.errors import FilterError
from tweetgen.plugins.options import parse_bool, parse_int


def as_bool(value: object, *, filter: str, option: str) -> bool:
    return parse_bool(value, name=f"{filter}: {option}", error=FilterError)


def as_int(value: object, *, filter: str, option: str, minimum: int = 0) -> int:
    return parse_int(value, name=f"{filter}: {option}", minimum=minimum, error=FilterError)


def as_fraction(value: object, *, filter: str, option: str) -> float:
    """A number in (0, 1]."""
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not 0 < number <= 1:
        raise FilterError(f"{filter}: {option} must be a number in (0, 1], got {value!r}")
    return number


def as_str(value: object, *, filter: str, option: str) -> str:
    if not isinstance(value, str):
        raise FilterError(f"{filter}: {option} must be a string, got {value!r}")
    return value


def as_str_list(value: object, *, filter: str, option: str) -> list[str]:
    """A list from ``["en", "de"]``, ``("en",)`` or the CLI's ``"en,de"``; blanks dropped."""
    items: Iterable[object]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        raise FilterError(f"{filter}: {option} must be a list of strings, got {value!r}")
    if not all(isinstance(i, str) for i in items):
        raise FilterError(f"{filter}: {option} must be a list of strings, got {value!r}")
    return [i.strip() for i in items if isinstance(i, str) and i.strip()]
