"""Post to an X account through the X API v2 with tweepy: ``tweetgen post MODEL --to x``.

Posting needs a paid API tier and OAuth 1.0a user keys of the bot account, read from
``X_API_KEY``, ``X_API_SECRET``, ``X_ACCESS_TOKEN`` and ``X_ACCESS_TOKEN_SECRET`` (or the
keyring entries ``tweetgen``/``x:NAME`` with NAME in lower case). X offers no idempotent
posting, so a post a crash caught in flight is never sent again (the ledger marks it unsure).
X does not report its "Automated" account label through the API: ``connect`` reminds you.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from tweetgen import PublishError
from tweetgen.base.secrets import redact_text
from tweetgen.bot import Publisher, Receipt

KEYS = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
#: Wait at most this long for X's 15-minute rate-limit window to reset.
MAX_WAIT_S = 15 * 60 + 5
#: X counts a link as 23 characters, whatever its length.
URL_WEIGHT = 23
_URL = re.compile(r"https?://\S+")
#: Code points X counts once; every other one counts twice (CJK, emoji...).
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))


def weighted_length(text: str) -> int:
    """The length X counts against its 280 limit (never less than X's own count)."""
    urls = _URL.findall(text)
    rest = _URL.sub("", text)
    light = sum(any(lo <= ord(ch) <= hi for lo, hi in _LIGHT) for ch in rest)
    return light + 2 * (len(rest) - light) + URL_WEIGHT * len(urls)


class XPublisher(Publisher):
    """Posts to the X account the user keys belong to."""

    name = "x"
    description = "Post to an X account via the X API v2 (paid tier; user keys in $X_API_KEY...)."
    max_chars = 280
    idempotent = False

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.username: str | None = None
        self.secrets: tuple[str, ...] = ()
        self.client: Any = None

    def target(self) -> str:
        return f"x:@{self.username}" if self.username else "x"

    def length(self, text: str) -> int:
        return weighted_length(text)

    def connect(self) -> list[str]:
        import tweepy

        from tweetgen.bot.credentials import require_secret

        self.secrets = tuple(require_secret("x", key, f"x:{key.lower()}") for key in KEYS)
        api_key, api_secret, token, token_secret = self.secrets
        self.client = tweepy.Client(
            consumer_key=api_key,
            consumer_secret=api_secret,
            access_token=token,
            access_token_secret=token_secret,
        )
        me = self._call(self.client.get_me, user_auth=True)
        self.username = str(me.data["username"])
        return [
            f"X cannot tell whether @{self.username} carries the 'Automated' label: set it in "
            "Settings > Your account > Account information > Automation"
        ]

    def publish(self, text: str, key: str) -> Receipt:
        response = self._call(self.client.create_tweet, text=text, user_auth=True)
        tweet_id = str(response.data["id"])
        return Receipt(tweet_id, f"https://x.com/{self.username}/status/{tweet_id}")

    def _call(self, method: Callable[..., Any], **kwargs: Any) -> Any:
        """One API call; 429 waited out (it made nothing, so a retry is safe), the rest one
        line. A 5xx is not retried: the post may have gone out."""
        import requests
        import tweepy

        for _ in range(3):
            try:
                return method(**kwargs)
            except tweepy.TooManyRequests as exc:
                reset = exc.response.headers.get("x-rate-limit-reset", "")
                wait = float(reset) - time.time() if reset.isdigit() else 60.0
                if wait > MAX_WAIT_S:
                    minutes = f"{wait / 60:,.0f}"
                    raise PublishError(f"x: rate limited: try again in {minutes} minutes") from None
                time.sleep(max(wait, 0.0))
            except tweepy.HTTPException as exc:
                raise PublishError(self._line(exc)) from None
            except (tweepy.TweepyException, requests.RequestException) as exc:
                raise PublishError(self._scrub(f"x: {type(exc).__name__}: {exc}")) from None
        raise PublishError("x: still rate limited after 3 waits")

    def _line(self, exc: Any) -> str:
        code = exc.response.status_code
        detail = "; ".join(str(m) for m in exc.api_messages) or exc.response.reason or ""
        if code == 401:
            return self._scrub(f"x: HTTP 401, the keys were refused: {detail}")
        if code >= 500:
            detail += "; the post may or may not have gone out"
        return self._scrub(f"x: HTTP {code}: {detail}")

    def _scrub(self, text: str) -> str:
        return " ".join(redact_text(text, self.secrets).split())[:300]
