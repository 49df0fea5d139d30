"""One rule for what counts as a credential, so no config or metadata leaks one anywhere.

Used wherever settings leave the machine or land in a file people share: the W&B run config
and model artifact, ``tweetgen.json`` and the model card.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: A key is a credential when one of its ``_``/``-``-separated parts names one ("hf_token",
#: "api-key", "WANDB_API_KEY", "bearer_token"), but not "tokens_per_second" or "author":
#: matching substrings would drop ordinary metrics.
SECRET_KEY = re.compile(
    r"(^|[_-])(token|secret|password|passwd|api[_-]?key|key|auth|credentials?)($|[_-])",
    re.IGNORECASE,
)


def is_secret_key(key: object) -> bool:
    return SECRET_KEY.search(str(key)) is not None


def redact(value: Any) -> Any:
    """``value`` without any mapping entry whose key names a credential, at any depth."""
    if isinstance(value, Mapping):
        return {k: redact(v) for k, v in value.items() if not is_secret_key(k)}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


__all__ = ["SECRET_KEY", "is_secret_key", "redact"]
