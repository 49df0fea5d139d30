"""The Bluesky publisher against a loopback PDS: session, self-labelled records, no repeats."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from tweetgen_bluesky.publish import TOKEN_ENV, BlueskyPublisher, make_tid

from tweetgen import PublishError
from tweetgen.plugins import get_publisher_class
from tweetgen.testing import Request, loopback_app

PASSWORD = "abcd-efgh-ijkl-mnop"
JWT = "jwt-access-0123456789abcdef"
Reply = tuple[int, Any, dict[str, str]]


@dataclass
class FakePds:
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    creates: int = 0
    script: list[Reply] = field(default_factory=list)

    def __call__(self, request: Request) -> Reply:
        if request.path.endswith("createSession"):
            body = request.json()
            if body != {"identifier": "bot.example", "password": PASSWORD}:
                return 401, {"error": "AuthenticationRequired", "message": "Invalid password"}, {}
            return 200, {"did": "did:plc:bot", "handle": "bot.example", "accessJwt": JWT}, {}
        if request.headers.get("authorization") != f"Bearer {JWT}":
            return 401, {"error": "InvalidToken"}, {}
        if request.path.endswith("getRecord"):
            rkey = request.query["rkey"]
            if rkey in self.records:
                return 200, {"uri": f"at://did:plc:bot/app.bsky.feed.post/{rkey}"}, {}
            return 400, {"error": "RecordNotFound", "message": "Could not locate record"}, {}
        if request.path.endswith("createRecord"):
            if self.script:
                return self.script.pop(0)
            body = request.json()
            self.creates += 1
            self.records[body["rkey"]] = body["record"]
            return 200, {"uri": f"at://did:plc:bot/app.bsky.feed.post/{body['rkey']}"}, {}
        return 404, {"error": "MethodNotImplemented"}, {}


@pytest.fixture
def pds(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakePds, str]]:
    monkeypatch.setenv(TOKEN_ENV, PASSWORD)
    fake = FakePds()
    with loopback_app(fake) as url:
        yield fake, url


@pytest.mark.usefixtures("this_plugin_only")
def test_registered_through_the_hook() -> None:
    assert get_publisher_class("bluesky") is BlueskyPublisher


def test_posts_carry_the_bot_self_label_and_are_never_repeated(pds: tuple[FakePds, str]) -> None:
    fake, url = pds
    publisher = BlueskyPublisher(handle="@bot.example", service=url, lang="en")
    assert publisher.connect() == []
    key = publisher.new_key()
    receipt = publisher.publish("a post the model wrote", key)
    assert receipt.url == f"https://bsky.app/profile/bot.example/post/{key}"
    record = fake.records[key]
    assert record["labels"]["values"] == [{"val": "bot"}] and record["langs"] == ["en"]
    again = publisher.publish("a post the model wrote", key)  # a retry after a crash
    assert again == receipt and fake.creates == 1


def test_a_wrong_password_is_one_line_without_it(
    pds: tuple[FakePds, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = pds
    monkeypatch.setenv(TOKEN_ENV, "wxyz-wxyz-wxyz-wxyz")
    with pytest.raises(PublishError) as refused:
        BlueskyPublisher(handle="bot.example", service=url).connect()
    message = str(refused.value)
    assert "HTTP 401, the token was refused: Invalid password" in message
    assert "wxyz-wxyz" not in message and "\n" not in message


def test_rate_limit_and_server_errors(
    pds: tuple[FakePds, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    fake, url = pds
    monkeypatch.setattr(time, "sleep", lambda s: None)
    publisher = BlueskyPublisher(handle="bot.example", service=url)
    publisher.connect()
    fake.script = [(429, {"error": "RateLimitExceeded"}, {"RateLimit-Reset": "99999999999"})]
    with pytest.raises(PublishError, match="rate limited: try again in"):
        publisher.publish("text", publisher.new_key())
    fake.script = [(500, {"error": "InternalServerError"}, {})] * 4
    with pytest.raises(PublishError, match="HTTP 500 after 4 tries"):
        publisher.publish("text", publisher.new_key())
    assert fake.creates == 0


def test_handle_is_required_and_tids_sort_by_time() -> None:
    with pytest.raises(PublishError, match=r"handle=you\.bsky\.social is required"):
        BlueskyPublisher()
    early, late = make_tid(1_700_000_000_000_000, 5), make_tid(1_700_000_000_000_001, 0)
    assert len(early) == 13 and early < late


def test_the_feed_names_the_account(bluesky: Any) -> None:
    from tweetgen.corpus.corpus import Corpus
    from tweetgen.records.profile import Profile, profile_of

    corpus = Corpus.from_source("bluesky", "alice.test", base_url=bluesky.base_url)
    assert profile_of(corpus.meta) == Profile("alice.test", "Alice", None)
