"""A loopback HTTP server, so plugins test their real clients without the network.

:func:`loopback_app` answers every method and sees headers and bodies (publishers: POST a
status, PATCH a profile); :func:`loopback_server` is its short form for GET requests
(sources), from the path and query alone.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: ``reply(path, query) -> (status, body, headers)``: a str body is served as HTML, else JSON.
Reply = tuple[int, Any, Mapping[str, str]]


def loopback_server(reply: Callable[[str, dict[str, str]], Reply]) -> AbstractContextManager[str]:
    """Serve GET requests on 127.0.0.1 from ``reply``; yield the base URL.

    ``reply(path, query)`` returns ``(status, body, headers)``: a ``str`` body is served as
    ``text/html``, anything else as JSON. Requests are served one at a time, in order.
    Source plugins test their real HTTP clients against this instead of the network.
    """
    return loopback_app(lambda request: reply(request.path, request.query))


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

    ``app`` returns ``(status, body, headers)``: a ``str`` body is served as ``text/html``,
    ``None`` as no content, anything else as JSON. Requests are served one at a time, in order.
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
            is_text = isinstance(body, str)
            data = b"" if body is None else (body if is_text else json.dumps(body)).encode()
            self.send_response(status)
            kind = "text/html" if is_text else "application/json; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

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
