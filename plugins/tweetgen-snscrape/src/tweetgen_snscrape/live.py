"""Live scraping through snscrape's Python API, for as long as anything of it still works.

snscrape 0.7 does not import on Python 3.12+, and X has blocked its Twitter scrapers since
mid-2023. Both end in one clear line (MissingDependencyError, SourceError), never a traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from tweetgen import MissingDependencyError, Post, SourceError
from tweetgen_snscrape.convert import item_to_post, tweet_to_dict

MODULE = "snscrape.modules.twitter"
ADVICE = (
    "use a JSONL file that `snscrape --jsonl twitter-user NAME` wrote, "
    "or the x-archive or x-api source"
)


def twitter_module() -> ModuleType:
    """``snscrape.modules.twitter``, or a MissingDependencyError saying why it is unusable."""
    try:
        return importlib.import_module(MODULE)
    except ImportError:
        raise MissingDependencyError(
            f"live scraping needs snscrape (pip install 'tweetgen-snscrape[live]'); or {ADVICE}"
        ) from None
    except Exception as exc:  # 0.7 on Python 3.12+: AttributeError from its module loader
        python = ".".join(map(str, sys.version_info[:2]))
        raise MissingDependencyError(
            f"snscrape is installed but does not import on Python {python} "
            f"({type(exc).__name__}); {ADVICE}"
        ) from None


def _quiet(logger: logging.Logger) -> None:
    """snscrape logs each failed retry; with no logging set up Python would print them all,
    burying the one-line error. A NullHandler stops that and still lets configured apps see."""
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:120]}" if text else type(exc).__name__


def scrape(username: str) -> Iterator[Post]:
    """The account's posts, newest first, as snscrape's ``TwitterUserScraper`` finds them.

    snscrape is imported and the scraper built now, so those errors come before any post.
    """
    twitter = twitter_module()
    _quiet(logging.getLogger("snscrape"))
    try:
        scraper = twitter.TwitterUserScraper(username)
    except ValueError:
        raise SourceError(f"snscrape: {username!r} is not a valid X username") from None
    return _posts(iter(scraper.get_items()), username)


def _posts(items: Iterator[Any], username: str) -> Iterator[Post]:
    while True:
        try:
            item = next(items)
        except StopIteration:
            return
        except Exception as exc:  # whatever snscrape raises, the cause is the same block
            raise SourceError(
                f"snscrape could not scrape @{username} ({_one_line(exc)}): X has blocked "
                f"snscrape's Twitter scrapers since mid-2023; {ADVICE}"
            ) from None
        yield item_to_post(tweet_to_dict(item))
