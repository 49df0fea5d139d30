"""The publisher interface: what a network plugin implements for ``tweetgen post``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from tweetgen.errors import PublishError
from tweetgen.plugins.options import Option, apply_declared


@dataclass(frozen=True)
class Receipt:
    """What the network answered for one post: its id there and a link to it."""

    id: str
    url: str | None = None


class Publisher:
    """Posts text to one account. Subclass it, or provide the same attributes.

    ``connect`` runs once before posting: it checks the credentials (a one-line
    :class:`~tweetgen.errors.PublishError` when they are refused) and whether the account is
    labelled as automated, returning warnings. ``publish`` posts one text. The ``key`` it is
    given is the same when a post is retried after a crash: a network with idempotent posting
    (Mastodon's ``Idempotency-Key``, a fixed Bluesky record key) then never posts twice, and
    ``idempotent = True`` tells the runner so. Without it, a post whose outcome a crash left
    unknown is never sent again.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: The network's length limit, in what :meth:`length` counts.
    max_chars: int = 280
    #: Whether ``publish`` with the same ``key`` twice posts once.
    idempotent: ClassVar[bool] = False
    options: ClassVar[Sequence[Option]] = ()

    def __init__(self, **options: Any) -> None:
        owner = f"publisher {self.name!r}"
        given = apply_declared(owner, list(self.options), options, error=PublishError)
        self.settings: dict[str, Any] = {o.name: o.default for o in self.options} | given

    def length(self, text: str) -> int:
        """The length the network counts (code points here; graphemes on Bluesky)."""
        return len(text)

    def connect(self) -> list[str]:
        """Check credentials and the automated label; return warnings for the user."""
        return []

    def new_key(self) -> str:
        """A fresh key for one post, stored in the ledger before the post is sent."""
        return uuid.uuid4().hex

    def publish(self, text: str, key: str) -> Receipt:
        raise NotImplementedError

    def target(self) -> str:
        """Which account this posts to, for the ledger's name and messages (no secrets)."""
        return self.name

    def __repr__(self) -> str:  # never show settings: a token may be among them
        return f"<{type(self).__name__} {self.name}>"
