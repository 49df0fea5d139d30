"""One rule for what counts as a credential, so no config or metadata leaks one anywhere.

Used wherever settings leave the machine or land in a file people share: the W&B run config,
checkpoints, ``tweetgen.json`` and the model card.

Three nets, because a token can arrive under any name:

* keys: a mapping entry is dropped when one word of its key names a credential, in any case
  style (``hf_token``, ``hfToken``, ``HF-TOKEN``, ``apiKey``, ``Authorization``);
* shapes: strings that look like a token (``hf_...``, an X bearer token, ``Bearer ...``,
  ``sk-...``, ``ghp_...``, a 40-digit hex W&B key) are replaced by :data:`REDACTED`;
* values: the values of secret-named environment variables (``HF_TOKEN``, ``WANDB_API_KEY``,
  ``X_BEARER_TOKEN``...) are replaced wherever they appear.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"

#: Words that make a key a credential. "key" alone counts ("api-key", "WANDB_API_KEY");
#: "tokens" (plural: ``tokens_per_second``, ``max_new_tokens``) does not.
SECRET_WORDS = frozenset(
    {
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "apikey",
        "key",
        "auth",
        "authorization",
        "bearer",
        "credential",
        "credentials",
        "cookie",
        "session",
    }
)
#: Splits ``hfToken``, ``HFToken``, ``hf_token``, ``hf-token``, ``hf.token`` into words.
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
#: Strings shaped like a credential, wherever they appear in a text.
TOKEN_SHAPES = re.compile(
    r"""
    \bhf_[A-Za-z0-9]{16,}                       # Hugging Face
    | \bAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%_.=+/-]{16,} # X (Twitter) app bearer token
    | \b(?:sk|ghp|gho|ghu|ghs|ghr|github_pat|xox[abpr])[-_][A-Za-z0-9_-]{16,}
    | \b(?:wandb_v1_|local-)[A-Za-z0-9_-]{16,}    # newer W&B keys
    | (?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])      # classic W&B API key (40 hex digits)
    | (?<=Bearer\ )[^\s'"]{8,}                   # an Authorization header's value
    """,
    re.VERBOSE,
)
#: ``key=value`` / ``key: value`` pairs inside free text (a command line, a log line).
_PAIR = re.compile(r"""([A-Za-z0-9_.-]+)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&'"]+)""")
#: Secrets shorter than this are not searched for in text (they would match by chance).
MIN_SECRET_LENGTH = 8


def is_secret_key(key: object) -> bool:
    words = [w.lower() for w in _WORDS.findall(str(key))]
    return any(w in SECRET_WORDS for w in words) or "apikey" in "".join(words)


def environment_secrets() -> list[str]:
    """Values of secret-named environment variables, longest first (for text scrubbing)."""
    found = {
        v for k, v in os.environ.items() if is_secret_key(k) and len(v.strip()) >= MIN_SECRET_LENGTH
    }
    return sorted(found, key=len, reverse=True)


def redact_text(text: str, extra_secrets: Iterable[str] = ()) -> str:
    """``text`` with token-shaped strings, secret ``key=value`` pairs and known secrets
    (environment values, ``extra_secrets``) replaced by :data:`REDACTED`."""
    for secret in [*environment_secrets(), *extra_secrets]:
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, REDACTED)
    text = _PAIR.sub(_redact_pair, text)
    return TOKEN_SHAPES.sub(REDACTED, text)


def _redact_pair(match: re.Match[str]) -> str:
    key, sep, _value = match.groups()
    if is_secret_key(key.rsplit(".", 1)[-1]):
        return f"{key}{sep}{REDACTED}"
    return match.group(0)


def redact(value: Any) -> Any:
    """``value`` without any mapping entry whose key names a credential, at any depth, and
    with token-shaped strings (and secret ``key=value`` pairs in strings) redacted."""
    if isinstance(value, Mapping):
        return {k: redact(v) for k, v in value.items() if not is_secret_key(k)}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
