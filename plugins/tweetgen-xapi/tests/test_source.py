"""The x-api source against handwritten cassettes: mapping, options, errors, limits, secrets."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import requests
import tweepy
from tweetgen_xapi import XApiCeilingWarning, XApiSource, api
from tweetgen_xapi.source import bearer_token
from vcr.cassette import Cassette

from tweetgen import NetworkError, Post, PostKind, SourceError, Url
from tweetgen.testing import SourceContract

Play = Callable[[str], AbstractContextManager[Cassette]]


def read_all(play: Play, cassette: str, handle: str = "alice", **options: str) -> list[Post]:
    with play(cassette) as played:
        posts = list(XApiSource().read(handle, **options))
        assert played.all_played, "a page of the cassette was never asked for"
    return posts


class TestXApiContract(SourceContract):
    @pytest.fixture
    def source_name(self) -> str:
        return "x-api"

    @pytest.fixture
    def posts(self, play: Play, token: str) -> list[Post]:
        return read_all(play, "timeline")


def test_timeline_maps_every_page(play: Play, token: str) -> None:
    posts = read_all(play, "timeline", "@alice")
    assert [p.id[-2:] for p in posts] == ["10", "09", "08", "07", "06", "05", "04", "03", "02"]
    assert {p.author for p in posts} == {"Alice"}  # as the account spells itself
    by_id = {p.id[-2:]: p for p in posts}
    assert by_id["10"].text == "Writing a novel one post at a time & loving it #amwriting"
    assert by_id["10"].hashtags == ("amwriting",)
    assert (by_id["09"].kind, by_id["09"].reply_to) == (PostKind.REPLY, "1899999999999999000")
    assert by_id["09"].mentions == ("bob",)
    assert by_id["08"].kind is PostKind.RETWEET
    assert by_id["08"].text == "RT @carol: Libraries are the best <3"
    assert by_id["07"].kind is PostKind.QUOTE
    assert by_id["07"].urls[0].expanded == "https://twitter.com/dave/status/1899999999999997000"
    assert by_id["06"].text.endswith("already made. #amwriting #process")
    assert by_id["06"].hashtags == ("amwriting", "process")
    assert by_id["05"].urls == (
        Url("https://t.co/z9x8c7v6b5", "https://example.org/blog/chapter-notes"),
    )
    assert (by_id["04"].lang, by_id["04"].text[:20]) == ("de", "Guten Morgen > gute ")
    assert by_id["02"].mentions == ("erin", "frank")


def test_nothing_is_fetched_until_the_posts_are_consumed(play: Play, token: str) -> None:
    with play("timeline") as played:
        XApiSource().read("alice")
        assert played.play_count == 0


def test_token_option_then_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWITTER_BEARER_TOKEN", "old-name")
    assert bearer_token({}) == "old-name"
    monkeypatch.setenv("X_BEARER_TOKEN", "new-name")
    assert bearer_token({}) == "new-name"
    assert bearer_token({"bearer_token": "option"}) == "option"


def test_missing_token_says_where_to_put_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    monkeypatch.delenv("TWITTER_BEARER_TOKEN", raising=False)
    with pytest.raises(SourceError, match=r"X_BEARER_TOKEN"):
        XApiSource().read("alice")


@pytest.mark.parametrize(
    ("location", "options", "message"),
    [
        ("alice", {"colour": "red"}, "unknown option"),
        ("alice", {"exclude": "likes"}, "exclude takes"),
        ("alice", {"wait_on_rate_limit": "maybe"}, "true or false"),
        ("not a handle!", {}, "not an X handle"),
        ("https://x.com/alice", {}, "not an X handle"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    token: str, location: str, options: dict[str, str], message: str
) -> None:
    with pytest.raises(SourceError, match=message):
        XApiSource().read(location, **options)


def test_rate_limit_waits_until_the_reset(play: Play, token: str, sleeps: list[float]) -> None:
    posts = read_all(play, "rate_limited")
    assert [p.text for p in posts] == ["Worth the wait."]
    assert sleeps == [43]  # reset - now + 1


def test_rate_limit_can_fail_fast(play: Play, token: str, sleeps: list[float]) -> None:
    with play("rate_limited"), pytest.raises(NetworkError, match=r"rate limit reached.*resets at"):
        list(XApiSource().read("alice", wait_on_rate_limit="false"))
    assert sleeps == []


def test_rate_limit_waits_are_bounded(sleeps: list[float]) -> None:
    response = requests.Response()
    response.status_code, response._content = 429, b"{}"
    calls: list[int] = []

    def get_users_tweets() -> None:
        calls.append(1)
        raise tweepy.TooManyRequests(response, reset_time=None)

    wrapped = api.Api("t")._retrying(get_users_tweets)
    with pytest.raises(NetworkError, match="rate limit"):
        wrapped()
    assert len(calls) == api.RATE_LIMIT_RETRIES + 1
    assert sleeps == [api.FALLBACK_WAIT_S] * api.RATE_LIMIT_RETRIES
    assert wrapped.__name__ == "get_users_tweets"  # what tweepy.Paginator looks at


def test_rejected_token(play: Play, token: str) -> None:
    with play("unauthorized"), pytest.raises(NetworkError, match="bearer token rejected \\(401"):
        list(XApiSource().read("alice"))


def test_token_without_timeline_access(play: Play, token: str) -> None:
    with play("forbidden"), pytest.raises(NetworkError, match=r"rejected.*access level"):
        list(XApiSource().read("alice"))


def test_unknown_account(play: Play, token: str) -> None:
    with play("no_such_user"), pytest.raises(SourceError, match="no account @nobody_here"):
        list(XApiSource().read("nobody_here"))


def test_ceiling_is_reported(play: Play, token: str) -> None:
    with pytest.warns(XApiCeilingWarning, match="5,210 posts .* only the newest 800"):
        posts = read_all(play, "big_account", exclude="retweets,replies")
    assert len(posts) == 1


def test_no_ceiling_warning_for_small_accounts(play: Play, token: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", XApiCeilingWarning)
        read_all(play, "timeline")


def test_token_never_leaks(
    play: Play, token: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    state = tmp_path / "state.json"
    source = XApiSource()
    posts = read_all(play, "timeline", state_file=str(state))
    with play("unauthorized"), pytest.raises(NetworkError) as error:
        list(source.read("alice", bearer_token=token))
    assert "[redacted]" in caplog.text  # tweepy did log its headers: the check below can fail
    seen = [
        caplog.text,
        str(error.value),
        repr(error.value),
        repr(source),
        state.read_text(encoding="utf-8"),
        *(repr(p) + json.dumps(p.to_record(), default=str) for p in posts),
    ]
    assert not [s for s in seen if token in s or token[-20:] in s]
