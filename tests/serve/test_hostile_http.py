"""Hostile requests: each is answered with a 4xx JSON error that says what is wrong (never a
traceback), and the server goes on serving after all of them."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx
import pytest

from .conftest import LiveServer

OK = {"model": "tiny", "prompt": "the cat", "n": 1, "max_tokens": 4}

#: (what, path, raw body, status, words the error must hold)
BODIES: list[tuple[str, str, bytes, int, str]] = [
    ("empty body", "/v1/completions", b"", 400, "not valid JSON"),
    (
        "truncated JSON",
        "/v1/completions",
        b'{"model": "tiny", "prompt": "a"',
        400,
        "not valid JSON",
    ),
    ("trailing comma", "/v1/completions", b'{"model": "tiny",}', 400, "not valid JSON"),
    ("NaN literal", "/v1/completions", b'{"model": "tiny", "temperature": NaN}', 400, "JSON"),
    ("Infinity literal", "/v1/completions", b'{"model": "tiny", "top_p": Infinity}', 400, "JSON"),
    ("not UTF-8", "/v1/completions", b'{"model": "\xff\xfe"}', 400, "JSON"),
    ("a list", "/v1/completions", b"[]", 400, "Expected `object`"),
    ("null", "/v1/completions", b"null", 400, "Expected `object`"),
    ("a string", "/v1/completions", b'"hello"', 400, "Expected `object`"),
    ("deep nesting", "/v1/completions", b"[" * 5000 + b"]" * 5000, 400, "invalid"),
    ("HF empty", "/models/tiny", b"", 400, "not valid JSON"),
    ("HF not JSON", "/models/tiny", b"inputs=My dream is", 400, "not valid JSON"),
]

#: (what, path, JSON body, status, words the error must hold)
JSON_BODIES: list[tuple[str, str, Any, int, str]] = [
    ("no model", "/v1/completions", {"prompt": "a"}, 400, "model"),
    ("model a number", "/v1/completions", {"model": 5}, 400, "$.model"),
    ("unknown model", "/v1/completions", OK | {"model": "nope"}, 404, "no model named 'nope'"),
    ("prompt a number", "/v1/completions", OK | {"prompt": 5}, 400, "$.prompt"),
    ("prompt an object", "/v1/completions", OK | {"prompt": {"a": 1}}, 400, "$.prompt"),
    ("prompt token ids", "/v1/completions", OK | {"prompt": [1, 2]}, 400, "$.prompt"),
    ("two prompts", "/v1/completions", OK | {"prompt": ["a", "b"]}, 400, "one prompt"),
    ("prompt too long", "/v1/completions", OK | {"prompt": "x" * 1001}, 400, "1,000 characters"),
    ("prompt far too long", "/v1/completions", OK | {"prompt": "x" * 5000}, 413, "characters"),
    ("prompt past positions", "/v1/completions", OK | {"prompt": "a b " * 240}, 400, "tokens"),
    ("lone surrogate", "/v1/completions", OK | {"prompt": "\ud800"}, 400, "JSON"),
    ("n a string", "/v1/completions", OK | {"n": "5"}, 400, "$.n"),
    ("n a float", "/v1/completions", OK | {"n": 2.5}, 400, "$.n"),
    ("n a bool", "/v1/completions", OK | {"n": True}, 400, "$.n"),
    ("n zero", "/v1/completions", OK | {"n": 0}, 400, "n must be an integer from 1 to 16"),
    ("n negative", "/v1/completions", OK | {"n": -3}, 400, "n must be an integer"),
    ("n past the cap", "/v1/completions", OK | {"n": 17}, 400, "n must be an integer"),
    ("n huge", "/v1/completions", OK | {"n": 10**12}, 400, "n must be an integer"),
    ("n past int64", "/v1/completions", OK | {"n": 10**30}, 400, "n must be an integer"),
    ("max_tokens zero", "/v1/completions", OK | {"max_tokens": 0}, 400, "max_tokens"),
    ("max_tokens past cap", "/v1/completions", OK | {"max_tokens": 257}, 400, "max_tokens"),
    ("max_tokens a string", "/v1/completions", OK | {"max_tokens": "9"}, 400, "$.max_tokens"),
    ("temperature negative", "/v1/completions", OK | {"temperature": -1}, 400, "temperature"),
    ("temperature zero", "/v1/completions", OK | {"temperature": 0}, 400, "temperature"),
    ("temperature huge", "/v1/completions", OK | {"temperature": 1e300}, 400, "temperature"),
    ("temperature overflow", "/v1/completions", OK | {"temperature": 1e999}, 400, "temperature"),
    ("temperature a string", "/v1/completions", OK | {"temperature": "hot"}, 400, "temperature"),
    ("temperature a bool", "/v1/completions", OK | {"temperature": True}, 400, "temperature"),
    ("top_p zero", "/v1/completions", OK | {"top_p": 0}, 400, "top_p"),
    ("top_p negative", "/v1/completions", OK | {"top_p": -0.5}, 400, "top_p"),
    ("top_p above one", "/v1/completions", OK | {"top_p": 1.5}, 400, "top_p"),
    ("top_p a list", "/v1/completions", OK | {"top_p": [0.5]}, 400, "top_p"),
    ("stream a string", "/v1/completions", OK | {"stream": "yes"}, 400, "$.stream"),
    ("HF no inputs", "/models/tiny", {"parameters": {}}, 400, "inputs"),
    ("HF inputs a number", "/models/tiny", {"inputs": 5}, 400, "$.inputs"),
    ("HF parameters a string", "/models/tiny",
     {"inputs": "a", "parameters": "x"}, 400, "parameters"),
    ("HF n a string", "/models/tiny",
     {"inputs": "a", "parameters": {"num_return_sequences": "3"}}, 400, "num_return_sequences"),
    ("HF n past cap", "/models/tiny",
     {"inputs": "a", "parameters": {"num_return_sequences": 1000}}, 400, "num_return_sequences"),
    ("HF tokens negative", "/models/tiny",
     {"inputs": "a", "parameters": {"max_new_tokens": -5}}, 400, "max_new_tokens"),
    ("HF NaN-ish temperature", "/models/tiny",
     {"inputs": "a", "parameters": {"temperature": 1e400}}, 400, "temperature"),
    ("HF unknown model", "/models/nope", {"inputs": "a"}, 404, "no model named 'nope'"),
    ("HF model name traversal", "/models/..%2F..%2Fetc", {"inputs": "a"}, 404, ""),
]  # fmt: skip

#: (what, method, path, status)
ROUTES: list[tuple[str, str, str, int]] = [
    ("GET on a POST route", "GET", "/models/tiny", 405),
    ("DELETE completions", "DELETE", "/v1/completions", 405),
    ("unknown path", "GET", "/admin", 404),
    ("unknown model card", "GET", "/v1/models/nope", 404),
    ("picture of no model", "GET", "/pictures/nope", 404),
    ("picture of a model without one", "GET", "/pictures/tiny", 404),
    ("static traversal", "GET", "/static/../app.py", 404),
    ("static encoded traversal", "GET", "/static/..%2F..%2Fserve%2Fapp.py", 404),
]


def _check_error(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text and 'File "' not in response.text
    error = response.json()["error"]
    message = error["message"] if isinstance(error, dict) else error
    assert words in message, message


@pytest.mark.parametrize(("what", "path", "body", "status", "words"), BODIES)
def test_malformed_bodies(
    server: LiveServer, what: str, path: str, body: bytes, status: int, words: str
) -> None:
    headers = {"content-type": "application/json"}
    response = httpx.post(server.url + path, content=body, headers=headers, timeout=30)
    _check_error(response, status, words)


@pytest.mark.parametrize(("what", "path", "body", "status", "words"), JSON_BODIES)
def test_wrong_fields(
    server: LiveServer, what: str, path: str, body: Any, status: int, words: str
) -> None:
    raw = json.dumps(body).encode()  # 1e999 becomes Infinity: send it as a number literal
    raw = raw.replace(b"Infinity", b"1e999")
    response = httpx.post(server.url + path, content=raw, timeout=30)
    _check_error(response, status, words)


@pytest.mark.parametrize(("what", "method", "path", "status"), ROUTES)
def test_wrong_routes(server: LiveServer, what: str, method: str, path: str, status: int) -> None:
    response = httpx.request(method, server.url + path, timeout=30)
    assert response.status_code == status
    assert "error" in response.json()


def test_a_body_over_the_limit_is_refused_before_it_is_read(server: LiveServer) -> None:
    big = json.dumps(OK | {"user": "x" * 70_000}).encode()
    _check_error(httpx.post(server.url + "/v1/completions", content=big, timeout=30), 413, "bytes")
    # a lying Content-Length: refused at once, without waiting for a gigabyte
    reply = _raw(server, _head("/v1/completions", 10**9) + b"{}", wait=2)
    assert reply.startswith(b"HTTP/1.1 413")


def _head(path: str, length: int, extra: bytes = b"") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n".encode()
        + extra
        + b"\r\n"
    )


def _raw(server: LiveServer, data: bytes, *, wait: float, close: bool = False) -> bytes:
    """Send ``data`` on a raw socket and read what comes back within ``wait`` seconds."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as sock:
        sock.sendall(data)
        if close:
            return b""
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


def test_a_slow_body_is_answered_408(server: LiveServer) -> None:
    # Ten bytes of a hundred, then nothing: answered 408 once the body timeout (1 s) passes.
    start = time.monotonic()
    reply = _raw(server, _head("/v1/completions", 100) + b'{"model": ', wait=5)
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert b"took longer than" in reply and time.monotonic() - start < 4


def test_huge_headers_are_refused(server: LiveServer) -> None:
    reply = _raw(server, _head("/health", 0, b"X-Junk: " + b"a" * 40_000 + b"\r\n"), wait=5)
    assert reply.startswith(b"HTTP/1.1 4"), reply[:200]


def test_clients_that_vanish_or_stall_do_not_hold_the_server(server: LiveServer) -> None:
    stalled = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
    for i, sock in enumerate(stalled):  # half-sent headers and half-sent bodies
        sock.sendall(b"POST /v1/comp" if i % 2 else _head("/v1/completions", 500) + b"{")
    for _ in range(10):  # bodies cut off by a closed connection
        _raw(server, _head("/v1/completions", 200) + b'{"model": "tiny"', wait=1, close=True)
    response = httpx.post(server.url + "/v1/completions", json=OK, timeout=30)
    assert response.status_code == 200, response.text
    for sock in stalled:
        sock.close()


def test_the_server_is_healthy_after_all_of_it(server: LiveServer) -> None:
    assert len(BODIES) + len(JSON_BODIES) + len(ROUTES) >= 50
    health = httpx.get(server.url + "/health", timeout=30)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    response = httpx.post(server.url + "/models/tiny", json={"inputs": "the cat"}, timeout=60)
    assert response.status_code == 200 and response.json()
