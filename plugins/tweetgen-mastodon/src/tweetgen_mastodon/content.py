"""Mastodon's HTML ``content`` as the plain text its author typed.

Paragraphs become blank-line breaks and ``<br>`` a newline (Mastodon turns a typed blank line into
``</p><p>`` and a single newline into ``<br>``); links become their full text (Mastodon hides
``https://`` and the tail of long URLs in invisible spans, which are kept); mentions become
``@user@host`` so they name one account whatever server renders them; entities are decoded once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from tweetgen import Url

_BLANK_LINES = re.compile(r"\n{3,}")
_BLOCKS = ("p", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol")


@dataclass(frozen=True)
class Rendered:
    text: str
    urls: tuple[Url, ...]
    mentions: tuple[str, ...]  # ``user@host``, no leading ``@``


def acct_from_url(href: str) -> str | None:
    """``user@host`` from a profile URL like ``https://host/@user`` or ``https://host/users/user``."""
    parts = urlsplit(href)
    segments = [s for s in parts.path.split("/") if s]
    if not parts.hostname or not segments:
        return None
    if segments[0].startswith("@") and len(segments) == 1:
        user = segments[0][1:]
    elif segments[0] in ("users", "u") and len(segments) == 2:
        user = segments[1]
    else:
        return None
    return user if "@" in user else f"{user}@{parts.hostname}"


def render(html: str, accts: Mapping[str, str] | None = None) -> Rendered:
    """Plain text, links and mentions of ``html``; ``accts`` maps profile URLs to ``user@host``."""
    soup = BeautifulSoup(html, "html.parser")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for li in soup.find_all("li"):
        li.insert_before("\n")
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n\n")
    urls: list[Url] = []
    mentions: list[str] = []
    for link in soup.find_all("a"):
        if isinstance(link, Tag):
            _link(link, accts or {}, urls, mentions)
    text = "\n".join(line.rstrip() for line in soup.get_text().split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    return Rendered(text, tuple(urls), tuple(dict.fromkeys(mentions)))


def _link(link: Tag, accts: Mapping[str, str], urls: list[Url], mentions: list[str]) -> None:
    href = str(link.get("href") or "")
    shown = link.get_text()
    classes = link.get_attribute_list("class")
    if "mention" in classes and "hashtag" not in classes and shown.startswith("@"):
        acct = accts.get(href) or acct_from_url(href) or shown[1:]
        mentions.append(acct)
        link.replace_with("@" + acct)
    elif "hashtag" not in classes and not shown.startswith("#") and href:
        urls.append(Url(shown, href))
