"""Fixtures: the handmade export, archives built from it, and a loopback Mastodon API server.

The server serves the documented JSON shapes from ``fixtures/`` and pages with ``Link`` headers
the way Mastodon does (``<...?max_id=ID>; rel="next"``), so ``httpx`` runs for real, offline.
"""

from __future__ import annotations

import json
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tweetgen.testing import loopback_server

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "export"
ACCOUNT_ID = "109001"
Reply = tuple[int, Any, dict[str, str]]


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def export_zip(tmp_path: Path) -> Path:
    """The export as Mastodon 4.3+ ships it: a zip with the files at the top."""
    path = tmp_path / "archive-20240307.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(EXPORT.iterdir()):
            archive.write(file, file.name)
    return path


@pytest.fixture
def export_tar(tmp_path: Path) -> Path:
    """The export as older servers ship it: a .tar.gz with ``./``-prefixed names."""
    path = tmp_path / "archive-20240307.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for file in sorted(EXPORT.iterdir()):
            archive.add(file, f"./{file.name}")
    return path


class MastodonAPI:
    """Routes one GET to a canned reply; ``requests`` records what the client asked for."""

    def __init__(self) -> None:
        self.base_url = ""
        self.requests: list[tuple[str, dict[str, str]]] = []

    def reply(self, path: str, query: dict[str, str]) -> Reply:
        self.requests.append((path, query))
        if path == "/api/v1/accounts/lookup":
            if query.get("acct") == "broken":  # an account whose statuses fail with HTML
                return 200, {"id": "666", "username": "broken", "acct": "broken"}, {}
            if query.get("acct") != "alice":
                return 404, {"error": "Record not found"}, {}
            return 200, _fixture("api-account.json"), {}
        if path == f"/api/v1/accounts/{ACCOUNT_ID}/statuses":
            return self._statuses(query)
        if path == "/api/v1/accounts/666/statuses":
            return 500, "<html>oops</html>", {}
        return 404, {"error": "Record not found"}, {}

    def _statuses(self, query: dict[str, str]) -> Reply:
        """Three pages: two fixture files, then an empty page without a next link."""
        pages = {None: "api-statuses-1.json", "112004": "api-statuses-2.json"}
        max_id = query.get("max_id")
        if max_id not in pages:
            return 200, [], {}
        page = _fixture(pages[max_id])
        limit = query.get("limit", "20")
        base = f"{self.base_url}/api/v1/accounts/{ACCOUNT_ID}/statuses"
        link = (
            f'<{base}?limit={limit}&max_id={page[-1]["id"]}>; rel="next", '
            f'<{base}?limit={limit}&min_id={page[0]["id"]}>; rel="prev"'
        )
        return 200, page, {"Link": link}


@pytest.fixture
def mastodon() -> Iterator[MastodonAPI]:
    """A running loopback server; ``mastodon.base_url`` is its ``http://127.0.0.1:PORT``."""
    app = MastodonAPI()
    with loopback_server(app.reply) as url:
        app.base_url = url
        yield app


@pytest.fixture
def this_plugin_only(tweetgen_only_plugins: Callable[[str], None]) -> None:
    """Load this plugin through its entry point, as an installed tweetgen would."""
    tweetgen_only_plugins("mastodon")
