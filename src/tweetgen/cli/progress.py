"""Progress for the CLI, fed by the library's plain callbacks.

On a terminal: one rich line that names the stage (reading, filtering, saving the corpus,
loading the base model, evaluating, training with an ETA, saving the model, sampling). When
stderr is not a terminal (a log file, CI): plain lines, one per stage and then one every
:data:`PLAIN_INTERVAL` seconds, so a long run is never silent until its end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

#: Seconds between two plain progress lines of the same stage.
PLAIN_INTERVAL = 10.0
#: Seconds before the first plain line (a quick failure prints its error line alone).
PLAIN_DELAY = 2.0
#: How often plain progress looks for a stage to announce or repeat.
TICK_SECONDS = 1.0
#: The library's training stages, as the CLI names them.
TRAIN_STAGES = {
    "base": "loading the base model",
    "evaluate": "evaluating",
    "checkpoint": "saving a checkpoint",
    "save": "saving the model",
}


def clock(seconds: float) -> str:
    """``1:05`` or ``1:02:05``."""
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Eta:
    """Time left for training, from the pace of the steps run so far in this process."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self.start: tuple[float, int] | None = None

    def update(self, step: int, total: int) -> float | None:
        """Seconds left after ``step`` of ``total``; None until a pace is known."""
        now = self.now()
        if self.start is None or step < self.start[1]:
            self.start = (now, step)
            return None
        began, first = self.start
        if step == first:
            return None
        return (now - began) / (step - first) * max(total - step, 0)


class RichDisplay:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("starting", total=None, detail="")

    def show(
        self, stage: str, detail: str = "", *, done: int | None = None, total: int | None = None
    ) -> None:
        self.progress.update(
            self.task, description=stage, detail=detail, completed=done or 0, total=total
        )

    def note(self, text: str) -> None:
        self.progress.console.print(text, markup=False, highlight=False)


class PlainDisplay:
    """A line when a stage starts, one per :data:`PLAIN_INTERVAL` while it lasts, and its
    last state when the next stage starts (so a log shows the final count of posts read).

    Nothing is printed in the first ``delay`` seconds after the first event: a command that
    fails at once on bad input leaves only its one-line error on stderr. :meth:`tick` (called
    every second by :func:`chain_progress`) prints a stage that started in that quiet time, and
    repeats a long stage that sends no events (saving, uploading) every interval.
    """

    def __init__(
        self,
        console: Console,
        now: Callable[[], float] = time.monotonic,
        delay: float | None = None,
    ) -> None:
        self.console = console
        self.now = now
        self.delay = PLAIN_DELAY if delay is None else delay
        self.began = now()
        self.first: float | None = None  # when the first event came
        self.stage = ""
        self.shown = False  # whether this stage's first line was printed
        self.last = 0.0
        self.pending = ""  # the newest detail of this stage, not printed yet
        self.lock = threading.Lock()  # show() runs in the work's thread, tick() in a timer's

    def show(
        self, stage: str, detail: str = "", *, done: int | None = None, total: int | None = None
    ) -> None:
        with self.lock:
            now = self.now()
            self.first = now if self.first is None else self.first
            if stage != self.stage:
                self._close()
                self.stage, self.shown = stage, False
            self.pending = detail
            self._due(now, silent=False)

    def tick(self) -> None:
        """Show a stage begun in the quiet time; repeat one that has been silent too long."""
        with self.lock:
            if self.stage:
                self._due(self.now(), silent=True)

    def _due(self, now: float, *, silent: bool) -> None:
        """The stage's first line once the quiet time is over, then one each interval: with
        a newer detail, or (``silent``, from :meth:`tick`) without one too."""
        if not self.shown:
            if self.first is not None and now - self.first >= self.delay:
                self.shown = True
                self._line(now, self.stage, self.pending)
        elif (silent or self.pending) and now - self.last >= PLAIN_INTERVAL:
            self._line(now, self.stage, self.pending)

    def close(self) -> None:
        with self.lock:
            self._close()

    def _close(self) -> None:
        """Print the stage's last state if a newer one than the last line exists."""
        if self.shown and self.pending:
            self._line(self.now(), self.stage, self.pending)

    def _line(self, now: float, stage: str, detail: str) -> None:
        self.last, self.pending = now, ""
        self.note(
            f"[{clock(now - self.began)}] {stage}: {detail}"
            if detail
            else f"[{clock(now - self.began)}] {stage}"
        )

    def note(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)


#: Where stage changes and counts go: a rich line or plain lines.
Display = RichDisplay | PlainDisplay


class ChainProgress:
    """The callbacks a whole run feeds: posts read, stages, training events."""

    def __init__(self, display: Display) -> None:
        self.display = display
        self.eta = Eta()

    def reading(self, count: int) -> None:
        if count <= 1:
            self.display.show("reading")
        self.display.show("reading", f"{count:,} posts read")

    def stage(self, name: str) -> None:
        self.display.show(name)

    def training(self, event: Any) -> None:
        if event.stage == "warning":
            self.display.note(f"warning: {event.message}")
        elif event.stage == "train":
            self.display.show(
                f"training, epoch {event.epoch + 1}",
                train_detail(event, self.eta.update(event.step, event.total_steps)),
                done=event.step,
                total=event.total_steps,
            )
        elif event.stage in TRAIN_STAGES:
            detail = event.message if event.stage == "checkpoint" else ""
            self.display.show(TRAIN_STAGES[event.stage], detail)


def train_detail(event: Any, eta: float | None) -> str:
    share = event.step / event.total_steps if event.total_steps else 0.0
    text = f"step {event.step:,}/{event.total_steps:,} ({share:.0%})"
    loss = event.metrics.get("train/loss")
    if isinstance(loss, int | float):  # none until the trainer has read one back
        text += f", loss {loss:.3f}"
    return text + (f", ETA {clock(eta)}" if eta is not None else "")


@contextmanager
def ticking(display: PlainDisplay, every: float = TICK_SECONDS) -> Iterator[None]:
    """Call ``display.tick()`` every ``every`` seconds from a daemon thread while inside."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            display.tick()

    thread = threading.Thread(target=run, name="tweetgen-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextmanager
def chain_progress(console: Console) -> Iterator[ChainProgress]:
    """Progress on ``console``: live on a terminal, plain lines elsewhere."""
    if not console.is_terminal:
        display = PlainDisplay(console)
        with ticking(display):
            yield ChainProgress(display)
        display.close()
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        yield ChainProgress(RichDisplay(progress))
