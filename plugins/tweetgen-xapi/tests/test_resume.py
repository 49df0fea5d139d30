"""An interrupted fetch, resumed with its state file, yields exactly what an uninterrupted one does.

``timeline.yaml`` has four pages. Each test interrupts the fetch in a different way after page
2, resumes it, and compares every field of every post with a run that was never interrupted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import tweepy
from tweetgen_xapi import XApiSource
from tweetgen_xapi import state as state_module
from vcr.cassette import Cassette

from tweetgen import InputFormatError, Post, SourceError

Play = Callable[[str], AbstractContextManager[Cassette]]
PAGE_3 = "7140dibdnow9c7btw4b3j8l2ghp3"
PAGE_4 = "7140dibdnow9c7btw4b3j8l1mzq4"


def records(posts: list[Post]) -> list[dict[str, Any]]:
    return [p.to_record() for p in posts]


@pytest.fixture
def uninterrupted(play: Play, token: str) -> list[dict[str, Any]]:
    with play("timeline"):
        return records(list(XApiSource().read("alice")))


@pytest.fixture
def tokens_asked(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The pagination token of every timeline request, in order."""
    asked: list[str | None] = []
    original = tweepy.Client.get_users_tweets

    def get_users_tweets(self: tweepy.Client, *args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("pagination_token"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(tweepy.Client, "get_users_tweets", get_users_tweets)
    return asked


def crash_on_page_3(posts: Iterator[Post], tokens_asked: list[str | None]) -> None:
    """Ctrl-C while page 3 is being requested."""
    spy = tweepy.Client.get_users_tweets

    def get_users_tweets(self: tweepy.Client, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("pagination_token") == PAGE_3:
            raise KeyboardInterrupt
        return spy(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tweepy.Client, "get_users_tweets", get_users_tweets)
        for _ in posts:
            pass


def consumer_stops_mid_page_2(posts: Iterator[Post], tokens_asked: list[str | None]) -> None:
    """The reader gives up (or is killed) after the first post of page 2."""
    for i, _ in enumerate(posts, 1):
        if i == 4:
            break


def crash_while_saving_page_3(posts: Iterator[Post], tokens_asked: list[str | None]) -> None:
    """Killed half-way through writing the state after page 3."""
    real_dump = json.dump
    saves = 0

    def dump(obj: Any, fp: Any, **kwargs: Any) -> None:
        nonlocal saves
        saves += 1
        if saves == 3:
            fp.write(json.dumps(obj)[:100])
            raise KeyboardInterrupt
        real_dump(obj, fp, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(state_module.json, "dump", dump)
        for _ in posts:
            pass


@pytest.mark.parametrize(
    "interrupt", [crash_on_page_3, consumer_stops_mid_page_2, crash_while_saving_page_3]
)
def test_resume_matches_an_uninterrupted_fetch(
    play: Play,
    tmp_path: Path,
    uninterrupted: list[dict[str, Any]],
    tokens_asked: list[str | None],
    interrupt: Callable[[Iterator[Post], list[str | None]], None],
) -> None:
    state = tmp_path / "alice.state.json"
    with play("timeline"):
        posts = XApiSource().read("alice", state_file=str(state))
        try:
            interrupt(posts, tokens_asked)
        except KeyboardInterrupt:
            pass
        finally:
            posts.close()
    assert json.loads(state.read_text(encoding="utf-8"))["next_token"] == PAGE_3
    assert [p.name for p in tmp_path.iterdir()] == [state.name], "a temporary file was left"

    tokens_asked.clear()
    with play("timeline") as played:
        resumed = list(XApiSource().read("alice", state_file=str(state)))
        assert played.play_count == 2, "the resumed fetch asked for pages it already had"
    assert tokens_asked == [PAGE_3, PAGE_4]
    assert records(resumed) == uninterrupted


def test_a_finished_fetch_is_served_from_its_state_file(
    play: Play, tmp_path: Path, uninterrupted: list[dict[str, Any]]
) -> None:
    state = tmp_path / "state.json"
    with play("timeline"):
        list(XApiSource().read("alice", state_file=str(state)))
    with play("timeline") as played:
        again = list(XApiSource().read("alice", state_file=str(state)))
        assert played.play_count == 0
    assert records(again) == uninterrupted


def test_state_file_of_another_fetch_is_refused(play: Play, token: str, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with play("timeline"):
        list(XApiSource().read("alice", state_file=str(state)))
    with pytest.raises(SourceError, match="state file is for @alice") as error:
        list(XApiSource().read("alice", state_file=str(state), exclude="replies"))
    assert error.value.path == str(state)


def test_damaged_state_file_is_an_input_error(token: str, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"format": "tweetgen-xapi-state", "version": 1, "hand', encoding="utf-8")
    with pytest.raises(InputFormatError, match="unreadable state file") as error:
        list(XApiSource().read("alice", state_file=str(state)))
    assert error.value.path == str(state)
