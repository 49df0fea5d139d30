"""Fixtures for the snscrape source. Nothing here may reach the network: a guard makes sure."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

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
def this_plugin_only(tweetgen_only_plugins: Callable[[str], None]) -> None:
    """Load this plugin through its entry point, as an installed tweetgen would."""
    tweetgen_only_plugins("snscrape")
