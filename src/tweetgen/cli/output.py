"""What the commands print: the data table, metrics, generated posts, W&B notices.

Generated posts are the one output meant for pipes: when stdout is not a terminal, ``generate``
writes one post per line and nothing else (headers and notes go to stderr); ``--json`` and
``--jsonl`` are for programs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

import click
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from tweetgen.corpus.datatable import label as row_label
from tweetgen.corpus.datatable import labelled
from tweetgen.model.card import METRICS
from tweetgen.records.report import FilterReport

#: The data table row that several filters fill (``FilterReport.table``'s key).
SHORT = "short tweets"
HEADER = "Generated posts (written by the model, not by the person):"


#: What a post a filter drops as ``short tweets`` was: the parts of that row, said in words.
_SHORT_PARTS = {
    "drop-short": "too few words",
    "remove-urls": "links only",
    "strip-reply-mentions": "@mentions only",
}


def data_table(report: FilterReport, source: str | None, title: str = "Data") -> RenderableType:
    """The seed's data table, with the wording the model card and W&B use; below it, what the
    short row adds together when more than one filter filled it."""
    table = Table(title=title)
    table.add_column("")
    table.add_column("count", justify="right")
    for name, count in labelled(report.table(), source):
        table.add_row(name, f"{count:,}")
    parts = short_parts(report, source)
    return table if parts is None else Group(table, Text(parts))


def short_parts(report: FilterReport, source: str | None) -> str | None:
    """``Short tweets 120 = 100 too few words + 15 links only + 5 @mentions only``, or None
    when one filter (or none) filled the row."""
    parts = report.dropped_by_step(SHORT)
    if len(parts) < 2:
        return None
    words = [f"{n:,} {_SHORT_PARTS.get(name, f'emptied by {name}')}" for name, n in parts.items()]
    return f"{row_label(SHORT, source)} {sum(parts.values()):,} = " + " + ".join(words)


def steps_table(report: FilterReport) -> Table:
    table = Table(title="Filters, in order")
    for column in ("filter", "seen", "dropped", "changed"):
        table.add_column(column, justify="left" if column == "filter" else "right")
    for s in report.steps:
        table.add_row(s.name, f"{s.seen:,}", f"{s.dropped:,}", f"{s.changed:,}")
    return table


def metrics_table(metrics: Mapping[str, float]) -> Table:
    table = Table(title="Training", show_header=False)
    for key, _, label, fmt in METRICS:
        if isinstance(metrics.get(key), int | float):
            table.add_row(label, fmt.format(metrics[key]))
    return table


def notes(result: Any) -> list[str]:
    """What the reader of the posts should know about how they were picked."""
    found = []
    if result.dropped_copies:
        found.append(f"{result.dropped_copies} sample(s) copied a training post: dropped")
    if not result.novelty_checked:
        found.append("this model has no novelty.json: copies of training posts not checked")
    if len(result.samples) == 0:
        found.append("no new posts came out; train longer or on more posts")
    return found


def print_samples(console: Console, result: Any) -> None:
    """Posts for a person at a terminal: a header, bullets, notes in brackets."""
    console.print(f"[bold]{HEADER}[/]")
    for sample in result.samples:
        console.print(f"  • {sample.text}", markup=False, highlight=False, soft_wrap=True)
    for note in notes(result):
        console.print(f"  ({note})", markup=False, highlight=False)


def one_line(text: str) -> str:
    """A post as one line: its line breaks become spaces (``--jsonl`` keeps them)."""
    return " ".join(text.splitlines())


def write_samples(result: Any, fmt: str) -> None:
    """``generate``'s output: ``json``, ``jsonl``, or text (pipe-friendly off a terminal)."""
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif fmt == "jsonl":
        for sample in result.samples:
            click.echo(json.dumps(sample.__dict__, ensure_ascii=False))
        for note in notes(result):
            click.echo(note, err=True)
    elif sys.stdout.isatty():
        print_samples(Console(), result)
    else:
        click.echo(HEADER, err=True)
        for sample in result.samples:
            click.echo(one_line(sample.text))
        for note in notes(result):
            click.echo(note, err=True)


def tracking_notice(plan: Any, *, posts: bool) -> str | None:
    """Said before a W&B run starts, above all before anything is uploaded."""
    if plan.mode in ("off", "disabled"):
        return None
    if plan.unreachable:
        return (
            f"W&B: the server cannot be reached: logging offline under {plan.directory} "
            "(upload later with `wandb sync`)"
        )
    if plan.uploads:
        what = "the model and its metrics"
        if posts and plan.posts:
            what = "the raw and training posts, the model and its metrics"
        hint = " (--wandb-no-posts: only the data table)" if posts and plan.posts else ""
        return f"W&B: uploading {what} to Weights & Biases{hint}"
    return f"W&B: logging offline under {plan.directory} (upload later with `wandb sync`)"


def print_wandb(location: str | None) -> None:
    if location is None:
        return
    if location.startswith("http"):
        click.echo(f"W&B run: {location}")
    else:
        click.echo(f"W&B offline run: {location} (upload with `wandb sync {location}`)")
