"""The ``tweetgen`` command. Only this package prints; the library returns values."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import click

from tweetgen.errors import TweetgenError
from tweetgen.plugins import tweetgen_version


def _show_warning(message: Warning | str, *_: Any, **__: Any) -> None:
    """Library warnings (e.g. a source that could not fetch everything) as one line each."""
    click.echo(f"warning: {message}", err=True)


class _Group(click.Group):
    """Turns library errors into one-line messages and a non-zero exit, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except TweetgenError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            hint = " (train again with --resume to go on from the last checkpoint)"
            click.echo(
                "interrupted" + (hint if ctx.invoked_subcommand in ("train", "run") else ""),
                err=True,
            )
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(tweetgen_version(), prog_name="tweetgen")
def main() -> None:
    """Turn one person's posts into a language model that writes in their voice.

    \b
    Typical use:
      tweetgen prepare x-archive twitter-2026.zip --out corpus/
      tweetgen train corpus/ --out model/
      tweetgen generate model/ "My dream is" -n 5
    """
    # The CLI draws its own progress; the libraries' bars would interleave with it. Set
    # through the environment so that `tweetgen plugins` need not import them at all.
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _add_commands() -> None:
    from tweetgen.cli import corpus_cmds, plugins_cmd, prepare, serve_cmd

    main.add_command(plugins_cmd.plugins)
    main.add_command(prepare.prepare)
    main.add_command(corpus_cmds.stats)
    main.add_command(corpus_cmds.merge)
    main.add_command(serve_cmd.serve)
    try:
        from tweetgen.cli import train
    except ImportError:  # pragma: no cover - only while the training commands are absent
        return
    for command in train.COMMANDS:
        main.add_command(command)


_add_commands()
