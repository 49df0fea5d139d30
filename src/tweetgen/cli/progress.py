"""Progress display for the CLI (rich), fed by the library's plain callbacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


@contextmanager
def post_counter(console: Console, label: str) -> Iterator[Callable[[int], None]]:
    """A spinner that counts posts as a source yields them (totals are rarely known)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} posts"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=None)
        yield lambda n: progress.update(task, completed=n)
