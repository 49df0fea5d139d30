"""Hook specifications: the whole plugin API.

A plugin is any module or object with functions marked ``@tweetgen.hookimpl`` whose names match
the specs below. Each hook receives a ``register`` callable; call it once per class you provide.
Built-in sources, filters and trainers register through these same hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("tweetgen")
hookimpl = pluggy.HookimplMarker("tweetgen")


@hookspec
def register_sources(register: Callable[[type[Any]], None]) -> None:
    """Register source classes.

    A source class has class attributes ``name`` (used on the command line, e.g. ``x-archive``)
    and ``description``, a no-argument constructor, and
    ``read(self, location: str, **options) -> Iterable[tweetgen.Post]``.
    """


@hookspec
def register_filters(register: Callable[[type[Any]], None]) -> None:
    """Register filter classes.

    A filter class has class attributes ``name`` and ``reason`` (the row label in the data
    table), accepts its options as keyword arguments, and its instances are callables
    ``(posts: Iterable[Post]) -> Iterator[Post]`` (see :class:`tweetgen.filters.Filter`).
    """


@hookspec
def register_trainers(register: Callable[[type[Any]], None]) -> None:
    """Register trainer classes.

    A trainer class has class attributes ``name`` and ``description``, is constructed as
    ``Trainer(config: tweetgen.TrainConfig)``, and has
    ``train(self, corpus: tweetgen.Corpus) -> tweetgen.TrainedModel``.
    """


@hookspec
def register_publishers(register: Callable[[type[Any]], None]) -> None:
    """Register publisher classes (``tweetgen post MODEL --to NAME``).

    A publisher class has class attributes ``name``, ``description``, ``max_chars`` (the
    network's length limit) and ``options`` (``-o KEY=VALUE``), is constructed as
    ``Publisher(**options)``, and has ``connect(self) -> list[str]`` (check the credentials and
    the account's automated label; return warnings) and
    ``publish(self, text: str, key: str) -> tweetgen.bot.Receipt`` (post once; ``key`` is the
    same on a retry, so a network that supports it never posts twice).
    See :class:`tweetgen.bot.Publisher`.
    """
