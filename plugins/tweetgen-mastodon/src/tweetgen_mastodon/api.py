"""An account's public statuses through the Mastodon REST API (no login), with ``httpx``.

``GET /api/v1/accounts/lookup?acct=NAME`` gives the account id, then
``GET /api/v1/accounts/:id/statuses`` is followed page by page through its ``Link: rel="next"``
header (which carries ``max_id``). Direct messages are never included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from tweetgen import NetworkError, Post, PostKind
from tweetgen_mastodon.posts import html_post, parse_time

PAGE_SIZE = 40  # the most Mastodon returns per page
TIMEOUT_S = 30.0
USER_AGENT = "tweetgen-mastodon/0.1"


def make_client(base_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        timeout=TIMEOUT_S,
        follow_redirects=True,
        headers={"Accept": "application/json", "User-Agent": USER_AGENT},
    )


def fetch(
    client: httpx.Client, url: str, params: dict[str, Any] | None = None
) -> tuple[httpx.Response, Any]:
    """The response and its JSON body, or a one-line :class:`tweetgen.NetworkError`."""
    try:
        response = client.get(url, params=params)
    except httpx.HTTPError as exc:
        raise NetworkError(f"mastodon: {client.base_url}{url}: {exc}") from None
    return response, _decode(response)


def _decode(response: httpx.Response) -> Any:
    where = f"mastodon: {response.request.url.copy_with(query=None)}"
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_error:
        detail = body.get("error") if isinstance(body, dict) else response.reason_phrase
        raise NetworkError(f"{where}: HTTP {response.status_code}: {detail}")
    if body is None:
        raise NetworkError(f"{where}: the server did not answer with JSON")
    return body


def lookup(client: httpx.Client, user: str) -> dict[str, Any]:
    _, account = fetch(client, "/api/v1/accounts/lookup", {"acct": user})
    if not isinstance(account, dict) or "id" not in account:
        raise NetworkError(f"mastodon: lookup of {user!r} did not return an account")
    return account


def statuses(
    client: httpx.Client, account_id: str, filters: dict[str, bool], page_size: int = PAGE_SIZE
) -> Iterator[dict[str, Any]]:
    """Every status of the account, newest first, following ``Link: <...>; rel="next"``."""
    url = f"/api/v1/accounts/{account_id}/statuses"
    params: dict[str, Any] | None = {"limit": page_size, **_flags(filters)}
    while True:
        response, page = fetch(client, url, params)
        if not isinstance(page, list):
            raise NetworkError(f"mastodon: {url}: expected a list of statuses")
        yield from (s for s in page if isinstance(s, dict))
        following = response.links.get("next", {}).get("url")
        if not following or not page:
            return
        url, params = following, None  # the next link already holds every parameter


def _flags(filters: dict[str, bool]) -> dict[str, str]:
    return {name: "true" for name, on in filters.items() if on}


def status_to_post(status: dict[str, Any], author: str, host: str) -> Post | None:
    """One status as a Post, or None for a direct message."""
    if status.get("visibility") == "direct":
        return None
    shown = status.get("reblog") or status
    mentions = {
        str(m.get("url")): _qualify(str(m.get("acct")), host)
        for m in shown.get("mentions") or ()
        if isinstance(m, dict)
    }
    kind = PostKind.ORIGINAL
    if status.get("reblog"):
        kind = PostKind.RETWEET
    elif status.get("in_reply_to_id"):
        kind = PostKind.REPLY
    elif status.get("quote"):
        kind = PostKind.QUOTE
    extra = {"uri": status.get("uri"), "url": status.get("url")}
    extra["content_warning"] = shown.get("spoiler_text")
    if kind is PostKind.RETWEET:
        extra["boosted"] = shown.get("uri")
        extra["original_author"] = _qualify(str(shown["account"]["acct"]), host)
    return html_post(
        id=str(status["id"]),
        author=author,
        html=str(shown.get("content") or ""),
        created_at=parse_time(status["created_at"], f"status {status['id']}"),
        kind=kind,
        lang=shown.get("language"),
        reply_to=str(status["in_reply_to_id"]) if kind is PostKind.REPLY else None,
        accts=mentions,
        hashtags=[str(t.get("name")) for t in shown.get("tags") or () if isinstance(t, dict)],
        extra={k: v for k, v in extra.items() if v},
    )


def _qualify(acct: str, host: str) -> str:
    """The API writes local accounts without a host; make every account ``user@host``."""
    return acct if "@" in acct else f"{acct}@{host}"
