"""HTTP for publishers: rate limits, ``Retry-After``, retries, and one-line errors.

Every network answers "slow down" its own way: ``429`` with ``Retry-After`` (seconds or a
date), Mastodon's ``X-RateLimit-Remaining``/``X-RateLimit-Reset`` (an ISO date), Bluesky's
``RateLimit-Remaining``/``RateLimit-Reset`` (epoch seconds). :class:`Api` waits for all of
them, retries server errors (``5xx``) a few times with backoff, and turns every failure into
one :class:`~tweetgen.errors.PublishError` line with the token scrubbed from it. Retrying a
post is safe only with an idempotency key, which the publishers send.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from tweetgen.base.secrets import redact_text
from tweetgen.errors import PublishError

#: Wait at most this long for a rate limit to reset; longer is an error saying when to retry.
MAX_WAIT_S = 15 * 60
RETRIES = 3
TIMEOUT_S = 30.0
USER_AGENT = "tweetgen-bot"


class Api:
    """An ``httpx.Client`` with the waiting and the error lines above; ``what`` names the
    network in messages, ``secrets`` are scrubbed from any text a server echoes back."""

    def __init__(
        self,
        base_url: str,
        *,
        what: str,
        secrets: tuple[str, ...] = (),
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.what = what
        self.secrets = tuple(s for s in secrets if s)
        # time.sleep looked up at each wait, so a test can replace it
        self.sleep = sleep or (lambda seconds: time.sleep(seconds))
        self.clock = clock
        self.ready_at = 0.0  # the time the rate limit allows the next request
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        self.client = httpx.Client(base_url=base_url, timeout=TIMEOUT_S, headers=headers)

    def close(self) -> None:
        self.client.close()

    def call(self, method: str, url: str, **kwargs: Any) -> Any:
        """The JSON body of a successful answer (``{}`` for an empty one)."""
        for attempt in range(RETRIES + 1):
            self._wait(self.ready_at - self.clock())
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                if attempt == RETRIES:
                    raise PublishError(self._line(f"{type(exc).__name__}: {exc} ({url})")) from None
                self._wait(2.0**attempt)
                continue
            self._note_limits(response.headers)
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == RETRIES:
                    break
                wait = retry_after(response.headers, self.clock())
                self._wait(2.0**attempt if wait is None else wait)
                continue
            return self._body(response, url)
        raise PublishError(self._line(f"{_status(response)} after {RETRIES + 1} tries ({url})"))

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if seconds > MAX_WAIT_S:
            raise PublishError(
                self._line(f"rate limited: try again in {seconds / 60:,.0f} minutes")
            )
        self.sleep(seconds)

    def _note_limits(self, headers: Mapping[str, str]) -> None:
        remaining = headers.get("x-ratelimit-remaining") or headers.get("ratelimit-remaining")
        if remaining is not None and remaining.strip() == "0":
            reset = reset_time(headers)
            if reset is not None:
                self.ready_at = max(self.ready_at, reset)

    def _body(self, response: httpx.Response, url: str) -> Any:
        if response.status_code in (401, 403):
            refused = f"{_status(response)}, the token was refused: {_detail(response)}"
            raise PublishError(self._line(f"{refused} ({url})"))
        if response.is_error:
            raise PublishError(self._line(f"{_status(response)}: {_detail(response)} ({url})"))
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise PublishError(self._line(f"the server did not answer with JSON ({url})")) from None

    def _line(self, text: str) -> str:
        one = " ".join(redact_text(text, self.secrets).split())
        return f"{self.what}: {one[:300]}"


def _status(response: httpx.Response) -> str:
    return f"HTTP {response.status_code}"


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no detail"
    if isinstance(body, dict):
        for key in ("error_description", "message", "error"):  # XRPC: message is the text
            if isinstance(body.get(key), str):
                return str(body[key])
    return response.reason_phrase or "no detail"


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), else the reset time."""
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError, IndexError):
            pass
    reset = reset_time(headers)
    return None if reset is None else max(0.0, reset - now)


def reset_time(headers: Mapping[str, str]) -> float | None:
    """When the rate limit resets: an ISO date (Mastodon) or epoch seconds (Bluesky)."""
    value = (headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset") or "").strip()
    if not value:
        return None
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()
