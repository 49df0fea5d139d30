"""What filtering did, step by step, and the seed's data table derived from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class FilterStep:
    """One filter's effect: how many posts it saw, dropped, and rewrote."""

    name: str
    reason: str
    seen: int
    dropped: int
    changed: int

    @property
    def kept(self) -> int:
        return self.seen - self.dropped


@dataclass
class FilterReport:
    """The steps of one or more ``Corpus.filter`` calls, in the order they ran."""

    downloaded: int
    steps: list[FilterStep] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return self.steps[-1].kept if self.steps else self.downloaded

    @classmethod
    def with_skipped(cls, kept: int, skipped: Mapping[str, int], *, by: str) -> FilterReport:
        """A report for ``kept`` posts yielded after a source skipped ``skipped`` (by reason)."""
        seen = kept + sum(skipped.values())
        steps = []
        for reason, count in skipped.items():
            steps.append(FilterStep(name=by, reason=reason, seen=seen, dropped=count, changed=0))
            seen -= count
        return cls(kept + sum(skipped.values()), steps)

    def dropped_by_step(self, reason: str) -> dict[str, int]:
        """What each filter (by name, in chain order) dropped under ``reason``: the parts of
        one data table row (``short tweets`` adds the posts ``drop-short`` found too short to
        those ``remove-urls`` emptied, and ``strip-reply-mentions``...)."""
        parts: dict[str, int] = {}
        for step in self.steps:
            if step.reason == reason and step.dropped:
                parts[step.name] = parts.get(step.name, 0) + step.dropped
        return parts

    def extend(self, other: FilterReport) -> FilterReport:
        """This report followed by ``other`` (which must start where this one ends)."""
        return FilterReport(self.downloaded, [*self.steps, *other.steps])

    def table(self) -> list[tuple[str, int]]:
        """Rows like the seed's model card: downloaded, one row per drop reason, kept.

        ``retweets`` and ``short tweets`` rows always appear, as the seed's table had them.
        """
        rows: dict[str, int] = {"retweets": 0, "short tweets": 0}
        for step in self.steps:
            if step.dropped or step.reason in rows:
                rows[step.reason] = rows.get(step.reason, 0) + step.dropped
        return [("downloaded", self.downloaded), *rows.items(), ("kept", self.kept)]

    def to_dict(self) -> dict[str, Any]:
        return {"downloaded": self.downloaded, "steps": [asdict(s) for s in self.steps]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FilterReport:
        return cls(int(data["downloaded"]), [FilterStep(**s) for s in data.get("steps", [])])
