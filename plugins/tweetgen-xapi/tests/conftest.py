"""Offline X API: handwritten vcrpy cassettes in ``cassettes/``, played back, never recorded.

``record_mode="none"`` makes any request a cassette does not hold fail the test, so nothing can
reach the network. To re-record against the real API, a maintainer would switch it to ``once``
with a real token in ``$X_BEARER_TOKEN``; ``filter_headers`` keeps the token out of the files.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from types import SimpleNamespace

import pytest
import vcr
from tweetgen_xapi import api
from vcr.cassette import Cassette

CASSETTES = Path(__file__).parent / "cassettes"
#: Shaped like a real app-only bearer token, so a leak would be easy to spot in any output.
FAKE_TOKEN = "AAAAAAAAAAAAAAAAAAAAAFakeBearerTokenForTests0123456789%3Dabcdefghijklmnop"

x_vcr = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    filter_headers=["authorization"],
)


@pytest.fixture
def play() -> Callable[[str], AbstractContextManager[Cassette]]:
    """``with play("timeline") as cassette:`` serves ``cassettes/timeline.yaml``."""
    return lambda name: x_vcr.use_cassette(f"{name}.yaml")


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    """The fake token in ``$X_BEARER_TOKEN``, and no other token in the environment."""
    monkeypatch.setenv("X_BEARER_TOKEN", FAKE_TOKEN)
    monkeypatch.delenv("TWITTER_BEARER_TOKEN", raising=False)
    return FAKE_TOKEN


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Rate-limit waits recorded instead of slept; the clock stands 42 s before the
    ``x-rate-limit-reset`` of ``rate_limited.yaml``."""
    slept: list[float] = []
    clock = SimpleNamespace(time=lambda: 1767225600 - 42.0, sleep=slept.append)
    monkeypatch.setattr(api, "time", clock)
    return slept


@pytest.fixture
def this_plugin_only(tweetgen_only_plugins: Callable[[str], None]) -> None:
    """Load this plugin through its entry point, as an installed tweetgen would."""
    tweetgen_only_plugins("xapi")
