"""What ``tweetgen eval`` finds, as typed values: one :class:`ModelQuality` per model (the
base and the fine-tune), and the :class:`EvalReport` that compares them with the author."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tweetgen.evaluation.heldout import HeldOutLoss
from tweetgen.evaluation.textstats import WordUse
from tweetgen.evaluation.trainlog import TrainingCurve


@dataclass
class ModelQuality:
    """One model's held-out loss and samples, measured against the author's posts."""

    label: str  # "base" or "fine-tune"
    model: str  # the model's folder or name
    held_out: HeldOutLoss | None = None
    samples: list[str] = field(default_factory=list)
    #: Samples that are near-copies of a training post (tweetgen.model.novelty's rule).
    copies: int = 0
    length_ks: float = math.nan
    distinct_1: float = math.nan
    distinct_2: float = math.nan
    overused: list[WordUse] = field(default_factory=list)

    @property
    def copy_share(self) -> float:
        return self.copies / len(self.samples) if self.samples else math.nan

    @property
    def sample_lengths(self) -> list[int]:
        return [len(s) for s in self.samples]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "model": self.model,
            "held_out": None if self.held_out is None else self.held_out.to_dict(),
            "samples": len(self.samples),
            "copies": self.copies,
            "copy_share": _finite(self.copy_share),
            "length_ks": _finite(self.length_ks),
            "distinct_1": _finite(self.distinct_1),
            "distinct_2": _finite(self.distinct_2),
            "overused": [w.__dict__ for w in self.overused],
            "sample_texts": list(self.samples),
        }


@dataclass
class EvalReport:
    """The fine-tune (and its base) against the author's held-out posts.

    ``held_out_from`` says which posts were scored: the model's own validation split when the
    corpus is the one it was trained on, else every post of the corpus.
    """

    model: str
    corpus: str
    held_out_from: str
    real_lengths: list[int]
    author_distinct_1: float
    author_distinct_2: float
    fine_tune: ModelQuality
    base: ModelQuality | None = None
    curve: TrainingCurve = field(default_factory=TrainingCurve)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def models(self) -> list[ModelQuality]:
        return [m for m in (self.base, self.fine_tune) if m is not None]

    def headline(self) -> dict[str, float]:
        """The numbers ``train`` prints: bits/char before and after, copies, length KS."""
        out: dict[str, float] = {}
        if self.base is not None and self.base.held_out is not None:
            out["bits_per_char_before"] = self.base.held_out.bits_per_char
        if self.fine_tune.held_out is not None:
            out["bits_per_char_after"] = self.fine_tune.held_out.bits_per_char
            out["perplexity_after"] = self.fine_tune.held_out.perplexity
        if self.fine_tune.samples:
            out["copy_share"] = self.fine_tune.copy_share
            out["length_ks"] = self.fine_tune.length_ks
            out["distinct_2"] = self.fine_tune.distinct_2
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (NaN becomes null)."""
        return {
            "model": self.model,
            "corpus": self.corpus,
            "held_out_from": self.held_out_from,
            "headline": {k: _finite(v) for k, v in self.headline().items()},
            "author": {
                "posts": len(self.real_lengths),
                "distinct_1": _finite(self.author_distinct_1),
                "distinct_2": _finite(self.author_distinct_2),
                "lengths": list(self.real_lengths),
            },
            "fine_tune": self.fine_tune.to_dict(),
            "base": None if self.base is None else self.base.to_dict(),
            "training_curve": self.curve.to_dict(),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 2),
        }


def _finite(value: float) -> float | None:
    return value if isinstance(value, int | float) and math.isfinite(value) else None


def shown(value: float, digits: int = 3) -> str:
    """A number as the table and the HTML page show it (``-`` for NaN)."""
    return "-" if _finite(value) is None else f"{value:.{digits}f}"
