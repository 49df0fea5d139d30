"""A loopback stand-in for the Bluesky AppView, PDS and PLC directory (one server plays all three).

It serves the documented JSON shapes from ``fixtures/``; the real ``atproto`` client talks to it
over HTTP, so the tests exercise the same code path as a real run, without the network.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tweetgen.testing import loopback_server

FIXTURES = Path(__file__).parent / "fixtures"
ALICE_DID = "did:plc:alice"
NOT_FOUND = (400, {"error": "InvalidRequest", "message": "Profile not found"})


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _pages(prefix: str, cursor: str | None, next_cursor: str) -> tuple[int, dict[str, Any]]:
    if cursor is None:
        return 200, _fixture(f"{prefix}-1")
    if cursor == next_cursor:
        return 200, _fixture(f"{prefix}-2")
    return 400, {"error": "InvalidRequest", "message": "bad cursor"}


class Bluesky:
    """Routes one GET to a canned reply; ``requests`` records what the client asked for."""

    def __init__(self) -> None:
        self.base_url = ""
        self.requests: list[tuple[str, dict[str, str]]] = []

    def reply(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.requests.append((path, query))
        cursor = query.get("cursor")
        if path == "/xrpc/app.bsky.feed.getAuthorFeed":
            if query.get("actor") not in ("alice.test", ALICE_DID):
                return NOT_FOUND
            return _pages("author-feed", cursor, "2024-11-18T12:00:01.000Z")
        if path == "/xrpc/com.atproto.identity.resolveHandle":
            if query.get("handle") != "alice.test":
                return 400, {"error": "InvalidRequest", "message": "Unable to resolve handle"}
            return 200, {"did": ALICE_DID}
        if path == "/xrpc/com.atproto.repo.listRecords":
            if query.get("repo") != ALICE_DID or query.get("collection") != "app.bsky.feed.post":
                return 400, {"error": "InvalidRequest", "message": "Could not find repo"}
            return _pages("list-records", cursor, "3kalice2")
        if path == f"/{ALICE_DID}":  # the PLC directory: the DID document names this server as PDS
            doc = _fixture("did-doc")
            doc["service"][0]["serviceEndpoint"] = self.base_url
            return 200, doc
        return 404, {"error": "MethodNotImplemented", "message": f"no route for {path}"}


@pytest.fixture
def bluesky() -> Iterator[Bluesky]:
    """A running loopback server; ``bluesky.base_url`` is its ``http://127.0.0.1:PORT``."""
    app = Bluesky()
    with loopback_server(lambda path, query: (*app.reply(path, query), {})) as url:
        app.base_url = url
        yield app


@pytest.fixture
def this_plugin_only(tweetgen_only_plugins: Callable[[str], None]) -> None:
    """Load this plugin through its entry point, as an installed tweetgen would."""
    tweetgen_only_plugins("bluesky")
