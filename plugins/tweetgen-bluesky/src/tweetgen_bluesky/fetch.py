"""Paging through the public AT Protocol endpoints with the ``atproto`` client (no login)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from atproto import Client, IdResolver, Request, models
from atproto.exceptions import AtProtocolError

from tweetgen import NetworkError
from tweetgen_bluesky.endpoints import APPVIEW, PAGE_SIZE, PLC_DIRECTORY

__all__ = ["APPVIEW", "PAGE_SIZE", "PLC_DIRECTORY"]
TIMEOUT_S = 30.0


def make_client(base_url: str) -> Client:
    return Client(base_url=base_url, request=Request(timeout=TIMEOUT_S))


def _reason(exc: BaseException) -> str:
    """atproto's transport errors carry the useful text on their cause."""
    return str(exc) or str(exc.__cause__ or "") or type(exc).__name__


@contextmanager
def calling(what: str, where: str) -> Iterator[None]:
    """Turn any atproto failure into a one-line :class:`tweetgen.NetworkError`."""
    try:
        yield
    except AtProtocolError as exc:
        raise NetworkError(f"bluesky: {what} at {where} failed: {_reason(exc)}") from None


def author_feed(
    client: Client, actor: str, where: str, page_size: int = PAGE_SIZE
) -> Iterator[models.AppBskyFeedDefs.FeedViewPost]:
    """Every entry of ``app.bsky.feed.getAuthorFeed`` (posts, replies and reposts), page by page."""
    cursor: str | None = None
    while True:
        params = models.AppBskyFeedGetAuthorFeed.Params(
            actor=actor, cursor=cursor, limit=page_size, filter="posts_with_replies"
        )
        with calling("getAuthorFeed", where):
            page = client.app.bsky.feed.get_author_feed(params)
        yield from page.feed
        cursor = page.cursor
        if not cursor or not page.feed:
            return


def list_posts(
    client: Client, did: str, where: str, page_size: int = PAGE_SIZE
) -> Iterator[models.ComAtprotoRepoListRecords.Record]:
    """Every ``app.bsky.feed.post`` record in a repository: the full history, reposts excluded."""
    cursor: str | None = None
    while True:
        params = models.ComAtprotoRepoListRecords.Params(
            repo=did, collection="app.bsky.feed.post", cursor=cursor, limit=page_size
        )
        with calling("listRecords", where):
            page = client.com.atproto.repo.list_records(params)
        yield from page.records
        cursor = page.cursor
        if not cursor or not page.records:
            return


def resolve_did(client: Client, actor: str, where: str) -> str:
    if actor.startswith("did:"):
        return actor
    params = models.ComAtprotoIdentityResolveHandle.Params(handle=actor)
    with calling("resolveHandle", where):
        return client.com.atproto.identity.resolve_handle(params).did


def find_pds(did: str, plc_url: str) -> str:
    """The personal data server holding ``did``'s repository, from its DID document."""
    with calling("DID resolution", plc_url):
        doc = IdResolver(plc_url=plc_url, timeout=TIMEOUT_S).did.ensure_resolve(did)
    pds = doc.get_pds_endpoint()
    if not pds:
        raise NetworkError(f"bluesky: the DID document of {did} names no PDS")
    return pds
