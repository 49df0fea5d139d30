"""Flat records (a JSONL object, a CSV row) to :class:`Post`, through a column mapping.

The default column names are the ones :meth:`tweetgen.Corpus.to_jsonl` writes, so a corpus
exported to JSONL reads back unchanged. ``-o text_column=content`` and friends map other names.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tweetgen.errors import InputFormatError, SourceError
from tweetgen.plugins.options import Option, check_options
from tweetgen.records.post import Post, PostKind, Url
from tweetgen.sources.values import parse_datetime

FIELDS = (
    "id", "text", "created_at", "author", "kind", "lang", "reply_to",
    "urls", "mentions", "hashtags", "extra",
)  # fmt: skip
OPTIONS = {
    o.name: o
    for o in (
        *(Option(f"{f}_column", str, f, f"the column holding {f}") for f in FIELDS),
        Option("author", str, None, "author for rows without one (default: the file name)"),
        Option("date", str, None, "created_at for rows without one (ISO 8601 or epoch seconds)"),
    )
}


@dataclass
class IdMaker:
    """Stable ids for rows without one: a digest of text and date, numbered when repeated."""

    seen: Counter[str] = field(default_factory=Counter)

    def make(self, text: str, created: datetime) -> str:
        digest = hashlib.sha256(f"{text}\x00{created.isoformat()}".encode()).hexdigest()[:16]
        self.seen[digest] += 1
        n = self.seen[digest]
        return digest if n == 1 else f"{digest}-{n}"


@dataclass(frozen=True)
class Mapping:
    """Which column holds which post field, and the fallbacks for missing author and date."""

    columns: dict[str, str]
    author: str
    date: datetime | None

    @classmethod
    def from_options(
        cls, source: str, location: str, options: dict[str, Any], extra_options: tuple[str, ...]
    ) -> Mapping:
        check_options(f"source {source!r}", options, (*OPTIONS, *extra_options))
        columns = {f: str(options.get(f"{f}_column", f)) for f in FIELDS}
        date = None
        if options.get("date") not in (None, ""):
            try:
                date = parse_datetime(options["date"])
            except ValueError as exc:
                raise SourceError(f"option date: {exc}") from None
        author = str(options.get("author") or Path(location).stem or "unknown")
        return cls(columns, author, date)

    def check_header(self, header: list[str], label: str) -> None:
        """Fail before reading rows when a column every row needs is absent."""
        needed = [self.columns["text"]] + ([] if self.date else [self.columns["created_at"]])
        for column in needed:
            if column not in header:
                field_name = next(f for f, c in self.columns.items() if c == column)
                raise InputFormatError(
                    f"missing required column {column!r} (columns: {', '.join(header)}; "
                    f"map another with -o {field_name}_column=NAME)",
                    path=label,
                )

    def to_post(
        self, record: dict[str, Any], label: str, line: int, source: str, ids: IdMaker
    ) -> Post:
        """One record (found at ``line`` of file ``label``) as a post."""
        get = _Getter(record, self.columns, label, line)
        text = get.required("text")
        created = get.date("created_at") or self.date
        if created is None:
            raise get.error(f"no {self.columns['created_at']!r} value (or give -o date=...)")
        reply_to = get.text("reply_to")
        kind = get.kind(reply_to)
        if text.startswith("RT @"):
            kind = PostKind.RETWEET
        if kind is PostKind.REPLY and not reply_to:
            raise get.error(f"kind is reply but {self.columns['reply_to']!r} is empty")
        known = set(self.columns.values())
        extra = {k: v for k, v in record.items() if k not in known and v not in (None, "")}
        return Post(
            id=get.text("id") or ids.make(text, created),
            author=(get.text("author") or self.author).lstrip("@"),
            text=text,
            created_at=created,
            source=source,
            kind=kind,
            lang=get.text("lang"),
            reply_to=reply_to,
            urls=get.urls(),
            mentions=tuple(m.lstrip("@") for m in get.strings("mentions")),
            hashtags=tuple(h.lstrip("#") for h in get.strings("hashtags")),
            extra={**extra, **get.extra()},
        )


class _Getter:
    """Typed access to one record's mapped fields, with errors that say where."""

    def __init__(
        self, record: dict[str, Any], columns: dict[str, str], label: str, line: int
    ) -> None:
        self.record, self.columns, self.label, self.line = record, columns, label, line

    def error(self, message: str) -> InputFormatError:
        return InputFormatError(f"line {self.line}: {message}", path=self.label)

    def raw(self, name: str) -> Any:
        value = self.record.get(self.columns[name])
        return None if value == "" else value

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise self.error(f"no {self.columns[name]!r} value")
        return value

    def text(self, name: str) -> str | None:
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, dict | list):
            raise self.error(f"{self.columns[name]!r} should be text, found {value!r}"[:120])
        return str(value)

    def date(self, name: str) -> datetime | None:
        value = self.raw(name)
        try:
            return None if value is None else parse_datetime(value)
        except ValueError as exc:
            raise self.error(f"bad {self.columns[name]!r}: {exc}") from None

    def kind(self, reply_to: str | None) -> PostKind:
        value = self.text("kind")
        if value is None:
            return PostKind.REPLY if reply_to else PostKind.ORIGINAL
        try:
            return PostKind(value.strip().lower())
        except ValueError:
            choices = ", ".join(k.value for k in PostKind)
            raise self.error(f"unknown kind {value!r} (one of {choices})") from None

    def _list(self, name: str) -> list[Any]:
        value = self.raw(name)
        if isinstance(value, str):
            value = self._json(name, value) if value.lstrip().startswith("[") else value.split()
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(f"{self.columns[name]!r} should be a list")
        return value

    def _json(self, name: str, value: str) -> Any:
        try:
            return json.loads(value)
        except ValueError:
            raise self.error(f"{self.columns[name]!r} is not valid JSON") from None

    def strings(self, name: str) -> tuple[str, ...]:
        return tuple(str(v) for v in self._list(name) if v not in (None, ""))

    def urls(self) -> tuple[Url, ...]:
        urls = []
        for item in self._list("urls"):
            if isinstance(item, dict) and item.get("short"):
                urls.append(Url(str(item["short"]), item.get("expanded") or None))
            elif isinstance(item, str) and item:
                urls.append(Url(item))
            else:
                raise self.error(f"bad url entry {item!r}"[:120])
        return tuple(urls)

    def extra(self) -> dict[str, Any]:
        value = self.raw("extra")
        if isinstance(value, str):
            value = self._json("extra", value)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(f"{self.columns['extra']!r} should be a JSON object")
        return value
