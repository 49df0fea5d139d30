"""The ledger: what a schedule has posted, so a restart after a crash never posts twice.

One small JSON file per target account in the model's work folder (never pushed to the Hub),
rewritten atomically after every change. An entry is written as ``sending`` *before* its
post goes out and marked ``posted`` after, so a crash in between leaves ``sending``: the
restart sends that same text with the same key, which an idempotent network (Mastodon's
``Idempotency-Key``, a fixed Bluesky record key) answers without posting again; for any other
network it is marked ``unsure`` and never sent again. It holds texts and ids, never tokens.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tweetgen.base.atomic import write_json
from tweetgen.errors import PublishError

FORMAT = 1
SENDING, POSTED, UNSURE = "sending", "posted", "unsure"


@dataclass(frozen=True)
class Plan:
    """What one ``tweetgen post`` run was asked for; ``started`` is when slot 0 was due."""

    count: int
    every: float
    prompt: str
    started: float

    def same_request(self, other: Plan) -> bool:
        return (self.count, self.every, self.prompt) == (other.count, other.every, other.prompt)


@dataclass
class Entry:
    slot: int
    key: str
    text: str
    state: str = SENDING
    id: str | None = None
    url: str | None = None
    at: float | None = None


@dataclass
class Ledger:
    path: Path
    target: str
    plan: Plan | None = None
    entries: dict[int, Entry] = field(default_factory=dict)
    #: Every text posted to this account by earlier plans: never posted again.
    history: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, folder: Path, target: str) -> Ledger:
        path = folder / f"{_slug(target)}.json"
        if not path.is_file():
            return cls(path, target)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            plan = Plan(**data["plan"]) if data.get("plan") else None
            entries = {int(e["slot"]): Entry(**e) for e in data.get("entries", [])}
            history = [str(t) for t in data.get("history", [])]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            problem = f"damaged ledger ({type(exc).__name__}); move it away"
            raise PublishError(problem, path=path) from None
        return cls(path, target, plan, entries, history)

    def begin_plan(self, plan: Plan, *, new: bool = False) -> Plan:
        """The plan to follow: the unfinished one when it is the same request, else ``plan``."""
        if self.plan is not None and not self.finished():
            if self.plan.same_request(plan):
                return self.plan
            if not new:
                raise PublishError(
                    f"an unfinished schedule ({self.done_count()} of {self.plan.count} posted, "
                    f"every {self.plan.every:g}s) is in this ledger: run it again with the "
                    "same --count, --every and --prompt to finish it, or pass --new-schedule",
                    path=self.path,
                )
        self.history += [e.text for e in self.entries.values() if e.state != SENDING]
        self.plan, self.entries = plan, {}
        self.save()
        return plan

    def finished(self) -> bool:
        return self.plan is not None and self.done_count() >= self.plan.count

    def done_count(self) -> int:
        return sum(e.state in (POSTED, UNSURE) for e in self.entries.values())

    def texts(self) -> set[str]:
        """Everything this account was sent or is being sent (for the no-repeat rule)."""
        return set(self.history) | {e.text for e in self.entries.values()}

    def begin(self, slot: int, text: str, key: str) -> Entry:
        entry = Entry(slot, key, text)
        self.entries[slot] = entry
        self.save()
        return entry

    def mark(
        self,
        entry: Entry,
        state: str,
        *,
        id: str | None = None,
        url: str | None = None,
        at: float | None = None,
    ) -> None:
        entry.state, entry.id, entry.url, entry.at = state, id, url, at
        self.save()

    def save(self) -> None:
        data: dict[str, Any] = {
            "format": FORMAT,
            "target": self.target,
            "plan": asdict(self.plan) if self.plan else None,
            "entries": [asdict(e) for _, e in sorted(self.entries.items())],
            "history": self.history,
        }
        write_json(self.path, data)


def _slug(target: str) -> str:
    """A file name for ``target``: readable, and unique through a short hash."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", target).strip("-.")[:60] or "target"
    return f"{readable}-{hashlib.sha256(target.encode()).hexdigest()[:8]}"
