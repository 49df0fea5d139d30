"""The ``x-api`` source: options, the bearer token, and the (resumable) fetch."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tweetgen import Option, Post, SourceError
from tweetgen.plugins import check_source_options
from tweetgen_xapi.mapping import SOURCE_NAME, tweet_to_post
from tweetgen_xapi.state import FetchState

TOKEN_ENV_VARS = ("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN")
EXCLUDABLE = ("retweets", "replies")
#: X serves only an account's newest posts; fewer when replies are excluded (X's docs).
CEILING = 3200
CEILING_WITHOUT_REPLIES = 800
_HANDLE = re.compile(r"@?([A-Za-z0-9_]{1,15})")


class XApiCeilingWarning(UserWarning):
    """The account has more posts than the X API will return; the oldest are missing."""


@dataclass(frozen=True)
class Options:
    """Everything but the token, which is never kept in an object that might be printed."""

    exclude: tuple[str, ...] = ()
    wait_on_rate_limit: bool = True
    state_file: Path | None = None

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> Options:
        """Checked and converted by :attr:`XApiSource.options`, as ``tweetgen prepare`` does."""
        given = check_source_options(XApiSource, dict(options))
        raw = given.get("exclude") or ()
        parts = raw.split(",") if isinstance(raw, str) else list(raw)
        exclude = tuple(sorted({p.strip() for p in parts if p.strip()}))
        if set(exclude) - set(EXCLUDABLE):
            raise SourceError(f"x-api: exclude takes {' and/or '.join(EXCLUDABLE)}, not {raw!r}")
        state_file = given.get("state_file")
        wait = given.get("wait_on_rate_limit", True)
        return cls(exclude, wait, Path(state_file) if state_file else None)


def bearer_token(options: Mapping[str, Any]) -> str:
    """From ``bearer_token=``, else ``$X_BEARER_TOKEN``, else ``$TWITTER_BEARER_TOKEN``."""
    for token in (options.get("bearer_token"), *map(os.environ.get, TOKEN_ENV_VARS)):
        if token and str(token).strip():
            return str(token).strip()
    raise SourceError(
        f"x-api needs a bearer token: set ${TOKEN_ENV_VARS[0]} (or pass -o bearer_token=...)"
    )


def _warn_if_truncated(user: Mapping[str, Any], exclude: tuple[str, ...]) -> None:
    total = (user.get("public_metrics") or {}).get("tweet_count")
    ceiling = CEILING_WITHOUT_REPLIES if "replies" in exclude else CEILING
    if isinstance(total, int) and total > ceiling:
        warnings.warn(
            XApiCeilingWarning(
                f"@{user['username']} has {total:,} posts but the X API returns only the newest "
                f"{ceiling:,}; for the full history request the account's archive and use "
                "the x-archive source"
            ),
            stacklevel=2,
        )


def _fetch(handle: str, token: str, opts: Options) -> Iterator[Post]:
    from tweetgen_xapi.api import Api, redacted  # tweepy loads on first fetch, not on listing

    state = (
        FetchState.load(opts.state_file, handle, list(opts.exclude))
        if opts.state_file
        else (FetchState(handle, list(opts.exclude)))
    )
    with redacted(token):
        api = Api(token, wait_on_rate_limit=opts.wait_on_rate_limit)
        if state.user is None:
            state.user = api.user(handle)
        author = state.user["username"]
        _warn_if_truncated(state.user, opts.exclude)
        for tweet in state.tweets:
            yield tweet_to_post(tweet, author)
        if state.complete:
            return
        seen = state.ids
        for page in api.pages(state.user["id"], exclude=opts.exclude, start_token=state.next_token):
            new = [t for t in page.tweets if str(t["id"]) not in seen]
            seen.update(str(t["id"]) for t in new)
            state.add_page(new, page.next_token)
            if opts.state_file:
                state.save(opts.state_file)
            for tweet in new:
                yield tweet_to_post(tweet, author)


class XApiSource:
    """An account's posts through X API v2. ``location`` is the handle (``@`` optional).

    Options: ``bearer_token`` (default ``$X_BEARER_TOKEN``), ``exclude`` (``retweets``,
    ``replies`` or both, comma-separated), ``wait_on_rate_limit`` (default true; false fails
    fast with a NetworkError), ``state_file`` (resume an interrupted fetch; delete it to fetch
    afresh). Emits :class:`XApiCeilingWarning` when the account has more posts than X serves.
    """

    name = SOURCE_NAME
    #: Text comes unescaped (``&amp;`` already ``&``): ``unescape-html`` leaves it alone.
    text_is_plain = True
    description = "An account's newest posts (up to 3,200) through X API v2; needs a bearer token."
    options = (
        Option("bearer_token", str, None, "API token (default: $X_BEARER_TOKEN); never stored"),
        Option("exclude", str, None, "retweets and/or replies, comma-separated"),
        Option("wait_on_rate_limit", bool, True, "wait out rate limits (false: fail fast)"),
        Option("state_file", str, None, "resume an interrupted fetch from this file"),
    )

    def read(self, location: str, **options: Any) -> Iterator[Post]:
        """Check the options now; fetch lazily, page by page, as the posts are consumed."""
        opts = Options.parse(options)
        match = _HANDLE.fullmatch(location.strip())
        if not match:
            raise SourceError(f"x-api: {location!r} is not an X handle")
        return _fetch(match.group(1), bearer_token(options), opts)
