"""The ``snscrape`` source: a JSONL file snscrape wrote, or (if it still works) a live scrape."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tweetgen import InputFormatError, Option, Post, SourceError
from tweetgen_snscrape.convert import SOURCE_NAME, is_tweet, item_to_post
from tweetgen_snscrape.live import scrape

_USERNAME = re.compile(r"@?([A-Za-z0-9_]{1,15})")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as handle:
            yield from enumerate(handle, 1)
    except UnicodeDecodeError as exc:
        raise InputFormatError(f"not UTF-8 text ({exc.reason})", path=path) from None
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror}", path=path) from None


def read_jsonl(path: str | Path) -> Iterator[Post]:
    """Posts from ``snscrape --jsonl twitter-user NAME > path``; a bad line names its number."""
    path = Path(path)
    for number, line in _lines(path):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            problem = f"bad JSON ({exc.msg} at column {exc.colno})"
            raise InputFormatError(f"line {number}: {problem}", path=path) from None
        if not isinstance(item, dict):
            kind = type(item).__name__
            raise InputFormatError(f"line {number}: expected a JSON object, got {kind}", path=path)
        if not is_tweet(item):
            continue
        try:
            post = item_to_post(item)
        except InputFormatError as exc:
            raise InputFormatError(f"line {number}: {exc.message}", path=path) from None
        yield post


class SnscrapeSource:
    """Posts that snscrape collected. ``location`` is a JSONL file snscrape wrote (works
    everywhere, snscrape not needed) or, when no such file exists, an X username to scrape
    live (needs snscrape, Python < 3.12, and X's blocking lifted: expect a clear error)."""

    name = SOURCE_NAME
    #: Text comes unescaped (``&amp;`` already ``&``): ``unescape-html`` leaves it alone.
    text_is_plain = True
    description = "A JSONL file written by `snscrape --jsonl twitter-user NAME` (or a live scrape)."
    options: tuple[Option, ...] = ()

    def read(self, location: str, **options: Any) -> Iterator[Post]:
        if options:
            raise SourceError(f"snscrape: this source takes no options (got {', '.join(options)})")
        path = Path(location)
        if path.is_dir():
            raise InputFormatError("is a directory, expected a JSONL file", path=path)
        if path.exists():
            return read_jsonl(path)
        match = _USERNAME.fullmatch(location.strip())
        if not match:
            raise SourceError("no such file (and not an X username to scrape)", path=location)
        return scrape(match.group(1))
