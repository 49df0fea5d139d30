"""The filter protocol and the two shapes most filters take."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar, Protocol, runtime_checkable

from tweetgen.post import Post


@runtime_checkable
class Filter(Protocol):
    """A step that drops or rewrites posts.

    Filters see the whole stream, so ones that need memory (duplicates) keep it in the call.
    Output posts keep their input ids and order; the corpus uses that to count what changed.
    """

    @property
    def name(self) -> str:
        """Identifier used on the command line and in reports (``drop-retweets``)."""
        ...

    @property
    def reason(self) -> str:
        """Row label in the data table for what this filter drops (``retweets``)."""
        ...

    def __call__(self, posts: Iterable[Post], /) -> Iterator[Post]: ...


class Drop:
    """Base for filters that keep or drop each post on its own merits."""

    name: ClassVar[str] = "drop"
    reason: ClassVar[str] = "dropped"

    def drops(self, post: Post) -> bool:
        raise NotImplementedError

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        return (p for p in posts if not self.drops(p))

    def __or__(self, other: Filter) -> Chain:
        return Chain(self, other)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Clean:
    """Base for filters that rewrite text; posts whose text becomes empty are dropped."""

    name: ClassVar[str] = "clean"
    reason: ClassVar[str] = "cleaned"

    def clean(self, text: str) -> str:
        raise NotImplementedError

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        for post in posts:
            text = self.clean(post.text)
            if not text.strip():
                continue
            yield post if text == post.text else post.with_text(text)

    def __or__(self, other: Filter) -> Chain:
        return Chain(self, other)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Chain:
    """Filters applied left to right; ``a | b`` builds one. Reports count it as one step."""

    reason = "filtered"

    def __init__(self, *filters: Filter) -> None:
        flat: list[Filter] = []
        for f in filters:
            flat.extend(f.filters if isinstance(f, Chain) else [f])
        self.filters: tuple[Filter, ...] = tuple(flat)
        self.name = " | ".join(f.name for f in self.filters)

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        stream: Iterable[Post] = posts
        for f in self.filters:
            stream = f(stream)
        return iter(stream)

    def __or__(self, other: Filter) -> Chain:
        return Chain(self, other)

    def __repr__(self) -> str:
        return f"Chain{self.filters!r}"
