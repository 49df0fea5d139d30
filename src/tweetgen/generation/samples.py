"""What is asked of a generator and what it gives back: plain records shared by the generator
and the rows it draws (:mod:`tweetgen.generation.rows`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
