"""Bluesky source for tweetgen: ``tweetgen prepare bluesky alice.bsky.social --out corpus/``.

Two ways to read an account, both public and login-free:

* ``method=feed`` (default): ``app.bsky.feed.getAuthorFeed`` on the AppView. Posts, replies,
  quotes and reposts (RETWEET), newest first.
* ``method=records``: ``com.atproto.repo.listRecords`` on the account's own PDS, found through
  its DID document. The full history of posts and replies; reposts live in another collection.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tweetgen import Option, Post, SourceError, hookimpl
from tweetgen.plugins import check_source_options
from tweetgen.plugins.options import parse_int
from tweetgen.records.profile import Profile
from tweetgen_bluesky.endpoints import APPVIEW, PAGE_SIZE, PLC_DIRECTORY

# atproto takes seconds to import: it loads on first read, so `tweetgen plugins` stays quick.

_PROFILE_URL = re.compile(r"^https?://(?:www\.)?bsky\.app/profile/([^/?#]+)")
_HANDLE = re.compile(r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z][a-zA-Z0-9-]*$")
_DID = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]+$")


def parse_actor(location: str) -> str:
    """The actor in ``alice.bsky.social``, ``@alice.bsky.social``, a DID or a profile URL."""
    text = location.strip()
    match = _PROFILE_URL.match(text)
    actor = match.group(1) if match else text.removeprefix("@")
    if _DID.match(actor) or _HANDLE.match(actor):
        return actor
    raise SourceError(f"bluesky: {location!r} is not a handle, a DID or a bsky.app profile URL")


@dataclass(frozen=True)
class Options:
    """The ``-o key=value`` options, checked and converted by the declarations of
    :attr:`BlueskySource.options` (as ``tweetgen prepare`` does before calling ``read``)."""

    method: str = "feed"
    limit: int | None = None
    base_url: str = APPVIEW
    pds: str | None = None
    plc_url: str = PLC_DIRECTORY

    @classmethod
    def parse(cls, options: dict[str, Any]) -> Options:
        opts = cls(**check_source_options(BlueskySource, options))
        if opts.method not in ("feed", "records"):
            raise SourceError(f"bluesky: method must be feed or records, not {opts.method!r}")
        if opts.limit is not None:
            parse_int(opts.limit, name="bluesky: limit", minimum=1)
        return opts


class BlueskySource:
    """A Bluesky account's posts through the public API; location is a handle, DID or URL."""

    name = "bluesky"
    #: Text comes unescaped (``&amp;`` already ``&``): ``unescape-html`` leaves it alone.
    text_is_plain = True
    description = "Bluesky account (handle, DID or profile URL) via the public API."
    options = (
        Option("method", str, "feed", "feed (posts, replies, reposts) or records (full history)"),
        Option("limit", int, None, "read at most this many posts"),
        Option("base_url", str, APPVIEW, "the AppView to ask"),
        Option("pds", str, None, "the account's PDS for method=records (default: from its DID)"),
        Option("plc_url", str, PLC_DIRECTORY, "the PLC directory resolving did:plc"),
    )

    def __init__(self) -> None:
        #: The account's face once read: handle and display name from the AppView's view of
        #: its profile record (the avatar is on a CDN and is not fetched).
        self.profile: Profile | None = None

    def read(self, location: str, **options: Any) -> Iterator[Post]:
        """Check the arguments now; fetch lazily, page by page, as posts are consumed."""
        actor, opts = parse_actor(location), Options.parse(options)
        reader = self._feed if opts.method == "feed" else self._records
        posts = _unique(reader(actor, opts))
        return itertools.islice(posts, opts.limit)

    def _feed(self, actor: str, opts: Options) -> Iterator[Post]:
        from tweetgen_bluesky.convert import feed_item_to_post
        from tweetgen_bluesky.fetch import author_feed, make_client

        client = make_client(opts.base_url)
        for item in author_feed(client, actor, opts.base_url, _page(opts)):
            if self.profile is None and actor in (item.post.author.handle, item.post.author.did):
                author = item.post.author
                self.profile = Profile.make(author.handle, author.display_name)
            post = feed_item_to_post(item)
            if post is not None:
                yield post

    def _records(self, actor: str, opts: Options) -> Iterator[Post]:
        from tweetgen_bluesky.convert import record_to_post
        from tweetgen_bluesky.fetch import find_pds, list_posts, make_client, resolve_did

        did = resolve_did(make_client(opts.base_url), actor, opts.base_url)
        pds = opts.pds or find_pds(did, opts.plc_url)
        author = did if actor.startswith("did:") else actor
        self.profile = Profile.make(author)
        for rec in list_posts(make_client(pds), did, pds, _page(opts)):
            if _is_post(rec.value):
                yield record_to_post(rec.uri, rec.value, author)


def _is_post(value: Any) -> bool:
    from atproto import models

    return models.is_record_type(value, models.AppBskyFeedPost)


def _page(opts: Options) -> int:
    return min(PAGE_SIZE, opts.limit or PAGE_SIZE)


def _unique(posts: Iterator[Post]) -> Iterator[Post]:
    """A pinned or re-indexed post can show up twice across pages; keep the first."""
    seen: set[str] = set()
    for post in posts:
        if post.id not in seen:
            seen.add(post.id)
            yield post


@hookimpl
def register_sources(register: Callable[[type[Any]], None]) -> None:
    register(BlueskySource)


@hookimpl
def register_publishers(register: Callable[[type[Any]], None]) -> None:
    from tweetgen_bluesky.publish import BlueskyPublisher

    register(BlueskyPublisher)
