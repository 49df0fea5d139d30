"""The two X API v2 calls this source makes, through tweepy, with rate limits and errors handled.

tweepy's own ``wait_on_rate_limit`` retries forever and logs request headers (the bearer token
included) at DEBUG level; this module waits a bounded number of times, can fail fast instead,
and blanks the token out of tweepy's log records.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import requests
import tweepy

from tweetgen import NetworkError, SourceError
from tweetgen.base.secrets import REDACTED

log = logging.getLogger(__name__)

TWEET_FIELDS = [
    "created_at",
    "lang",
    "referenced_tweets",
    "in_reply_to_user_id",
    "entities",
    "note_tweet",
    "conversation_id",
]
#: How often one request may hit the rate limit before the fetch gives up.
RATE_LIMIT_RETRIES = 3
#: Wait when a 429 carries no ``x-rate-limit-reset``, and the longest wait we believe
#: (X's windows are 15 minutes; a later reset means a skewed clock).
FALLBACK_WAIT_S = 60
MAX_WAIT_S = 15 * 60 + 5


@dataclass(frozen=True)
class Page:
    """One page of a user's timeline: raw v2 tweet dicts and the token of the next page."""

    tweets: list[dict[str, Any]]
    next_token: str | None


class _Redact(logging.Filter):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._secret in message:
            record.msg, record.args = message.replace(self._secret, REDACTED), None
        return True


@contextmanager
def redacted(secret: str) -> Iterator[None]:
    """Blank ``secret`` out of tweepy's log records while the block runs."""
    logger = logging.getLogger("tweepy.client")
    redact = _Redact(secret)
    logger.addFilter(redact)
    try:
        yield
    finally:
        logger.removeFilter(redact)


def _wait_seconds(reset_time: int | None) -> int:
    if reset_time is None:
        return FALLBACK_WAIT_S
    return max(1, min(MAX_WAIT_S, reset_time - int(time.time()) + 1))


def _rate_limit_error(reset_time: int | None) -> NetworkError:
    when = ""
    if reset_time is not None:
        reset = datetime.fromtimestamp(reset_time, timezone.utc)
        when = f"; it resets at {reset:%H:%M} UTC"
    return NetworkError(
        f"X API rate limit reached{when} (run again then, with -o state_file=PATH to resume)"
    )


def network_error(exc: Exception) -> NetworkError:
    """A one-line NetworkError for a tweepy or requests failure; never quotes request headers."""
    if isinstance(exc, tweepy.Unauthorized):
        return NetworkError("X API: bearer token rejected (401 Unauthorized)")
    if isinstance(exc, tweepy.Forbidden):
        detail = "; ".join(exc.api_messages) or "403 Forbidden"
        return NetworkError(
            f"X API: bearer token rejected for this request ({detail}); "
            "its access level may not include user timelines"
        )
    if isinstance(exc, tweepy.HTTPException):
        return NetworkError(f"X API request failed: {exc}".replace("\n", "; "))
    return NetworkError(f"could not reach the X API ({type(exc).__name__})")


class Api:
    """Look up a user and page through their posts."""

    def __init__(self, bearer_token: str, *, wait_on_rate_limit: bool = True) -> None:
        self._client = tweepy.Client(bearer_token=bearer_token)
        self._wait = wait_on_rate_limit

    def __repr__(self) -> str:  # the client holds the token: never show it
        return f"<Api wait_on_rate_limit={self._wait}>"

    def _retrying(self, method: Callable[..., Any]) -> Callable[..., Any]:
        """``method`` with 429s waited out (or failed fast) and errors made NetworkErrors."""

        @functools.wraps(method)  # tweepy.Paginator picks its token parameter by __name__
        def call(*args: Any, **kwargs: Any) -> Any:
            attempt = 0
            while True:
                try:
                    return method(*args, **kwargs)
                except tweepy.TooManyRequests as exc:
                    attempt += 1
                    if not self._wait or attempt > RATE_LIMIT_RETRIES:
                        raise _rate_limit_error(exc.reset_time) from None
                    seconds = _wait_seconds(exc.reset_time)
                    log.warning("X API rate limit reached; waiting %d s for the reset", seconds)
                    time.sleep(seconds)
                except (tweepy.TweepyException, requests.RequestException) as exc:
                    raise network_error(exc) from None

        return call

    def user(self, username: str) -> dict[str, Any]:
        """``id``, ``username`` (as the account spells it) and ``public_metrics``."""
        get_user = self._retrying(self._client.get_user)
        response = get_user(username=username, user_fields=["public_metrics"])
        if response.data is None:
            detail = "; ".join(e.get("detail", "") for e in response.errors) or "not found"
            raise SourceError(f"X API: no account @{username} ({detail})")
        return dict(response.data.data)

    def pages(
        self, user_id: str, *, exclude: tuple[str, ...] = (), start_token: str | None = None
    ) -> Iterator[Page]:
        """The timeline, newest first, from ``start_token`` (the first page when None)."""
        paginator = tweepy.Paginator(
            self._retrying(self._client.get_users_tweets),
            user_id,
            max_results=100,
            tweet_fields=TWEET_FIELDS,
            exclude=list(exclude) or None,
            pagination_token=start_token,
        )
        for response in paginator:
            tweets = [dict(t.data) for t in response.data or ()]
            yield Page(tweets, response.meta.get("next_token"))
