"""Post statuses to a Mastodon account: ``tweetgen post MODEL --to mastodon -o instance=URL``.

The token (an application's access token with the ``write:statuses`` and ``read:accounts``
scopes) comes from ``MASTODON_ACCESS_TOKEN`` or the keyring entry ``tweetgen``/
``mastodon:HOST``. ``connect`` checks it (``verify_credentials``), reads the server's length
limit, and warns when the account's bot flag ("This is an automated account") is off. Each
status carries the ledger's key as ``Idempotency-Key``, so Mastodon answers a retry after a
crash with the status it already made instead of posting it twice.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tweetgen import Option, PublishError
from tweetgen.bot import Publisher, Receipt

TOKEN_ENV = "MASTODON_ACCESS_TOKEN"
#: Mastodon's default limit; servers may allow more (read from /api/v2/instance).
DEFAULT_MAX_CHARS = 500
VISIBILITIES = ("public", "unlisted", "private")


class MastodonPublisher(Publisher):
    """Statuses to the account the token belongs to."""

    name = "mastodon"
    description = f"Post to a Mastodon account (token: ${TOKEN_ENV} or the keyring)."
    max_chars = DEFAULT_MAX_CHARS
    idempotent = True
    options = (
        Option("instance", str, None, "the account's server, e.g. https://botsin.space"),
        Option("visibility", str, "unlisted", "public, unlisted or private"),
    )

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        instance = str(self.settings.get("instance") or "").strip().rstrip("/")
        if not instance:
            raise PublishError("mastodon: -o instance=https://your.server is required")
        if "://" not in instance:
            instance = f"https://{instance}"
        parts = urlsplit(instance)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PublishError(f"mastodon: instance {instance!r} is not a server URL")
        if self.settings["visibility"] not in VISIBILITIES:
            raise PublishError(f"mastodon: visibility must be one of {', '.join(VISIBILITIES)}")
        self.instance, self.host = instance, parts.hostname
        self.account: str | None = None
        self.api: Any = None

    def target(self) -> str:
        return f"mastodon:@{self.account}@{self.host}" if self.account else f"mastodon:{self.host}"

    def connect(self) -> list[str]:
        from tweetgen.bot.credentials import require_secret
        from tweetgen.bot.http import Api

        token = require_secret("mastodon", TOKEN_ENV, f"mastodon:{self.host}")
        self.api = Api(self.instance, what="mastodon", secrets=(token,))
        self.api.client.headers["Authorization"] = f"Bearer {token}"
        account = self.api.call("GET", "/api/v1/accounts/verify_credentials")
        if not isinstance(account, dict) or not account.get("username"):
            raise PublishError("mastodon: verify_credentials did not return an account")
        self.account = str(account["username"])
        self.max_chars = self._limit()
        if account.get("bot") is True:
            return []
        return [
            f"@{self.account}@{self.host} is not marked as automated: tick 'This is an "
            "automated account' in Preferences > Profile before it posts a model's words"
        ]

    def _limit(self) -> int:
        try:
            info = self.api.call("GET", "/api/v2/instance")
        except PublishError:  # an older server: the default limit
            return DEFAULT_MAX_CHARS
        try:
            value = info["configuration"]["statuses"]["max_characters"]
        except (KeyError, TypeError):
            return DEFAULT_MAX_CHARS
        return value if isinstance(value, int) and value > 0 else DEFAULT_MAX_CHARS

    def publish(self, text: str, key: str) -> Receipt:
        status = self.api.call(
            "POST",
            "/api/v1/statuses",
            json={"status": text, "visibility": self.settings["visibility"]},
            headers={"Idempotency-Key": key},
        )
        if not isinstance(status, dict) or "id" not in status:
            raise PublishError("mastodon: the server did not return the new status")
        return Receipt(str(status["id"]), status.get("url"))
