"""``tweetgen post``: draft, wait for each slot of the schedule, publish, record.

A dry run drafts and reports only: no token, no network, no ledger. A real run checks the
account first (credentials, automated label), then follows the plan in the ledger, so that a
run killed at any point and started again with the same arguments posts each slot once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tweetgen.base.atomic import output_lock
from tweetgen.bot.drafts import Drafter
from tweetgen.bot.ledger import POSTED, UNSURE, Ledger, Plan
from tweetgen.bot.publisher import Publisher
from tweetgen.errors import PublishError
from tweetgen.model.files import WORK_DIR_NAME

#: Where ledgers live inside the model's work folder.
LEDGER_DIR = "bot"
Echo = Callable[[str], None]


@dataclass
class Outcome:
    """What a run did: drafts (dry run) or posts made, and the warnings it gave."""

    dry_run: bool
    drafts: list[tuple[float, str]] = field(default_factory=list)
    posted: list[tuple[int, str, str]] = field(default_factory=list)  # slot, id, url
    warnings: list[str] = field(default_factory=list)
    ledger: Path | None = None


@dataclass
class Request:
    count: int = 1
    every: float = 0.0
    prompt: str = ""
    seed: int | None = None
    device: str = "auto"
    new_schedule: bool = False


def ledger_folder(model_dir: Path) -> Path:
    return model_dir / WORK_DIR_NAME / LEDGER_DIR


def dry_run(model_dir: Path, publisher: Publisher, request: Request) -> Outcome:
    """The posts a real run would publish now, with their delay from the start."""
    drafter = _drafter(model_dir, publisher, request, set())
    drafts = [(request.every * slot, drafter.next()) for slot in range(request.count)]
    return Outcome(dry_run=True, drafts=drafts)


def post(
    model_dir: Path,
    publisher: Publisher,
    request: Request,
    *,
    echo: Echo = lambda _: None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Publish ``request.count`` posts, one every ``request.every`` seconds, resumably."""
    outcome = Outcome(dry_run=False, warnings=publisher.connect())
    for warning in outcome.warnings:
        echo(f"warning: {warning}")
    folder = ledger_folder(model_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(f"cannot write the ledger: {exc.strerror or exc}", path=folder) from None
    ledger = Ledger.load(folder, publisher.target())
    outcome.ledger = ledger.path
    with output_lock(ledger.path, error=PublishError):
        ledger = Ledger.load(folder, publisher.target())  # as the lock holder left it
        wanted = Plan(request.count, request.every, request.prompt, clock())
        plan = ledger.begin_plan(wanted, new=request.new_schedule)
        if plan is not wanted:
            echo(f"resuming: {ledger.done_count()} of {plan.count} already posted")
        _follow(model_dir, publisher, request, ledger, plan, outcome, echo, clock, sleep)
    return outcome


def _follow(
    model_dir: Path,
    publisher: Publisher,
    request: Request,
    ledger: Ledger,
    plan: Plan,
    outcome: Outcome,
    echo: Echo,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
    drafter: Drafter | None = None
    for slot in range(plan.count):
        entry = ledger.entries.get(slot)
        if entry is not None and entry.state in (POSTED, UNSURE):
            continue
        if entry is None:
            wait = plan.started + plan.every * slot - clock()  # when slot is due, from now
            if wait > 0:
                echo(f"next post ({slot + 1}/{plan.count}) in {wait:,.0f} s")
                sleep(wait)
            drafter = drafter or _drafter(model_dir, publisher, request, ledger.texts())
            entry = ledger.begin(slot, drafter.next(), publisher.new_key())
        elif not publisher.idempotent:  # sent before a crash, outcome unknown: never resend
            ledger.mark(entry, UNSURE)
            echo(f"warning: post {slot + 1} may or may not have gone out before a crash; skipped")
            continue
        receipt = publisher.publish(entry.text, entry.key)
        ledger.mark(entry, POSTED, id=receipt.id, url=receipt.url, at=clock())
        outcome.posted.append((slot, receipt.id, receipt.url or ""))
        echo(f"posted {slot + 1}/{plan.count}: {receipt.url or receipt.id}")


def _drafter(model_dir: Path, publisher: Publisher, request: Request, seen: set[str]) -> Drafter:
    return Drafter(
        model_dir,
        prompt=request.prompt,
        limit=publisher.max_chars,
        length=publisher.length,
        seen=seen,
        seed=request.seed,
        device=request.device,
    )
