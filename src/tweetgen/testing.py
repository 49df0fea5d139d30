"""The contract every source must meet, as reusable pytest tests.

A source plugin's test module subclasses :class:`SourceContract` and provides two fixtures::

    class TestMySource(SourceContract):
        @pytest.fixture
        def source_name(self) -> str:
            return "my-source"

        @pytest.fixture
        def posts(self) -> list[Post]:
            return list(MySource().read("tests/fixtures/sample.json"))

The fixture data should contain at least one original post, one reply and one repost, so every
check below has something to check.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tweetgen.post import Post, PostKind

_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);")


def contract_problems(posts: Sequence[Post], source_name: str) -> list[str]:
    """Every way ``posts`` break the source contract, as readable lines (empty when none)."""
    problems: list[str] = []
    if not posts:
        return ["the source yielded no posts"]
    dupes = [i for i, n in Counter(p.id for p in posts).items() if n > 1]
    if dupes:
        problems.append(f"duplicate ids: {dupes[:5]}")
    for p in posts:
        where = f"post {p.id}"
        if not isinstance(p, Post):
            problems.append(f"{where}: not a tweetgen.Post")
            continue
        if p.source != source_name:
            problems.append(f"{where}: source is {p.source!r}, expected {source_name!r}")
        if not p.id or not p.author:
            problems.append(f"{where}: empty id or author")
        if p.created_at.tzinfo is None or p.created_at.utcoffset() is None:
            problems.append(f"{where}: created_at is naive")
        if not isinstance(p.kind, PostKind):
            problems.append(f"{where}: kind {p.kind!r} is not a PostKind")
        if _ENTITY.search(p.text) and html.unescape(p.text) != p.text:
            problems.append(f"{where}: text still holds HTML entities: {p.text[:60]!r}")
        if p.kind is PostKind.REPLY and not p.reply_to:
            problems.append(f"{where}: a reply without reply_to")
        if p.kind is not PostKind.RETWEET and p.text.startswith("RT @"):
            problems.append(f"{where}: text starts with 'RT @' but kind is {p.kind.value}")
    return problems


class SourceContract:
    """Mix into a pytest class; needs fixtures ``posts`` (list of Post) and ``source_name``."""

    def test_contract(self, posts: list[Post], source_name: str) -> None:
        problems = contract_problems(posts, source_name)
        assert not problems, "\n".join(problems)

    def test_kinds_present(self, posts: list[Post]) -> None:
        kinds = {p.kind for p in posts}
        assert PostKind.ORIGINAL in kinds, "fixture data should hold an original post"

    def test_ids_are_strings(self, posts: list[Post]) -> None:
        assert all(isinstance(p.id, str) for p in posts)


#: ``reply(path, query) -> (status, body, headers)``: a str body is served as HTML, else JSON.
Reply = tuple[int, Any, Mapping[str, str]]


@contextmanager
def loopback_server(reply: Callable[[str, dict[str, str]], Reply]) -> Iterator[str]:
    """Serve GET requests on 127.0.0.1 from ``reply``; yield the base URL.

    Source plugins test their real HTTP clients against this instead of the network.
    """

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            status, body, headers = reply(url.path, query)
            is_text = isinstance(body, str)
            data = (body if is_text else json.dumps(body)).encode("utf-8")
            self.send_response(status)
            kind = "text/html" if is_text else "application/json; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
