"""What is asked of a generator, within which limits, and what it gives back: plain records
shared by the generator and the rows it draws (:mod:`tweetgen.generation.rows`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tweetgen.errors import RequestError
from tweetgen.model.files import MAX_TEMPERATURE, MIN_TEMPERATURE
from tweetgen.plugins.options import MAX_SEED


@dataclass(frozen=True)
class Sample:
    """One generated post. ``novel`` is False for a copy kept because the filter was off."""

    text: str
    prompt: str
    tokens: int
    novel: bool = True


@dataclass
class GenerationResult:
    samples: list[Sample] = field(default_factory=list)
    #: Samples dropped because they copied a training post.
    dropped_copies: int = 0
    #: Samples dropped because nothing but the prompt was generated.
    dropped_empty: int = 0
    #: Samples drawn in all (kept and dropped).
    drawn: int = 0
    #: Whether the model had a novelty index to check against.
    novelty_checked: bool = False

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.samples]

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": [s.__dict__ for s in self.samples],
            "dropped_copies": self.dropped_copies,
            "dropped_empty": self.dropped_empty,
            "drawn": self.drawn,
            "novelty_checked": self.novelty_checked,
        }


@dataclass(frozen=True)
class SampleRequest:
    """What one caller asks of :meth:`Generator.generate_batch`; unset settings take the
    model's defaults (``generation_config.json``)."""

    prompt: str = ""
    n: int = 5
    max_new_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    cut_at_newline: bool = True
    novelty: bool = True


#: The library's limits on generation arguments, checked before the model loads: beyond them
#: a run would hang (10^12 samples), run out of memory (a huge batch) or sample from inf/nan
#: probabilities (a temperature of 1e-300 or 1e300).
MAX_SAMPLES = 10_000
MAX_BATCH_SIZE = 1_024
MAX_NEW_TOKENS = 100_000


@dataclass(frozen=True)
class RequestLimits:
    """The ranges of a request's settings; a server asks for narrower ones than the library."""

    max_posts: int = MAX_SAMPLES
    max_new_tokens: int = MAX_NEW_TOKENS
    min_temperature: float = MIN_TEMPERATURE
    max_temperature: float = MAX_TEMPERATURE


LIBRARY_LIMITS = RequestLimits()


def check_settings(
    request: SampleRequest,
    limits: RequestLimits = LIBRARY_LIMITS,
    names: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`RequestError` for the first setting of ``request`` out of ``limits``
    (cheap: call it before loading a model). ``names`` spell the fields as the caller does
    (a server's ``max_tokens``), in the message and the error's ``param``."""

    def name(field: str) -> str:
        return (names or {}).get(field, field)

    prompt = request.prompt
    if not isinstance(prompt, str):
        raise RequestError(f"the prompt must be text, got {type(prompt).__name__}", name("prompt"))
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError:
        message = "the prompt is not valid UTF-8 text (check the terminal's encoding)"
        raise RequestError(message, name("prompt")) from None
    _int_arg(name("n"), request.n, 1, limits.max_posts)
    if request.max_new_tokens is not None:
        _int_arg(name("max_new_tokens"), request.max_new_tokens, 1, limits.max_new_tokens)
    low, high = limits.min_temperature, limits.max_temperature
    _number_arg(name("temperature"), request.temperature, low, high, f"from {low:g} to {high:g}")
    _number_arg(name("top_p"), request.top_p, 0, 1, "above 0, at most 1", open_low=True)


def check_generation_args(
    prompt: str = "",
    n: int = 5,
    *,
    seed: int | None = None,
    batch_size: int = 8,
    **settings: Any,
) -> None:
    """:func:`check_settings` for :meth:`Generator.generate`'s arguments, with its seed and
    batch size."""
    _int_arg("batch_size", batch_size, 1, MAX_BATCH_SIZE)
    if seed is not None:
        _int_arg("seed", seed, 0, MAX_SEED)
    check_settings(SampleRequest(prompt, n, **settings))


def _int_arg(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        message = f"{name} must be an integer from {low} to {high:,}, got {value!r}"
        raise RequestError(message, name)


def _number_arg(
    name: str, value: Any, low: float, high: float, wanted: str, *, open_low: bool = False
) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RequestError(f"{name} must be a finite number {wanted}, got {value!r}", name)
    if not (low < value if open_low else low <= value) or value > high:
        raise RequestError(f"{name} must be a number {wanted}, got {value!r}", name)
