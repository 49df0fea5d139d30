"""tweetgen source plugin ``snscrape``: posts from snscrape's JSONL output, or snscrape itself.

Installing this distribution is enough: its ``tweetgen`` entry point names this module, and
tweetgen calls :func:`register_sources` below. snscrape itself is imported only for a live
scrape, so reading JSONL works without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tweetgen import hookimpl
from tweetgen_snscrape.convert import item_to_post, tweet_to_dict
from tweetgen_snscrape.source import SnscrapeSource, read_jsonl

__all__ = ["SnscrapeSource", "item_to_post", "read_jsonl", "register_sources", "tweet_to_dict"]


@hookimpl
def register_sources(register: Callable[[type[Any]], None]) -> None:
    register(SnscrapeSource)
