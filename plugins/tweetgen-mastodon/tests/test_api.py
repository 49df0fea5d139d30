"""The public statuses API, against a loopback server that pages with Link headers."""

from __future__ import annotations

import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from tweetgen_mastodon import MastodonSource, Remote, parse_location

from tweetgen import Corpus, NetworkError, Post, PostKind, SourceError
from tweetgen.cli import main
from tweetgen.testing import SourceContract

STATUSES = "/api/v1/accounts/109001/statuses"


def read(base_url: str, location: str = "@alice@example.social", **options: str) -> list[Post]:
    return list(MastodonSource().read(location, base_url=base_url, **options))


class TestApiContract(SourceContract):
    @pytest.fixture
    def source_name(self) -> str:
        return "mastodon"

    @pytest.fixture
    def posts(self, mastodon: Any) -> list[Post]:
        return read(mastodon.base_url)


def test_follows_link_headers_until_an_empty_page(mastodon: Any) -> None:
    read(mastodon.base_url)
    assert mastodon.requests == [
        ("/api/v1/accounts/lookup", {"acct": "alice"}),
        (STATUSES, {"limit": "40"}),
        (STATUSES, {"limit": "40", "max_id": "112004"}),
        (STATUSES, {"limit": "40", "max_id": "112001"}),
    ]


def test_kinds_and_direct_messages_left_out(mastodon: Any) -> None:
    posts = read(mastodon.base_url)
    assert [(p.id, p.kind) for p in posts] == [
        ("112006", PostKind.QUOTE),
        ("112004", PostKind.ORIGINAL),  # followers-only: kept; 112005 is direct: left out
        ("112003", PostKind.RETWEET),
        ("112002", PostKind.REPLY),
        ("112001", PostKind.ORIGINAL),
    ]
    assert {p.author for p in posts} == {"alice@example.social"}


def test_status_fields(mastodon: Any) -> None:
    quote, german, boost, reply, first = read(mastodon.base_url)
    assert boost.text == "Rivers are the original long-form writing."
    assert boost.extra["original_author"] == "bob@other.example"
    assert reply.reply_to == "113400"
    assert reply.text.startswith("@bob@other.example Yes,")
    assert german.lang == "de"
    assert quote.extra["content_warning"] == "long read"
    assert first.mentions == ("carol@example.social",)  # a local account gets its host
    assert "Notes from @carol@example.social: https://example.com/essays" in first.text
    assert first.hashtags == ("slowliving",)
    assert first.created_at == datetime(2024, 3, 1, 8, 15, tzinfo=timezone.utc)


def test_exclude_options_reach_the_server(mastodon: Any) -> None:
    posts = read(mastodon.base_url, exclude_replies="true", exclude_reblogs="1")
    assert {p.kind for p in posts} == {PostKind.ORIGINAL, PostKind.QUOTE}
    assert mastodon.requests[1][1] == {
        "limit": "40",
        "exclude_replies": "true",
        "exclude_reblogs": "true",
    }


def test_limit_sets_the_page_size_and_stops(mastodon: Any) -> None:
    assert len(read(mastodon.base_url, limit="2")) == 2
    assert mastodon.requests[1:] == [(STATUSES, {"limit": "2"})]


def test_unknown_account_is_a_one_line_network_error(mastodon: Any) -> None:
    with pytest.raises(NetworkError, match="HTTP 404: Record not found") as info:
        read(mastodon.base_url, location="@nobody@example.social")
    assert "\n" not in str(info.value)


def test_server_error_without_json(mastodon: Any) -> None:
    with pytest.raises(NetworkError, match="HTTP 500"):
        read(mastodon.base_url, location="broken@example.social")


def test_unreachable_server() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NetworkError, match="mastodon: "):
        read(f"http://127.0.0.1:{port}")


@pytest.mark.parametrize(
    ("location", "remote"),
    [
        ("@alice@mastodon.social", Remote("alice", "mastodon.social", "https://mastodon.social")),
        ("alice@mastodon.social", Remote("alice", "mastodon.social", "https://mastodon.social")),
        ("https://fosstodon.org/@bob", Remote("bob", "fosstodon.org", "https://fosstodon.org")),
        ("http://localhost:3000/@bob/", Remote("bob", "localhost", "http://localhost:3000")),
        ("archive-2024.zip", None),
    ],
)
def test_location_forms(location: str, remote: Remote | None) -> None:
    assert parse_location(location) == remote


@pytest.mark.parametrize(
    ("location", "options"),
    [
        ("https://mastodon.social/about", {}),
        ("@alice@mastodon.social", {"limit": "-1"}),
        ("@alice@mastodon.social", {"exclude_replies": "maybe"}),
        ("@alice@mastodon.social", {"token": "secret"}),
    ],
)
def test_bad_arguments_fail_before_any_request(location: str, options: dict[str, str]) -> None:
    with pytest.raises(SourceError):
        MastodonSource().read(location, **options)


def prepare_cli(location: str, out: Path, base_url: str) -> Result:
    args = ["prepare", "mastodon", location, "--out", str(out), "-o", f"base_url={base_url}"]
    return CliRunner().invoke(main, args)


@pytest.mark.usefixtures("this_plugin_only")
def test_cli_prepare_from_the_api(mastodon: Any, tmp_path: Path) -> None:
    result = prepare_cli("@alice@example.social", tmp_path / "corpus", mastodon.base_url)
    assert result.exit_code == 0, result.output
    corpus = Corpus.load(tmp_path / "corpus")
    assert 0 < len(corpus) <= 4
    assert {p.author for p in corpus} == {"alice@example.social"}


@pytest.mark.usefixtures("this_plugin_only")
def test_cli_unknown_account(mastodon: Any, tmp_path: Path) -> None:
    result = prepare_cli("@nobody@example.social", tmp_path / "corpus", mastodon.base_url)
    assert result.exit_code != 0
    assert "Record not found" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "corpus").exists()
