"""Live scraping: every way it fails is one clear line. The scraper is always patched."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from tweetgen_snscrape import SnscrapeSource, live

from tweetgen import MissingDependencyError, SourceError


def fake_snscrape(monkeypatch: pytest.MonkeyPatch, scraper: Any = None, error: Any = None) -> None:
    """Make ``import snscrape.modules.twitter`` give a module holding ``scraper``, or raise."""

    def import_module(name: str) -> Any:
        assert name == "snscrape.modules.twitter"
        if error is not None:
            raise error
        return SimpleNamespace(TwitterUserScraper=scraper)

    monkeypatch.setattr(live, "importlib", SimpleNamespace(import_module=import_module))


class BlockedScraper:
    """What snscrape 0.7 does against X since mid-2023: it gives up after its retries."""

    def __init__(self, user: str) -> None:
        if not user.isidentifier():
            raise ValueError("Invalid username")

    def get_items(self) -> Iterator[Any]:
        raise RuntimeError(
            "4 requests to https://twitter.com/i/api/graphql/UserByScreenName failed, giving up.\n"
            "Errors: blocked (404)"
        )
        yield  # a generator, like snscrape's


def test_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_snscrape(monkeypatch, error=ModuleNotFoundError("No module named 'snscrape'"))
    with pytest.raises(MissingDependencyError, match=r"tweetgen-snscrape\[live\]"):
        SnscrapeSource().read("alice_writes")


def test_installed_but_broken_on_new_python(monkeypatch: pytest.MonkeyPatch) -> None:
    error = AttributeError("'FileFinder' object has no attribute 'find_module'")
    fake_snscrape(monkeypatch, error=error)
    with pytest.raises(MissingDependencyError, match="does not import on Python 3") as caught:
        SnscrapeSource().read("alice_writes")
    assert "\n" not in str(caught.value)


def test_blocked_scraper_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_snscrape(monkeypatch, scraper=BlockedScraper)
    posts = SnscrapeSource().read("@alice_writes")
    with pytest.raises(SourceError, match="blocked snscrape's Twitter scrapers since mid-2023"):
        list(posts)


def test_error_message_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_snscrape(monkeypatch, scraper=BlockedScraper)
    with pytest.raises(SourceError) as caught:
        list(SnscrapeSource().read("alice_writes"))
    message = str(caught.value)
    assert "\n" not in message
    assert "RuntimeError: 4 requests to" in message
    assert caught.value.__suppress_context__  # the CLI shows no chained traceback either


def test_username_snscrape_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_snscrape(monkeypatch, scraper=BlockedScraper)
    with pytest.raises(SourceError, match="not a valid X username"):
        SnscrapeSource().read("1alice")


def test_snscrape_retry_logs_do_not_bury_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without logging set up, Python would print each of snscrape's retry errors."""
    fake_snscrape(monkeypatch, scraper=BlockedScraper)
    with pytest.raises(SourceError):
        list(SnscrapeSource().read("alice_writes"))
    handlers = logging.getLogger("snscrape").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)
