"""Options as they arrive: Python values from the API, or strings from the command line.

``-o KEY=VALUE`` (sources), ``-f NAME:KEY=VALUE`` (filters) and ``--set KEY=VALUE`` (training)
all pass through here, and plugins can use the same functions so that every option in tweetgen
accepts the same spellings (``true``/``yes``/``1``...) and fails with the same kind of message.
"""

from __future__ import annotations

import builtins
import difflib
import inspect
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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


def parse_fraction(value: Any, *, name: str, error: type[TweetgenError] = SourceError) -> float:
    """A number in (0, 1] from a number or its decimal string (not a bool)."""
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not 0 < number <= 1:
        raise error(f"{name} must be a number in (0, 1], got {value!r}")
    return number


def parse_str(value: Any, *, name: str, error: type[TweetgenError] = SourceError) -> str:
    if not isinstance(value, str):
        raise error(f"{name} must be a string, got {value!r}")
    return value


def parse_str_list(value: Any, *, name: str, error: type[TweetgenError] = SourceError) -> list[str]:
    """A list from ``["en", "de"]``, ``("en",)`` or the CLI's ``"en,de"``; blanks dropped."""
    items: Iterable[object] = ()
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    if isinstance(value, str | list | tuple | set | frozenset) and all(
        isinstance(i, str) for i in items
    ):
        return [i.strip() for i in items if isinstance(i, str) and i.strip()]
    raise error(f"{name} must be a list of strings, got {value!r}")


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
            f"unknown option(s) {', '.join(unknown)} for {owner}{did_you_mean(unknown, allowed)} "
            f"(known: {', '.join(sorted(allowed)) or 'none'})"
        )


def did_you_mean(unknown: Iterable[str], known: Iterable[str]) -> str:
    """``": did you mean author?"`` for a near miss of a known name, else ``""``."""
    choices, names = sorted(known), list(unknown)
    guesses = [
        f"{name} -> {match[0]}" if len(names) > 1 else match[0]
        for name in names
        if (match := difflib.get_close_matches(name, choices, n=1, cutoff=0.6))
    ]
    return f": did you mean {', '.join(guesses)}?" if guesses else ""


#: Types an :class:`Option` may declare, by the name ``tweetgen plugins`` shows.
OPTION_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}


@dataclass(frozen=True)
class Option:
    """One option a source or trainer takes: ``-o NAME=VALUE`` or ``--set NAME=VALUE``.

    Declared as a class attribute (``options = (Option("limit", int, None, "..."),)``), it is
    what ``tweetgen plugins NAME`` and the docs' option tables show, and what tweetgen checks
    options against before calling the plugin: unknown names fail with a did-you-mean, and
    command-line strings are converted to ``type`` (``bool`` takes ``yes``/``no``...).
    """

    name: str
    type: builtins.type = str
    default: Any = None
    help: str = ""

    def __post_init__(self) -> None:
        if self.type not in OPTION_TYPES.values():
            raise TypeError(f"option {self.name}: type must be one of {', '.join(OPTION_TYPES)}")

    @property
    def type_name(self) -> str:
        return self.type.__name__

    def parse(self, value: Any, owner: str, error: builtins.type[TweetgenError]) -> Any:
        """``value`` as ``type`` (``None`` stays ``None``: the plugin's default applies)."""
        label = f"{owner}: option {self.name}"
        if value is None or self.type is str:  # text is the plugin's to read (or a list, a path)
            return value
        if self.type is bool:
            return parse_bool(value, name=label, error=error)
        if self.type is int:
            return parse_int(value, name=label, minimum=-(2**63), error=error)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, bool) or not math.isfinite(number):
            raise error(f"{label} must be a finite number, got {value!r}")
        return number

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what ``tweetgen plugins NAME --json`` prints."""
        default = self.default if isinstance(self.default, str | int | float | bool) else None
        return {"name": self.name, "type": self.type_name, "default": default, "help": self.help}


def declared_options(cls: type[Any]) -> list[Option] | None:
    """The options ``cls`` declares, or ``None`` when it declares none.

    ``options`` may be a sequence of :class:`Option`, a mapping of names to :class:`Option`, or
    (the older form) a mapping of names to help strings, read as ``str`` options.
    """
    raw = getattr(cls, "options", None)
    if raw is None or inspect.isroutine(raw):
        return None
    items = raw.items() if isinstance(raw, Mapping) else ((None, o) for o in raw)
    found: list[Option] = []
    for name, item in items:
        if isinstance(item, Option):
            found.append(item)
        elif isinstance(name, str) and isinstance(item, str):
            found.append(Option(name, str, None, item))
        else:
            raise TypeError(f"{cls.__name__}.options: expected Option declarations, got {item!r}")
    return found


def apply_declared(
    owner: str,
    declared: Iterable[Option],
    options: Mapping[str, Any],
    *,
    error: type[TweetgenError] = SourceError,
) -> dict[str, Any]:
    """``options`` checked against ``declared`` (did-you-mean on a typo) and converted."""
    table = {o.name: o for o in declared}
    check_options(owner, options, table, error=error)
    return {k: table[k].parse(v, owner, error) for k, v in options.items()}


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
