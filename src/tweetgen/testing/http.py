"""A loopback HTTP server, so plugins test their real clients without the network.

:func:`loopback_server` answers GET requests (sources); :func:`loopback_app` answers every
method and sees headers and bodies (publishers: POST a status, PATCH a profile).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

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

    with _serving(Handler) as url:
        yield url


@dataclass(frozen=True)
class Request:
    """One request a :func:`loopback_app` received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@contextmanager
def loopback_app(app: Callable[[Request], Reply]) -> Iterator[str]:
    """Serve every method on 127.0.0.1 from ``app(request)``; yield the base URL.

    ``app`` returns ``(status, body, headers)`` as for :func:`loopback_server` (a ``None``
    body sends no content). Requests are served one at a time, in order.
    """
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlsplit(self.path)
            size = int(self.headers.get("Content-Length") or 0)
            request = Request(
                self.command,
                url.path,
                {k: v[-1] for k, v in parse_qs(url.query).items()},
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(size) if size else b"",
            )
            with lock:
                status, body, headers = app(request)
            data = b"" if body is None else json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    with _serving(Handler) as url:
        yield url


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` served on a free 127.0.0.1 port in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
