"""The HTTP edges every API route shares: reading a body within limits, noticing a client
that left, the key check, and errors as JSON (never a traceback).

Errors take the shape of the API they answer: OpenAI's ``{"error": {"message", "type",
"param", "code"}}`` under ``/v1/``, the Hugging Face Inference API's ``{"error": message}``
elsewhere.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tweetgen.generation.samples import Sample
from tweetgen.serve.batcher import Job
from tweetgen.serve.bodies import Problem
from tweetgen.serve.settings import Limits

#: Paths the API key guards (the page, its files and /health stay open, as vLLM's do).
API_PREFIXES = ("/v1/", "/models/")


async def read_body(request: Request, limits: Limits) -> bytes:
    """The body, refused once it passes ``max_body_bytes`` (413) or takes longer than
    ``body_timeout`` to arrive (408): a slow client is let go instead of held."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise Problem(413, f"the body is over {limits.max_body_bytes:,} bytes")

    async def whole() -> bytes:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limits.max_body_bytes:
                raise Problem(413, f"the body is over {limits.max_body_bytes:,} bytes")
        return bytes(body)

    try:
        return await asyncio.wait_for(whole(), limits.body_timeout)
    except asyncio.TimeoutError:
        raise Problem(
            408, f"the body took longer than {limits.body_timeout:g} seconds to arrive"
        ) from None
    except ClientDisconnect:
        raise Problem(400, "the client closed the connection before sending its body") from None


async def _gone(request: Request) -> None:
    """Return once the client disconnects (the body has been read by then)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def posts_of(job: Job, request: Request) -> AsyncIterator[Sample]:
    """The job's posts as they are written; when the client goes away (or the response is
    abandoned) the job is cancelled, so it stops costing work."""
    gone = asyncio.ensure_future(_gone(request))
    finished = False
    try:
        while True:
            following = asyncio.ensure_future(job.posts.get())
            await asyncio.wait({following, gone}, return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                following.cancel()
                return
            sample = following.result()
            if sample is None:
                finished = True
                return
            yield sample
    finally:
        gone.cancel()
        if not finished:
            job.cancelled = True


def error_body(path: str, status: int, message: str, param: str | None, kind: str) -> Any:
    if path.startswith("/v1/"):
        return {"error": {"message": message, "type": kind, "param": param, "code": status}}
    return {"error": message, "error_type": kind}


def problem_response(request: Request, exc: Exception) -> Response:
    """A :class:`Problem` (or Starlette's own 404/405) as JSON in the API's shape."""
    if isinstance(exc, Problem):
        status, message, param, kind = exc.status, exc.message, exc.param, exc.kind
        headers = exc.headers
    elif isinstance(exc, HTTPException):
        status, message, param, kind = exc.status_code, str(exc.detail), None, "not_found"
        headers = dict(exc.headers or {})
        if status == 405:
            kind = "method_not_allowed"
    else:
        status, message, param, kind, headers = 500, "internal error", None, "server_error", {}
    path = request.url.path[len(request.scope.get("root_path", "")) :]
    body = error_body(path, status, message, param, kind)
    return JSONResponse(body, status_code=status, headers=headers)


class KeyGate:
    """ASGI middleware: every API path needs ``Authorization: Bearer KEY``, compared in
    constant time. The key is kept in this object only, never logged or echoed."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self._key = key.encode("utf-8")

    def __repr__(self) -> str:
        return "KeyGate(key=***)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"][len(scope.get("root_path", "")) :]
            if path.startswith(API_PREFIXES) and not self._allowed(scope):
                await self._refuse(path, send)
                return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        headers = dict(scope.get("headers") or [])
        scheme, _, token = headers.get(b"authorization", b"").partition(b" ")
        given = token.strip() if scheme.lower() == b"bearer" else b""
        return hmac.compare_digest(given, self._key)

    @staticmethod
    async def _refuse(path: str, send: Send) -> None:
        message = "a valid API key is needed: send 'Authorization: Bearer KEY'"
        body = json.dumps(error_body(path, 401, message, None, "authentication_error")).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b"Bearer"),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})


__all__ = ["KeyGate", "posts_of", "problem_response", "read_body"]
