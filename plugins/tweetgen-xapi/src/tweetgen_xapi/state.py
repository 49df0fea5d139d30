"""A fetch's progress on disk, so an interrupted fetch resumes without duplicates or gaps.

After each page the file holds the user, the raw tweets fetched so far and the token of the
next page, written atomically: a fetch killed at any moment leaves the previous page's state.
A resumed fetch yields the saved tweets, then asks for the pages after them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast

from tweetgen import InputFormatError, SourceError
from tweetgen.base.atomic import atomic_file

FORMAT = "tweetgen-xapi-state"
VERSION = 1


@dataclass
class FetchState:
    handle: str
    exclude: list[str]
    user: dict[str, Any] | None = None
    next_token: str | None = None
    complete: bool = False
    tweets: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ids(self) -> set[str]:
        return {str(t["id"]) for t in self.tweets}

    def add_page(self, tweets: list[dict[str, Any]], next_token: str | None) -> None:
        self.tweets.extend(tweets)
        self.next_token = next_token
        self.complete = next_token is None

    def save(self, path: Path) -> None:
        with atomic_file(path) as handle:
            json.dump({"format": FORMAT, "version": VERSION, **asdict(self)}, cast(TextIO, handle))

    @classmethod
    def load(cls, path: Path, handle: str, exclude: list[str]) -> FetchState:
        """The saved state, or a fresh one when ``path`` does not exist yet."""
        if not path.exists():
            return cls(handle, exclude)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.pop("format") != FORMAT or data.pop("version") != VERSION:
                raise ValueError("not a tweetgen-xapi state file of this version")
            state = cls(**data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputFormatError(f"unreadable state file: {exc}", path=path) from None
        if state.handle.lower() != handle.lower() or state.exclude != exclude:
            raise SourceError(
                f"state file is for @{state.handle} with exclude={state.exclude}, "
                f"not @{handle} with exclude={exclude}; use another state_file",
                path=path,
            )
        return state
