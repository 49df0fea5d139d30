"""``tweetgen post``: publish a model's posts to an account labelled as automated."""

from __future__ import annotations

import re
from pathlib import Path

import click

from tweetgen.errors import PublishError
from tweetgen.plugins.options import parse_assignments

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
#: No plan runs longer than this (a typo such as 6000d would otherwise wait for decades).
MAX_EVERY_S = 30 * 86400
LABEL_RULES = (
    "Post only in the voice of an account you own or whose owner agreed, to an account "
    "labelled as automated, saying it is a bot."
)


@click.command("post")
@click.argument("model_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--to", "to", required=True, help="Where to post: a publisher (mastodon, bluesky, x)."
)
@click.option(
    "-o", "--option", "options", multiple=True, metavar="KEY=VALUE", help="Publisher option."
)
@click.option("--prompt", default="", help="Start of every post.")
@click.option(
    "--count", type=click.IntRange(1, 10_000), default=1, show_default=True, help="Posts to make."
)
@click.option("--every", help="Time between posts with --count: 90s, 30m, 6h, 1d.")
@click.option("--dry-run", is_flag=True, help="Print what would be posted (the default).")
@click.option("--yes", is_flag=True, help="Really post (without it, a dry run).")
@click.option("--new-schedule", is_flag=True, help="Drop an unfinished schedule, start anew.")
@click.option("--seed", type=int, help="Seed for drafting posts.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, mps.")
def post(
    model_dir: Path,
    to: str,
    options: tuple[str, ...],
    prompt: str,
    count: int,
    every: str | None,
    dry_run: bool,
    yes: bool,
    new_schedule: bool,
    seed: int | None,
    device: str,
) -> None:
    """Publish posts MODEL_DIR writes, one every --every, to an automated account.

    \b
    Nothing is posted without --yes. Posts that nearly copy a training post, mention an
    account, or run over the network's limit are never published. A run killed midway
    and started again with the same arguments goes on without posting anything twice.

    \b
    Example:
      tweetgen post build/me/model --to mastodon -o instance=https://botsin.space \\
          --every 6h --count 10 --yes
    """
    from tweetgen.bot.run import Request
    from tweetgen.bot.run import dry_run as draft
    from tweetgen.bot.run import post as publish
    from tweetgen.plugins import get_publisher_class

    if count > 1 and every is None:
        raise PublishError("--count above 1 needs --every (e.g. --every 6h)")
    request = Request(
        count=count,
        every=parse_every(every) if every else 0.0,
        prompt=prompt,
        seed=seed,
        device=device,
        new_schedule=new_schedule,
    )
    settings = parse_assignments(
        options, what="publisher option", error=PublishError, json_values=False
    )
    publisher = get_publisher_class(to)(**settings)
    if dry_run or not yes:
        outcome = draft(model_dir, publisher, request)
        click.echo(f"dry run: nothing is posted (add --yes to post to {publisher.target()})")
        for delay, text in outcome.drafts:
            click.echo(f"  +{_span(delay):<5} {text}")
        click.echo(LABEL_RULES)
        return
    done = publish(model_dir, publisher, request, echo=click.echo)
    click.echo(f"done: {len(done.posted)} posted now; ledger {done.ledger}")


def parse_every(text: str) -> float:
    """Seconds in ``90s``, ``30m``, ``6h`` or ``1d``; a one-line error otherwise."""
    match = _EVERY.match(text)
    if not match:
        raise PublishError(f"--every {text!r}: expected a number and a unit: 90s, 30m, 6h, 1d")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not 1 <= seconds <= MAX_EVERY_S:
        raise PublishError(f"--every {text!r}: must be between 1s and {MAX_EVERY_S // 86400}d")
    return seconds


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
