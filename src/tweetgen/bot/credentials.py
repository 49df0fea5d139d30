"""Tokens for publishers: from the environment, else the system keyring; never shown.

A token is read when a run starts and handed to the publisher's HTTP client; it is never
printed, logged, written to the ledger, nor put in an error message (the HTTP layer scrubs
it from anything a server echoes back).
"""

from __future__ import annotations

import os

from tweetgen.errors import PublishError

#: The keyring service tweetgen's tokens are stored under (``keyring set tweetgen NAME``).
KEYRING_SERVICE = "tweetgen"


def find_secret(env: str, keyring_user: str) -> str | None:
    """``$env`` when set, else the keyring's ``tweetgen``/``keyring_user`` entry, else None."""
    value = os.environ.get(env)
    if value:
        return value
    try:
        import keyring  # optional: `pip install keyring`
    except ImportError:
        return None
    try:
        found = keyring.get_password(KEYRING_SERVICE, keyring_user)
    except Exception:  # no usable keyring backend (a headless server): as if unset
        return None
    return found or None


def require_secret(what: str, env: str, keyring_user: str) -> str:
    """The secret, checked for shape; a one-line error saying where to put it otherwise."""
    value = find_secret(env, keyring_user)
    if value is None:
        raise PublishError(
            f"{what}: no token: set {env}, or store it with "
            f"`keyring set {KEYRING_SERVICE} {keyring_user}`"
        )
    if not value.strip() or any(ch.isspace() or not ch.isprintable() for ch in value.strip()):
        raise PublishError(f"{what}: the token in {env} is malformed (spaces or line breaks)")
    return value.strip()
