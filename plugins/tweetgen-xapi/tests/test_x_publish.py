"""The X publisher (tweepy, OAuth 1.0a user keys) against handwritten cassettes."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from tweetgen_xapi.publish import KEYS, XPublisher, weighted_length

from tweetgen import PublishError
from tweetgen.plugins import get_publisher_class

SECRETS = {key: f"fake-{key.lower().replace('_', '-')}-0123456789" for key in KEYS}
Play = Callable[[str], AbstractContextManager[Any]]


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    return SECRETS


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(time, "time", lambda: 1767225600 - 42.0)
    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


@pytest.mark.usefixtures("this_plugin_only")
def test_registered_through_the_hook() -> None:
    assert get_publisher_class("x") is XPublisher


def test_posts_once_after_waiting_out_the_rate_limit(
    play: Play, keys: dict[str, str], waits: list[float]
) -> None:
    publisher = XPublisher()
    with play("post") as cassette:
        (warning,) = publisher.connect()
        receipt = publisher.publish("a post the model wrote", "key")
    assert "@voicebot" in warning and "Automated" in warning
    assert receipt.url == "https://x.com/voicebot/status/1900000000000000999"
    assert waits == [42.0] and cassette.play_count == 3
    assert publisher.target() == "x:@voicebot" and not publisher.idempotent


def test_refused_keys_are_one_line_without_them(play: Play, keys: dict[str, str]) -> None:
    with play("post_refused"), pytest.raises(PublishError) as refused:
        XPublisher().connect()
    message = str(refused.value)
    assert message.startswith("x: HTTP 401, the keys were refused")
    assert not any(secret in message for secret in keys.values()) and "\n" not in message


def test_a_server_error_says_the_post_may_have_gone_out(play: Play, keys: dict[str, str]) -> None:
    publisher = XPublisher()
    with play("post_server_error"):
        publisher.connect()
        with pytest.raises(PublishError, match=r"HTTP 503.*may or may not have gone out"):
            publisher.publish("text", "key")


def test_missing_keys_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(PublishError, match="x: no token: set X_API_KEY"):
        XPublisher().connect()


def test_weighted_length_counts_like_x() -> None:
    assert weighted_length("hello") == 5
    assert weighted_length("日本語") == 6
    assert weighted_length("see https://example.org/a/very/long/path/indeed") == 4 + 23
