"""The ``tweetgen`` command. Only this package prints; the library returns values."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import click

from tweetgen.errors import TweetgenError
from tweetgen.plugins import tweetgen_version


def _show_warning(message: Warning | str, *_: Any, **__: Any) -> None:
    """Library warnings (e.g. a source that could not fetch everything) as one line each."""
    click.echo(f"warning: {message}", err=True)


class Terminated(KeyboardInterrupt):
    """SIGTERM (schedulers, ``timeout``, container stops) raised as an interrupt, so that it
    unwinds like Ctrl-C: the cleanup that runs on SIGINT (locks, temporaries, workers) runs."""


def _terminate(_signum: int, _frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` for the block (the main thread only can handle it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Group(click.Group):
    """Turns library errors into one-line messages and a non-zero exit, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings(), _sigterm_as_interrupt():
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except TweetgenError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt as exc:
            stopped = isinstance(exc, Terminated)
            hint = " (train again with --resume to go on from the last checkpoint)"
            click.echo(
                ("terminated" if stopped else "interrupted")
                + (hint if ctx.invoked_subcommand in ("train", "run") else ""),
                err=True,
            )
            sys.exit(128 + (signal.SIGTERM if stopped else signal.SIGINT))


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
    from tweetgen.cli import corpus_cmds, eval_cmd, plugins_cmd, post, prepare, serve_cmd, train

    for command in (
        plugins_cmd.plugins,
        post.post,
        prepare.prepare,
        corpus_cmds.stats,
        corpus_cmds.merge,
        eval_cmd.eval_command,
        serve_cmd.serve,
        *train.COMMANDS,
    ):
        main.add_command(command)


_add_commands()
