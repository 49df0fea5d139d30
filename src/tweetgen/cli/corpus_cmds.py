"""``tweetgen stats`` and ``tweetgen merge``: look at and combine prepared corpora."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from tweetgen.cli.output import data_table
from tweetgen.corpus.datatable import source_of
from tweetgen.errors import CorpusError

_corpus_dir = click.Path(exists=True, file_okay=False, path_type=Path)


@click.command()
@click.argument("corpus_dir", type=_corpus_dir)
def stats(corpus_dir: Path) -> None:
    """Show what a prepared corpus holds: posts, authors, kinds, languages, dates."""
    from tweetgen.corpus.corpus import Corpus

    corpus = Corpus.load(corpus_dir)
    s = corpus.stats()
    console = Console()
    console.print(data_table(corpus.report, source_of(corpus.meta), title=f"{corpus_dir}"))
    table = Table(show_header=False, title="Contents")
    table.add_row("posts", f"{s.posts:,}")
    table.add_row("characters", f"{s.characters:,}")
    table.add_row("words", f"{s.words:,}")
    table.add_row("authors", ", ".join(f"{a} ({n:,})" for a, n in s.authors.items()))
    table.add_row("kinds", ", ".join(f"{k} ({n:,})" for k, n in s.kinds.items()))
    table.add_row("languages", ", ".join(f"{k} ({n:,})" for k, n in list(s.languages.items())[:8]))
    table.add_row("from", s.first or "-")
    table.add_row("to", s.last or "-")
    console.print(table)


@click.command()
@click.argument("corpus_dirs", nargs=-1, required=True, type=_corpus_dir)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Merged corpus.")
@click.option(
    "--balance/--no-balance",
    default=True,
    show_default=True,
    help="Oversample each author to the size of the largest, as huggingtweets did.",
)
@click.option("--seed", default=0, show_default=True, help="Seed for the oversampling.")
def merge(corpus_dirs: tuple[Path, ...], out: Path, balance: bool, seed: int) -> None:
    """Merge the corpora of several authors into one, to train a model on their mix.

    \b
    Example:
      tweetgen merge corpus-ada/ corpus-bob/ --out corpus-mix/
    """
    from tweetgen.corpus.corpus import Corpus

    if len(set(map(Path.resolve, corpus_dirs))) < len(corpus_dirs):
        raise CorpusError("the same corpus is named twice; each author once, please")
    merged = Corpus.merge([Corpus.load(d) for d in corpus_dirs], balance=balance, seed=seed)
    merged.save(out)
    authors = ", ".join(f"{a} ({n:,})" for a, n in merged.stats().authors.items())
    click.echo(f"saved {len(merged):,} posts to {out}: {authors}")
