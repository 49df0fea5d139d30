"""Mastodon source for tweetgen: an account export, or an account's public statuses.

``tweetgen prepare mastodon archive-20240501.zip --out corpus/`` reads the export from Settings →
Import and export → Request your archive (.zip, .tar.gz, the extracted folder, or its
outbox.json). ``tweetgen prepare mastodon @alice@mastodon.social --out corpus/`` (or
``https://mastodon.social/@alice``) reads the public API instead. Direct messages never appear
among the posts; the source counts them (``skipped``), and the data table has a row for them.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tweetgen import NetworkError, Option, Post, PostKind, SourceError, hookimpl
from tweetgen.plugins import check_source_options
from tweetgen.plugins.options import parse_int
from tweetgen.records.profile import Profile

# httpx and BeautifulSoup load on first read, so `tweetgen plugins` stays quick.

_ACCT = re.compile(r"^@?([\w.-]+)@([A-Za-z0-9.-]+\.[A-Za-z0-9-]+)$")
_PROFILE = re.compile(r"^(https?)://([A-Za-z0-9.-]+(?::\d+)?)/@([\w.-]+)/?$")


@dataclass(frozen=True)
class Remote:
    """An account on a server: ``user@host``, reached at ``base_url``."""

    user: str
    host: str
    base_url: str


def parse_location(location: str) -> Remote | None:
    """A remote account for ``@user@host`` or ``https://host/@user``; None for a local path."""
    text = location.strip()
    if Path(text).expanduser().exists():
        return None
    if match := _PROFILE.match(text):
        scheme, netloc, user = match.groups()
        return Remote(user, netloc.split(":")[0], f"{scheme}://{netloc}")
    if match := _ACCT.match(text):
        user, host = match.groups()
        return Remote(user, host, f"https://{host}")
    if text.startswith(("http://", "https://")):
        raise SourceError(f"mastodon: {location!r} is not a profile URL (https://host/@user)")
    return None


@dataclass(frozen=True)
class Options:
    """The ``-o key=value`` options, checked and converted by the declarations of
    :attr:`MastodonSource.options` (as ``tweetgen prepare`` does before calling ``read``)."""

    base_url: str | None = None
    limit: int | None = None
    exclude_replies: bool = False
    exclude_reblogs: bool = False

    @classmethod
    def parse(cls, options: dict[str, Any]) -> Options:
        opts = cls(**check_source_options(MastodonSource, options))
        if opts.limit is not None:
            parse_int(opts.limit, name="mastodon: limit", minimum=1)
        return opts


class MastodonSource:
    """A Mastodon account: its export (a path) or its public statuses (``@user@host``)."""

    name = "mastodon"
    #: Text comes unescaped (``&amp;`` already ``&``): ``unescape-html`` leaves it alone.
    text_is_plain = True
    description = (
        "Mastodon export (.zip, .tar.gz, folder) or account (@user@host, https://host/@user)."
    )
    options = (
        Option("limit", int, None, "read at most this many posts"),
        Option("exclude_replies", bool, False, "leave replies out"),
        Option("exclude_reblogs", bool, False, "leave reblogs (boosts) out"),
        Option("base_url", str, None, "the server to ask (default: the account's own)"),
    )

    def __init__(self) -> None:
        #: Items read but not yielded, by reason (direct messages...): the data table's rows.
        self.skipped: Counter[str] = Counter()
        #: The account's face once read (export: name and avatar; API: name only).
        self.profile: Profile | None = None

    def read(self, location: str, **options: Any) -> Iterator[Post]:
        """Check the arguments now; read lazily as posts are consumed."""
        opts = Options.parse(options)
        remote = parse_location(location)
        posts = self._api(remote, opts) if remote else self._export(location)
        return itertools.islice(_keep(posts, opts), opts.limit)

    def _api(self, remote: Remote, opts: Options) -> Iterator[Post]:
        from tweetgen_mastodon.api import PAGE_SIZE, lookup, make_client, status_to_post, statuses
        from tweetgen_mastodon.outbox import DIRECT

        flags = {"exclude_replies": opts.exclude_replies, "exclude_reblogs": opts.exclude_reblogs}
        page = min(PAGE_SIZE, opts.limit or PAGE_SIZE)
        with make_client(opts.base_url or remote.base_url) as client:
            account = lookup(client, remote.user)
            author = f"{account.get('username') or remote.user}@{remote.host}"
            self.profile = Profile.make(author, account.get("display_name"))
            for status in statuses(client, str(account["id"]), flags, page):
                try:
                    post = status_to_post(status, author, remote.host)
                except (KeyError, TypeError) as exc:
                    raise NetworkError(f"mastodon: a status lacks {exc}") from None
                if post is None:
                    self.skipped[DIRECT] += 1
                else:
                    yield post

    def _export(self, location: str) -> Iterator[Post]:
        from tweetgen_mastodon.archive import read_export
        from tweetgen_mastodon.outbox import read_outbox, read_profile

        export = read_export(location)
        self.profile = read_profile(export)
        yield from read_outbox(export, self.skipped)


def _keep(posts: Iterable[Post], opts: Options) -> Iterator[Post]:
    for post in posts:
        if opts.exclude_replies and post.kind is PostKind.REPLY:
            continue
        if opts.exclude_reblogs and post.kind is PostKind.RETWEET:
            continue
        yield post


@hookimpl
def register_sources(register: Callable[[type[Any]], None]) -> None:
    register(MastodonSource)


@hookimpl
def register_publishers(register: Callable[[type[Any]], None]) -> None:
    from tweetgen_mastodon.publish import MastodonPublisher

    register(MastodonPublisher)
