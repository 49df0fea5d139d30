"""``tweetgen prepare``: read a source, filter, save a corpus, print the data table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from tweetgen.cli.output import data_table, steps_table
from tweetgen.cli.progress import chain_progress
from tweetgen.errors import FilterError, SourceError
from tweetgen.pipeline import default_filters, parse_filter_spec
from tweetgen.pipeline import prepare as prepare_corpus
from tweetgen.plugins.options import parse_assignments


def parse_options(pairs: tuple[str, ...]) -> dict[str, Any]:
    return parse_assignments(pairs, what="source option", error=SourceError, json_values=False)


_filter_specs = click.option(
    "-f",
    "--filter",
    "filter_specs",
    multiple=True,
    metavar="NAME[:KEY=VALUE...]",
    help="Filter to apply, in order; repeat for several. Replaces the default chain.",
)
#: One parameter, ``keep_reply_mentions``, for both flags: None (strip the handles every post
#: opens with), ``"all"`` (keep them all) or ``"leading"`` (strip only replies').
_keep_all_mentions = click.option(
    "--keep-reply-mentions",
    "keep_reply_mentions",
    flag_value="all",
    default=None,
    help="Keep the @handles posts start with (the default chain strips them).",
)
_keep_leading_mentions = click.option(
    "--keep-leading-mentions",
    "keep_reply_mentions",
    flag_value="leading",
    help="Keep the @handles a post that is not a reply starts with; strip replies' only.",
)


def filter_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``-f``, ``--keep-reply-mentions`` and ``--keep-leading-mentions``; the command gets
    ``filter_specs`` and ``keep_reply_mentions`` (see :func:`chain_from`)."""
    return _filter_specs(_keep_all_mentions(_keep_leading_mentions(func)))


def chain_from(filter_specs: tuple[str, ...], keep_mentions: str | None) -> list[Any]:
    """The filters ``-f`` names, else the default chain; ``keep_mentions`` is the flags' value."""
    if filter_specs:
        if keep_mentions == "all":
            raise FilterError(
                "--keep-reply-mentions changes the default chain; with -f, leave out "
                "strip-reply-mentions instead"
            )
        if keep_mentions == "leading":
            raise FilterError(
                "--keep-leading-mentions changes the default chain; with -f, name "
                "strip-reply-mentions (it strips replies' handles only) instead"
            )
        return [parse_filter_spec(s) for s in filter_specs]
    return default_filters(
        reply_mentions=keep_mentions == "all", leading_mentions=keep_mentions == "leading"
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
    keep_reply_mentions: str | None,
    source_options: tuple[str, ...],
) -> None:
    """Read posts from LOCATION with SOURCE, filter them and save a corpus to --out.

    \b
    Example:
      tweetgen prepare x-archive twitter-2026.zip --out corpus/
    """
    filters = chain_from(filter_specs, keep_reply_mentions)
    console = Console(stderr=True)
    with chain_progress(console) as progress:
        result = prepare_corpus(
            source,
            location,
            out,
            filters=filters,
            progress=progress.reading,
            stage=progress.stage,
            **parse_options(source_options),
        )
    out_console = Console()
    out_console.print(data_table(result.report, source))
    out_console.print(steps_table(result.report))
    click.echo(f"saved {len(result):,} posts to {out}")
