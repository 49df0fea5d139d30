"""What a server accepts and how it batches: the limits every request is checked against.

The caps keep one request from costing minutes (a post is at most 280 characters, so more than
a few hundred new tokens only burns time) and keep the waiting queue short enough that a client
asked to come back later (503) is told so at once instead of timing out.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field

from tweetgen.errors import ServeError
from tweetgen.generation.samples import RequestLimits

#: The environment variable ``tweetgen serve`` reads the API key from (``--api-key`` wins).
API_KEY_ENV = "TWEETGEN_API_KEY"


@dataclass(frozen=True)
class Limits(RequestLimits):
    """Caps on one request, and the batching of many."""

    max_prompt_chars: int = 1_000
    max_posts: int = 16
    max_new_tokens: int = 256
    max_temperature: float = 5.0
    max_body_bytes: int = 64 * 1024
    #: Seconds a client may take to send its body before it is answered 408.
    body_timeout: float = 10.0
    #: Seconds the first of a burst of requests waits for the others, so that they start a batch
    #: (or join the running one) together.
    batch_window: float = 0.01
    #: Rows (posts being written at once) of one batched generate call.
    max_batch_rows: int = 256
    #: Requests waiting for a batch, per model; past it a request is answered 503.
    max_waiting: int = 128
    #: Seconds a 503 asks the client to wait before trying again.
    retry_after: int = 1


@dataclass(frozen=True)
class ServeSettings:
    """How ``tweetgen serve`` runs: address, key (never shown by ``repr``) and limits."""

    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = field(default=None, repr=False)
    limits: Limits = field(default_factory=Limits)
    device: str = "auto"
    #: Torch's CPU threads for sampling (None: torch's default, one per core). On a shared or
    #: small machine, 1 avoids threads waiting on each other for every tiny operation.
    threads: int | None = None


def api_key_from(option: str | None) -> str | None:
    """The key from the command line, else from :data:`API_KEY_ENV`; empty means none."""
    key = option if option is not None else os.environ.get(API_KEY_ENV)
    return key or None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(host: str, api_key: str | None) -> None:
    """Refuse to serve beyond this machine without a key: anyone on the network could
    otherwise spend its CPU or GPU."""
    if not is_loopback(host) and not api_key:
        raise ServeError(
            f"binding to {host} serves other machines: give an API key with --api-key "
            f"or the {API_KEY_ENV} environment variable"
        )


__all__ = ["API_KEY_ENV", "Limits", "ServeSettings", "api_key_from", "check_binding", "is_loopback"]
