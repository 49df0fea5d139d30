"""Coercion of filter options, which arrive as Python values or as strings from the CLI.

``parse_filter_spec`` JSON-decodes values and falls back to the raw string, so ``keep=false``
is a bool but ``keep=no`` is a string, and ``languages=en,de`` is one string: accept all of
them here, and raise :class:`FilterError` (never ``TypeError``) with the filter and option named.
"""

from __future__ import annotations

from collections.abc import Iterable

from tweetgen.errors import FilterError

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def as_bool(value: object, *, filter: str, option: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise FilterError(f"{filter}: {option} must be true or false, got {value!r}")


def as_int(value: object, *, filter: str, option: str, minimum: int = 0) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    if number is None or number < minimum:
        raise FilterError(f"{filter}: {option} must be an integer >= {minimum}, got {value!r}")
    return number


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
