"""The filter protocol, the two shapes most filters take, plain functions as filters, chains.

A filter is any object with ``name``, ``reason`` and ``__call__(posts) -> Iterator[Post]``.
It may also offer ``filter_table(table) -> TableStep``, the same decision made on whole Arrow
columns; ``Corpus.filter`` prefers that (see :mod:`tweetgen.filters.apply` and
docs/filters.md), and runs per-post filters over record batches otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, runtime_checkable

from tweetgen.errors import FilterError
from tweetgen.records.post import Post

if TYPE_CHECKING:  # pyarrow loads with the corpus, not with ``import tweetgen``
    import pyarrow as pa

#: What a function's output means: a post (kept, maybe rewritten), or None/False (dropped).
FunctionResult = Post | bool | None
PostFunction = Callable[[Post], FunctionResult]


class TableStep(NamedTuple):
    """A filter's decision over a table, row for row.

    ``keep`` is a boolean array (None: keep every row); ``text`` the rewritten text column
    (None: unchanged). Both are as long as the table given; rows dropped may hold any text.
    """

    keep: pa.Array | pa.ChunkedArray | None
    text: pa.Array | pa.ChunkedArray | None = None


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


class _Composable:
    """``a | b`` for every filter shape here, and a readable ``repr``."""

    def __or__(self, other: Any) -> Chain:
        return Chain(self, as_filter(other))

    def __ror__(self, other: Any) -> Chain:
        return Chain(as_filter(other), self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Drop(_Composable):
    """Base for filters that keep or drop each post on its own merits."""

    name: ClassVar[str] = "drop"
    reason: ClassVar[str] = "dropped"

    def drops(self, post: Post) -> bool:
        raise NotImplementedError

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        return (p for p in posts if not self.drops(p))


class Clean(_Composable):
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

    def filter_table(self, table: pa.Table) -> TableStep:
        """``clean`` over the text column alone: no post objects are built."""
        import numpy as np

        from tweetgen.filters.columns import cleaned

        rows = np.ones(table.num_rows, dtype=bool)
        return TableStep(*cleaned(table.column("text"), rows, self.clean))


class FunctionFilter(_Composable):
    """A plain function ``Post -> Post | None`` (or ``-> bool``) used as a filter.

    Returning None or False drops the post, True keeps it, a post keeps that post (a rewrite
    must keep the id). The name is the function's, in kebab-case; so is the reason, unless
    given, so the data table gets a row named after the function.
    """

    def __init__(
        self, function: PostFunction, *, name: str | None = None, reason: str | None = None
    ) -> None:
        if not callable(function):
            raise FilterError(f"a filter must be callable, got {function!r}")
        self.function = function
        self.name = name or _kebab(getattr(function, "__name__", "") or "function")
        self.reason = reason or self.name

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        for post in posts:
            result = self.function(post)
            if result is True:
                yield post
            elif isinstance(result, Post):
                if result.id != post.id:
                    raise FilterError(
                        f"filter {self.name!r} changed the id of post {post.id} "
                        f"to {result.id}; return post.with_text(...) to rewrite a post"
                    )
                yield result
            elif result is not None and result is not False:
                raise FilterError(
                    f"filter {self.name!r} returned {type(result).__name__} for post "
                    f"{post.id}; expected a Post, None, True or False"
                )

    def __repr__(self) -> str:
        return f"FunctionFilter({self.name!r})"


def _kebab(name: str) -> str:
    name = re.sub(r"[^0-9A-Za-z]+", "-", name).strip("-").lower()
    return name or "function"


def post_filter(
    function: PostFunction | None = None, *, name: str | None = None, reason: str | None = None
) -> Any:
    """Decorator making a ``Post -> Post | None`` function a filter.

    ``@post_filter`` or ``@post_filter(name="no-links", reason="links")``.
    """
    if function is not None:
        return FunctionFilter(function, name=name, reason=reason)
    return lambda fn: FunctionFilter(fn, name=name, reason=reason)


def as_filter(item: Any) -> Filter:
    """``item`` as a filter: filters pass through, plain callables become FunctionFilters.

    A callable counts as a filter when it has ``name`` and ``reason`` (the protocol); any
    other callable is taken as a per-post function.
    """
    if isinstance(item, Filter) and isinstance(getattr(item, "name", None), str):
        return item
    if callable(item):
        return FunctionFilter(item)
    raise FilterError(f"not a filter: {item!r} (give a Filter or a function of one post)")


def steps_of(filters: Iterable[Any]) -> list[Filter]:
    """Filters flattened: functions wrapped, chains expanded, so each reports as its own step."""
    flat: list[Filter] = []
    for item in filters:
        f = as_filter(item)
        flat.extend(steps_of(f.filters) if isinstance(f, Chain) else [f])
    return flat


class Chain(_Composable):
    """Filters applied left to right; ``a | b`` builds one.

    ``Corpus.filter`` reports each member as its own step; called on a stream, it is one.
    """

    reason = "filtered"

    def __init__(self, *filters: Any) -> None:
        self.filters: tuple[Filter, ...] = tuple(steps_of(filters))
        self.name = " | ".join(f.name for f in self.filters)

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        stream: Iterable[Post] = posts
        for f in self.filters:
            stream = f(stream)
        return iter(stream)

    def __repr__(self) -> str:
        return f"Chain{self.filters!r}"
