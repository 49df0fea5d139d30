"""Options as they arrive: Python values from the API, or strings from the command line.

``-o KEY=VALUE`` (sources), ``-f NAME:KEY=VALUE`` (filters) and ``--set KEY=VALUE`` (training)
all pass through here, and plugins can use the same functions so that every option in tweetgen
accepts the same spellings (``true``/``yes``/``1``...) and fails with the same kind of message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from tweetgen.errors import SourceError, TweetgenError

_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "n"})


def parse_bool(value: Any, *, name: str, error: type[TweetgenError] = SourceError) -> bool:
    """``True``, or ``"yes"``/``"true"``/``"1"`` from the CLI; anything unclear is an error."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise error(f"{name} must be true or false, got {value!r}")


#: The largest seed torch (and numpy) accept everywhere.
MAX_SEED = 2**63 - 1


def parse_int(
    value: Any,
    *,
    name: str,
    minimum: int = 0,
    error: type[TweetgenError] = SourceError,
    maximum: int | None = None,
) -> int:
    """An integer in ``[minimum, maximum]`` from an int or its decimal string (not a bool)."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
        number = int(value.strip())
    if number is None or number < minimum:
        raise error(f"{name} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and number > maximum:
        raise error(f"{name} must be an integer from {minimum} to {maximum:,}, got {value!r}")
    return number


def check_options(
    owner: str,
    options: Mapping[str, Any],
    known: Iterable[str],
    *,
    error: type[TweetgenError] = SourceError,
) -> None:
    """Refuse option names ``owner`` does not know, listing the ones it does."""
    allowed = set(known)
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise error(
            f"unknown option(s) {', '.join(unknown)} for {owner} "
            f"(known: {', '.join(sorted(allowed)) or 'none'})"
        )


def parse_assignments(
    pairs: Iterable[str], *, what: str, error: type[TweetgenError], json_values: bool = True
) -> dict[str, Any]:
    """``KEY=VALUE`` strings to a dict; values are JSON when they parse, else kept as text.

    Dashes in keys become underscores, so ``--set block-size=64`` names ``block_size``.
    With ``json_values=False`` every value stays a string (source options: the source
    decides what its strings mean).
    """
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise error(f"bad {what} {pair!r} (expected KEY=VALUE)")
        name = key.strip().replace("-", "_")
        try:
            result[name] = json.loads(raw) if json_values else raw
        except ValueError:
            result[name] = raw
    return result
