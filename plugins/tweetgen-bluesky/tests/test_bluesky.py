"""The Bluesky source against a loopback server that speaks the documented XRPC shapes."""

from __future__ import annotations

import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from tweetgen_bluesky import BlueskySource, parse_actor

from tweetgen import Corpus, NetworkError, Post, PostKind, SourceError, Url, get_sources
from tweetgen.cli import main
from tweetgen.testing import SourceContract

ALICE = "at://did:plc:alice/app.bsky.feed.post/"


def read(base_url: str, location: str = "alice.test", **options: str) -> list[Post]:
    return list(BlueskySource().read(location, base_url=base_url, **options))


class TestFeedContract(SourceContract):
    @pytest.fixture
    def source_name(self) -> str:
        return "bluesky"

    @pytest.fixture
    def posts(self, bluesky: Any) -> list[Post]:
        return read(bluesky.base_url)


class TestRecordsContract(TestFeedContract):
    @pytest.fixture
    def posts(self, bluesky: Any) -> list[Post]:
        return read(bluesky.base_url, method="records", plc_url=bluesky.base_url)


def test_feed_pages_and_kinds(bluesky: Any) -> None:
    posts = read(bluesky.base_url)
    assert [p.kind for p in posts] == [
        PostKind.ORIGINAL,
        PostKind.REPLY,
        PostKind.RETWEET,
        PostKind.QUOTE,
        PostKind.ORIGINAL,
    ]
    cursors = [q.get("cursor") for path, q in bluesky.requests if path.endswith("getAuthorFeed")]
    assert cursors == [None, "2024-11-18T12:00:01.000Z"]


def test_facets_dates_and_language(bluesky: Any) -> None:
    first = read(bluesky.base_url)[0]
    assert first.id == ALICE + "3kalice1"
    assert first.author == "alice.test"
    assert first.urls == (Url("example.com/notes…", "https://example.com/notes/2024/cafe"),)
    assert first.mentions == ("bob.test",)
    assert first.hashtags == ("coffee",)
    assert first.lang == "en"
    assert first.created_at == datetime(2024, 11, 20, 10, tzinfo=timezone.utc)


def test_reply_quote_and_repost(bluesky: Any) -> None:
    _, reply, repost, quote, plain = read(bluesky.base_url)
    assert reply.reply_to == "at://did:plc:bob/app.bsky.feed.post/3kbob1"
    assert quote.extra == {"quoted": "at://did:plc:bob/app.bsky.feed.post/3kbob2"}
    assert repost.author == "alice.test"
    assert repost.id == "at://did:plc:alice/app.bsky.feed.repost/3krepost1"
    assert repost.created_at == datetime(2024, 11, 18, 13, tzinfo=timezone.utc)
    assert repost.extra["original_author"] == "bob.test"
    assert plain.lang is None
    assert plain.created_at.tzinfo is not None  # createdAt without an offset is read as UTC


def test_limit_stops_early(bluesky: Any) -> None:
    posts = read(bluesky.base_url, limit="2")
    assert len(posts) == 2
    assert [q["limit"] for _, q in bluesky.requests] == ["2"]


def test_records_resolve_handle_then_pds(bluesky: Any) -> None:
    posts = read(bluesky.base_url, method="records", plc_url=bluesky.base_url)
    assert [p.kind for p in posts] == [
        PostKind.ORIGINAL,
        PostKind.REPLY,
        PostKind.QUOTE,
        PostKind.ORIGINAL,
    ]
    assert {p.author for p in posts} == {"alice.test"}
    paths = [path for path, _ in bluesky.requests]
    assert paths[:2] == ["/xrpc/com.atproto.identity.resolveHandle", "/did:plc:alice"]
    assert paths[2:] == ["/xrpc/com.atproto.repo.listRecords"] * 2


def test_records_with_did_and_pds_skip_lookups(bluesky: Any) -> None:
    url = bluesky.base_url
    posts = read(url, location="did:plc:alice", method="records", pds=url)
    assert len(posts) == 4
    assert {p.author for p in posts} == {"did:plc:alice"}
    assert {path for path, _ in bluesky.requests} == {"/xrpc/com.atproto.repo.listRecords"}


def test_service_error_is_one_line(bluesky: Any) -> None:
    with pytest.raises(NetworkError, match="Profile not found") as info:
        read(bluesky.base_url, location="nobody.test")
    assert "\n" not in str(info.value)


def test_unreachable_service(unused_url: str) -> None:
    with pytest.raises(NetworkError, match="getAuthorFeed"):
        read(unused_url)


@pytest.mark.parametrize(
    ("location", "actor"),
    [
        ("alice.bsky.social", "alice.bsky.social"),
        ("@alice.bsky.social", "alice.bsky.social"),
        ("did:plc:z72i7hdynmk6r22z27h6tvur", "did:plc:z72i7hdynmk6r22z27h6tvur"),
        ("https://bsky.app/profile/alice.bsky.social/post/3k", "alice.bsky.social"),
    ],
)
def test_location_forms(location: str, actor: str) -> None:
    assert parse_actor(location) == actor


@pytest.mark.parametrize(
    ("location", "options"),
    [
        ("not a handle", {}),
        ("alice.test", {"method": "firehose"}),
        ("alice.test", {"limit": "0"}),
        ("alice.test", {"limit": "many"}),
        ("alice.test", {"password": "x"}),
    ],
)
def test_bad_arguments_fail_before_any_request(location: str, options: dict[str, str]) -> None:
    with pytest.raises(SourceError):
        BlueskySource().read(location, **options)


@pytest.fixture
def unused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.usefixtures("this_plugin_only")
def test_entry_point_registers_the_source() -> None:
    assert get_sources()["bluesky"] is BlueskySource


def prepare_cli(location: str, out: Path, base_url: str) -> Result:
    args = ["prepare", "bluesky", location, "--out", str(out), "-o", f"base_url={base_url}"]
    return CliRunner().invoke(main, args)


@pytest.mark.usefixtures("this_plugin_only")
def test_cli_prepare_end_to_end(bluesky: Any, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    result = prepare_cli("alice.test", out, bluesky.base_url)
    assert result.exit_code == 0, result.output
    corpus = Corpus.load(out)
    assert 0 < len(corpus) <= 5
    assert all(p.source == "bluesky" for p in corpus)


@pytest.mark.usefixtures("this_plugin_only")
def test_cli_service_error(bluesky: Any, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    result = prepare_cli("nobody.test", out, bluesky.base_url)
    assert result.exit_code != 0
    assert "Profile not found" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
