"""Fixtures for the snscrape source. Nothing here may reach the network: a guard makes sure."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tweetgen.plugins import get_plugin_manager

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens a connection (a live scrape that was not patched)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def only_snscrape(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A plugin manager with the built-ins and this plugin only, whatever else is installed."""
    monkeypatch.setenv("TWEETGEN_LOAD_PLUGINS", "snscrape")
    get_plugin_manager.cache_clear()
    yield
    get_plugin_manager.cache_clear()
