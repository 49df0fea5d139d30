"""tweetgen source plugin ``x-api``: an account's posts through X API v2.

Installing this distribution is enough: its ``tweetgen`` entry point names this module, and
tweetgen calls :func:`register_sources` below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tweetgen import hookimpl
from tweetgen_xapi.mapping import tweet_to_post
from tweetgen_xapi.source import XApiCeilingWarning, XApiSource

__all__ = [
    "XApiCeilingWarning",
    "XApiSource",
    "register_publishers",
    "register_sources",
    "tweet_to_post",
]


@hookimpl
def register_sources(register: Callable[[type[Any]], None]) -> None:
    register(XApiSource)


@hookimpl
def register_publishers(register: Callable[[type[Any]], None]) -> None:
    from tweetgen_xapi.publish import XPublisher

    register(XPublisher)
