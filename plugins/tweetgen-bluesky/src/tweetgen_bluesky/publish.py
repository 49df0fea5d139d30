"""Post to a Bluesky account: ``tweetgen post MODEL --to bluesky -o handle=me.bsky.social``.

Logs in with an app password (``BLUESKY_APP_PASSWORD`` or the keyring entry ``tweetgen``/
``bluesky:HANDLE``; never the account's main password) through
``com.atproto.server.createSession``, then creates ``app.bsky.feed.post`` records that carry
the self-label ``bot``, so clients can show (or hide) them as automated. Each record gets its
record key from the ledger (a TID made before the post is sent): after a crash the runner
asks for that record first and posts only when it is not there, so nothing is posted twice.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any

from tweetgen import Option, PublishError
from tweetgen.bot import Publisher, Receipt

TOKEN_ENV = "BLUESKY_APP_PASSWORD"
SERVICE = "https://bsky.social"
COLLECTION = "app.bsky.feed.post"
#: Bluesky counts graphemes (300); code points are never fewer, so counting them is safe.
MAX_GRAPHEMES = 300
BOT_LABEL = {"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": "bot"}]}
_TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"
_APP_PASSWORD = re.compile(r"^[a-z0-9]{4}(-[a-z0-9]{4}){3}$")


def make_tid(micros: int, clock_id: int) -> str:
    """A record key in the TID form: 53 bits of microseconds, 10 of clock id, base32-sortable."""
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock_id & 0x3FF)
    return "".join(_TID_CHARS[(value >> (5 * i)) & 31] for i in reversed(range(13)))


class BlueskyPublisher(Publisher):
    """Posts, self-labelled ``bot``, to the account the app password belongs to."""

    name = "bluesky"
    description = f"Post to a Bluesky account (app password: ${TOKEN_ENV} or the keyring)."
    max_chars = MAX_GRAPHEMES
    idempotent = True
    options = (
        Option("handle", str, None, "the account, e.g. me.bsky.social"),
        Option("service", str, SERVICE, "the account's PDS (or the entryway)"),
        Option("lang", str, None, "language tag of the posts, e.g. en"),
    )

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        handle = str(self.settings.get("handle") or "").strip().lstrip("@")
        if not handle:
            raise PublishError("bluesky: -o handle=you.bsky.social is required")
        self.handle, self.did = handle, ""
        self.api: Any = None

    def target(self) -> str:
        return f"bluesky:{self.handle}"

    def connect(self) -> list[str]:
        from tweetgen.bot.credentials import require_secret
        from tweetgen.bot.http import Api

        password = require_secret("bluesky", TOKEN_ENV, f"bluesky:{self.handle}")
        service = str(self.settings["service"]).rstrip("/")
        self.api = Api(service, what="bluesky", secrets=(password,))
        login = {"identifier": self.handle, "password": password}
        session = self.api.call("POST", "/xrpc/com.atproto.server.createSession", json=login)
        if not isinstance(session, dict) or not session.get("accessJwt") or not session.get("did"):
            raise PublishError("bluesky: createSession did not return a session")
        self.did = str(session["did"])
        self.api.secrets += (str(session["accessJwt"]),)
        self.api.client.headers["Authorization"] = f"Bearer {session['accessJwt']}"
        if _APP_PASSWORD.match(password):
            return []
        return [f"{TOKEN_ENV} does not look like an app password: make one for the bot"]

    def new_key(self) -> str:
        return make_tid(time.time_ns() // 1000, time.perf_counter_ns())

    def publish(self, text: str, key: str) -> Receipt:
        found = self._existing(key)
        if found is None:
            record: dict[str, Any] = {
                "$type": COLLECTION,
                "text": text,
                "createdAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "labels": BOT_LABEL,
            }
            if self.settings.get("lang"):
                record["langs"] = [str(self.settings["lang"])]
            body = {"repo": self.did, "collection": COLLECTION, "rkey": key, "record": record}
            found = self.api.call("POST", "/xrpc/com.atproto.repo.createRecord", json=body)
        uri = str(found.get("uri", "")) if isinstance(found, dict) else ""
        if not uri:
            raise PublishError("bluesky: the server did not return the new record")
        return Receipt(uri, f"https://bsky.app/profile/{self.handle}/post/{key}")

    def _existing(self, key: str) -> dict[str, Any] | None:
        """The record with this key, when an earlier run made it before a crash."""
        params = {"repo": self.did, "collection": COLLECTION, "rkey": key}
        try:
            found = self.api.call("GET", "/xrpc/com.atproto.repo.getRecord", params=params)
        except PublishError as exc:
            if "HTTP 400" in str(exc) or "HTTP 404" in str(exc):  # RecordNotFound
                return None
            raise
        return found if isinstance(found, dict) else None
