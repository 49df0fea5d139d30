"""``tweetgen prepare``: read a source, filter, save a corpus, print the data table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from tweetgen.cli.progress import post_counter
from tweetgen.errors import SourceError
from tweetgen.options import parse_assignments
from tweetgen.pipeline import parse_filter_spec
from tweetgen.pipeline import prepare as prepare_corpus
from tweetgen.report import FilterReport


def parse_options(pairs: tuple[str, ...]) -> dict[str, Any]:
    return parse_assignments(pairs, what="source option", error=SourceError, json_values=False)


def report_table(report: FilterReport, title: str = "Data") -> Table:
    table = Table(title=title)
    table.add_column("")
    table.add_column("posts", justify="right")
    for label, count in report.table():
        table.add_row(label, f"{count:,}")
    return table


def steps_table(report: FilterReport) -> Table:
    table = Table(title="Filters, in order")
    for column in ("filter", "seen", "dropped", "changed"):
        table.add_column(column, justify="left" if column == "filter" else "right")
    for s in report.steps:
        table.add_row(s.name, f"{s.seen:,}", f"{s.dropped:,}", f"{s.changed:,}")
    return table


filter_option = click.option(
    "-f",
    "--filter",
    "filter_specs",
    multiple=True,
    metavar="NAME[:KEY=VALUE...]",
    help="Filter to apply, in order; repeat for several. Replaces the default chain.",
)
source_option = click.option(
    "-o",
    "--option",
    "source_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Option passed to the source (see `tweetgen plugins`).",
)


@click.command()
@click.argument("source")
@click.argument("location")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Corpus directory.")
@filter_option
@source_option
def prepare(
    source: str,
    location: str,
    out: Path,
    filter_specs: tuple[str, ...],
    source_options: tuple[str, ...],
) -> None:
    """Read posts from LOCATION with SOURCE, filter them and save a corpus to --out.

    \b
    Example:
      tweetgen prepare x-archive twitter-2026.zip --out corpus/
    """
    filters = [parse_filter_spec(s) for s in filter_specs] if filter_specs else None
    console = Console(stderr=True)
    with post_counter(console, f"reading {location}") as progress:
        result = prepare_corpus(
            source,
            location,
            out,
            filters=filters,
            progress=progress,
            **parse_options(source_options),
        )
    out_console = Console()
    out_console.print(report_table(result.report))
    out_console.print(steps_table(result.report))
    click.echo(f"saved {len(result):,} posts to {out}")
