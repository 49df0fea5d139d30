"""``tweetgen eval MODEL CORPUS``: how well a model writes like the author, as a table, JSON or
an HTML page; and the headline numbers ``train`` and ``run`` print at their end."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.table import Table

from tweetgen.cli.progress import chain_progress

_dir = click.Path(exists=True, file_okay=False, path_type=Path)
#: Samples the headline after ``train`` draws: enough for a rough copy share and length KS.
HEADLINE_SAMPLES = 20
CAPTION = (
    "bits/char, perplexity: held-out posts (lower is better); copies: samples that copy a "
    "training post; length KS: samples' lengths against the author's (0 is the same); "
    "dist-1/2: distinct words, word pairs"
)


@click.command(name="eval")
@click.argument("model_dir", type=_dir)
@click.argument("corpus_dir", type=_dir)
@click.option("-n", "--samples", default=100, show_default=True, help="Samples per model.")
@click.option("--seed", default=42, show_default=True, help="Seed of the samples.")
@click.option("--no-base", is_flag=True, help="Do not measure the base model.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path), help="Write an HTML page.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or mps.")
def eval_command(
    model_dir: Path,
    corpus_dir: Path,
    samples: int,
    seed: int,
    no_base: bool,
    as_json: bool,
    html: Path | None,
    device: str,
) -> None:
    """Measure the model in MODEL_DIR against the posts of CORPUS_DIR.

    Held-out bits per character and perplexity (base and fine-tune), the share of samples
    that copy a training post, length KS against the author's posts, distinct-1/2 and the
    words the model overuses.

    \b
    Example:
      tweetgen eval model/ corpus/ --html report.html
    """
    from tweetgen.evaluation import evaluate, write_html

    console = Console(stderr=True)
    with chain_progress(console) as progress:
        report = evaluate(
            model_dir, corpus_dir, samples=samples, seed=seed, base=not no_base,
            device=device, stage=progress.stage,
        )  # fmt: skip
    if html is not None:
        write_html(report, html)
        console.print(f"wrote {html}", highlight=False)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    out = Console()
    out.print(quality_table(report))
    print_details(out, report)


def quality_table(report: Any, title: str = "Quality") -> Table:
    """One row per model (base, fine-tune) and the author's own row."""
    from tweetgen.evaluation.report import shown

    table = Table(title=title, box=box.SIMPLE_HEAD, caption=CAPTION, caption_justify="left")
    for column in ("", "bits/char", "perplexity", "copies", "length KS", "dist-1", "dist-2"):
        table.add_column(column, justify="left" if not column else "right", no_wrap=True)
    for m in report.models():
        loss = m.held_out
        copies = f"{m.copies}/{len(m.samples)}" if m.samples else "-"
        table.add_row(
            m.label,
            shown(loss.bits_per_char if loss else math.nan),
            shown(loss.perplexity if loss else math.nan, 2),
            copies,
            shown(m.length_ks),
            shown(m.distinct_1),
            shown(m.distinct_2),
        )
    table.add_row(
        "author", "", "", "", "", shown(report.author_distinct_1), shown(report.author_distinct_2)
    )
    return table


def print_details(console: Console, report: Any) -> None:
    """Where the held-out posts came from, overused words, notes."""
    console.print(f"held-out posts: {report.held_out_from}", highlight=False)
    words = ", ".join(f"{w.word} ({w.ratio:.1f}x)" for w in report.fine_tune.overused)
    if words:
        console.print(f"overused: {words}", markup=False, highlight=False)
    for note in report.notes:
        console.print(f"note: {note}", markup=False, highlight=False)


def print_headline(
    console: Console, model_dir: Path, corpus: Any, corpus_dir: Path, *, device: str
) -> None:
    """After ``train``/``run``: the quality table on a few samples (base: loss only)."""
    from tweetgen.evaluation import evaluate

    report = evaluate(
        model_dir, corpus, samples=HEADLINE_SAMPLES, base_samples=False, device=device
    )
    console.print(quality_table(report, title=f"Quality ({HEADLINE_SAMPLES} samples)"))
    for note in report.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    console.print(
        f"full report: tweetgen eval {model_dir} {corpus_dir} --html report.html",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
