"""``tweetgen train``, ``generate``, ``push`` and ``run``: from a corpus to published posts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tweetgen.cli.prepare import filter_option, parse_options, report_table, source_option
from tweetgen.errors import TrainingError
from tweetgen.options import parse_assignments

_model_dir = click.Path(exists=True, file_okay=False, path_type=Path)
_METRICS = (
    ("perplexity_before", "perplexity before", "{:.2f}"),
    ("perplexity_after", "perplexity after", "{:.2f}"),
    ("eval_loss", "validation loss", "{:.4f}"),
    ("steps", "steps", "{:,.0f}"),
    ("train_seconds", "training time (s)", "{:,.1f}"),
    ("tokens_per_second", "tokens/second", "{:,.0f}"),
)


def training_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options ``train`` and ``run`` share (unset ones keep TrainConfig's defaults)."""
    options = [
        click.option(
            "--base-model",
            default="auto",
            show_default=True,
            help="gpt2 (or another hub id), a local model directory, tiny (a small GPT-2 built "
            "from the posts, offline), or auto: gpt2 when it can be downloaded, else tiny.",
        ),
        click.option("--trainer", default="full", show_default=True, help="Trainer plugin."),
        click.option(
            "--epochs", type=int, help="Passes over the posts [4 for a fine-tune, 20 for tiny]."
        ),
        click.option(
            "--lr",
            "learning_rate",
            type=float,
            help="Learning rate at 1,024 tokens per step, scaled by sqrt for larger steps "
            "[1.372e-4 for a fine-tune, 2e-3 for tiny].",
        ),
        click.option(
            "--batch-tokens",
            type=int,
            help="Tokens per step and device [chosen for the device and the corpus].",
        ),
        click.option("--max-steps", type=int, help="Stop after this many steps."),
        click.option("--seed", type=int, help="Seed for splitting, training and samples [42]."),
        click.option("--device", help="auto, cpu, cuda, cuda:N or mps [auto]."),
        click.option(
            "--wandb/--no-wandb",
            default=None,
            help="Track with Weights & Biases [off].",
        ),
        click.option("--resume", is_flag=True, help="Continue from the newest checkpoint."),
        click.option(
            "--set",
            "settings",
            multiple=True,
            metavar="KEY=VALUE",
            help="Any other TrainConfig field, e.g. --set block_size=64, --set tiny.n_layer=2 "
            "or --set lora.rank=4 (see docs/cli.md).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _config(out: Path, kwargs: dict[str, Any]) -> Any:
    """The options as one settings mapping; the core (TrainConfig.from_settings) does the rest."""
    from tweetgen.training.config import TrainConfig

    values = {k: kwargs.pop(k) for k in list(kwargs) if k in _CONFIG_KEYS}
    values = {k: v for k, v in values.items() if v is not None and v is not False}
    values |= parse_assignments(kwargs.pop("settings"), what="setting", error=TrainingError)
    return TrainConfig.from_settings(values | {"out_dir": out})


_CONFIG_KEYS = (
    "base_model",
    "epochs",
    "learning_rate",
    "batch_tokens",
    "max_steps",
    "seed",
    "device",
    "wandb",
    "resume",
)


class ChainProgress:
    """One rich display for a whole run: a post counter while reading, then a step bar."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def _task(self, description: str, total: int | None) -> Any:
        if self.task is None:
            self.task = self.progress.add_task(description, total=total, detail="")
        return self.task

    def reading(self, count: int) -> None:
        task = self._task("reading", None)
        self.progress.update(task, detail=f"{count:,} posts")

    def training(self, event: Any) -> None:
        task = self._task("preparing", None)
        if event.stage == "warning":
            self.progress.console.print(f"[yellow]warning:[/] {event.message}")
        elif event.stage == "train":
            loss = event.metrics.get("train/loss", float("nan"))
            self.progress.update(
                task,
                description=f"training, epoch {event.epoch + 1}",
                completed=event.step,
                total=event.total_steps,
                detail=f"step {event.step:,}/{event.total_steps:,}  loss {loss:.3f}",
            )
        elif event.stage == "base" and event.message.startswith("auto chose"):
            self.progress.console.print(f"base model: {event.message.removeprefix('auto chose ')}")
        elif event.stage in ("base", "evaluate", "save"):
            label = {"base": "loading the base model", "evaluate": "evaluating"}
            self.progress.update(task, description=label.get(event.stage, "saving"))


@contextmanager
def chain_progress(console: Console) -> Iterator[ChainProgress]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        yield ChainProgress(progress)


def _metrics_table(metrics: dict[str, float]) -> Table:
    table = Table(title="Training", show_header=False)
    for key, label, fmt in _METRICS:
        if isinstance(metrics.get(key), int | float):
            table.add_row(label, fmt.format(metrics[key]))
    return table


def _print_samples(console: Console, result: Any) -> None:
    console.print("[bold]Generated posts[/] (written by the model, not by the person):")
    for sample in result.samples:
        console.print(f"  • {sample.text}", markup=False, highlight=False)
    if result.dropped_copies:
        console.print(f"  ({result.dropped_copies} sample(s) copied a training post: dropped)")
    if not result.novelty_checked:
        console.print("  (this model has no novelty.json: copies of training posts not checked)")
    if len(result.samples) == 0:
        console.print("  (no new posts came out; train longer or on more posts)")


@click.command(name="train")
@click.argument("corpus_dir", type=_model_dir)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Model directory.")
@training_options
def train_command(corpus_dir: Path, out: Path, trainer: str, **kwargs: Any) -> None:
    """Train a model on the corpus in CORPUS_DIR (made by `tweetgen prepare`) into --out.

    \b
    Example:
      tweetgen train corpus/ --out model/ --base-model tiny --epochs 4
    """
    from tweetgen.corpus import Corpus
    from tweetgen.plugins import get_trainer_class

    console = Console(stderr=True)
    config = _config(out, kwargs)
    corpus = Corpus.load(corpus_dir)
    console.print(f"training on {len(corpus):,} posts")
    with chain_progress(console) as progress:
        model = get_trainer_class(trainer)(config).train(corpus, progress=progress.training)
    out_console = Console()
    out_console.print(_metrics_table(model.metrics))
    out_console.print(f"saved the model to {model.path}")
    _print_wandb(model.wandb_run)


@click.command()
@click.argument("model_dir", type=_model_dir)
@click.argument("prompt", default="")
@click.option("-n", "--num", "n", default=5, show_default=True, help="How many posts.")
@click.option("--seed", type=int, help="Same seed, same posts.")
@click.option("--max-new-tokens", type=int, help="Longest continuation, in tokens.")
@click.option("--temperature", type=float, help="Sampling temperature [model default 1.0].")
@click.option("--top-p", type=float, help="Nucleus sampling mass [model default 0.95].")
@click.option("--batch-size", default=8, show_default=True, help="Posts sampled at once.")
@click.option("--keep-newlines", is_flag=True, help="Do not end posts at the first newline.")
@click.option("--allow-copies", is_flag=True, help="Keep samples that copy a training post.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or mps.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def generate(
    model_dir: Path,
    prompt: str,
    keep_newlines: bool,
    allow_copies: bool,
    device: str,
    as_json: bool,
    **kwargs: Any,
) -> None:
    """Write posts with the model in MODEL_DIR, optionally starting with PROMPT.

    \b
    Example:
      tweetgen generate model/ "My dream is" -n 5 --seed 1
    """
    from tweetgen.generate import Generator

    result = Generator(model_dir, device=device).generate(
        prompt, cut_at_newline=not keep_newlines, novelty=not allow_copies, **kwargs
    )
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_samples(Console(), result)


@click.command()
@click.argument("model_dir", type=_model_dir)
@click.argument("repo_id")
@click.option("--private", is_flag=True, help="Create the repository as private.")
def push(model_dir: Path, repo_id: str, private: bool) -> None:
    """Upload MODEL_DIR to the Hugging Face Hub as REPO_ID (token from HF_TOKEN or hf login).

    \b
    Example:
      HF_TOKEN=... tweetgen push model/ alice/alice-tweetgen
    """
    from tweetgen.hub import push as push_model

    url = push_model(model_dir, repo_id, private=private)
    click.echo(f"pushed {model_dir} to {url}")


@click.command()
@click.argument("source")
@click.argument("location")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output directory.")
@filter_option
@source_option
@training_options
@click.option("-n", "--samples", default=5, show_default=True, help="Posts to print at the end.")
@click.option("--prompt", default="", help="Start of the printed posts.")
def run(
    source: str,
    location: str,
    out: Path,
    filter_specs: tuple[str, ...],
    source_options: tuple[str, ...],
    trainer: str,
    samples: int,
    prompt: str,
    **kwargs: Any,
) -> None:
    """The whole chain: read LOCATION with SOURCE, filter, train, print posts.

    Writes the corpus to OUT/corpus and the model to OUT/model.

    \b
    Example:
      tweetgen run x-archive twitter-2026.zip --out build/me --base-model tiny
    """
    from tweetgen.pipeline import parse_filter_spec, run_chain

    filters = [parse_filter_spec(s) for s in filter_specs] if filter_specs else None
    console = Console(stderr=True)
    config = _config(out / "model", kwargs)
    with chain_progress(console) as progress:
        result = run_chain(
            source,
            location,
            out,
            filters=filters,
            config=config,
            trainer=trainer,
            samples=samples,
            prompt=prompt,
            read_progress=progress.reading,
            train_progress=progress.training,
            **parse_options(source_options),
        )
    summary = Console()
    summary.print(report_table(result.corpus.report))
    summary.print(_metrics_table(result.model.metrics))
    base = result.model.config.base_model
    summary.print(f"base model: {base}; corpus: {out / 'corpus'}; model: {result.model.path}")
    _print_wandb(result.model.wandb_run)
    summary.print(f"done in {result.seconds:,.1f} s")
    _print_samples(summary, result.generation)


COMMANDS = [train_command, generate, push, run]


def _print_wandb(location: str | None) -> None:
    if location is None:
        return
    if location.startswith("http"):
        click.echo(f"W&B run: {location}")
    else:
        click.echo(f"W&B offline run: {location} (upload with `wandb sync {location}`)")
