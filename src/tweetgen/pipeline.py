"""The chains the CLI runs, as plain functions so the Python API gets the same behaviour."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from tweetgen.corpus import Corpus, Filtered
from tweetgen.errors import FilterError
from tweetgen.filters.base import Filter
from tweetgen.plugins import get_filter, get_source
from tweetgen.post import Post

ProgressCallback = Callable[[int], None]


def parse_filter_spec(spec: str) -> Filter:
    """Build a filter from ``name`` or ``name:key=value:key=value`` (values parsed as JSON)."""
    name, *pairs = spec.split(":")
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise FilterError(f"bad filter option {pair!r} in {spec!r} (expected key=value)")
        try:
            options[key.replace("-", "_")] = json.loads(raw)
        except ValueError:
            options[key.replace("-", "_")] = raw
    filt: Filter = get_filter(name.strip(), **options)
    return filt


def default_filters() -> list[Filter]:
    """The seed's cleaning: drop retweets, clean URLs and entities, drop short posts."""
    from tweetgen.filters.builtin import default_filters as builtin_defaults

    return builtin_defaults()


def _counting(posts: Iterable[Post], progress: ProgressCallback | None) -> Iterator[Post]:
    for i, post in enumerate(posts, 1):
        if progress is not None:
            progress(i)
        yield post


def read(
    source: str,
    location: str,
    *,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> Corpus:
    """Read every post from ``location`` with the named source plugin."""
    posts = get_source(source).read(location, **options)
    return Corpus.from_posts(
        _counting(posts, progress), meta={"source": source, "location": str(location)}
    )


def prepare(
    source: str,
    location: str,
    out: str | Path | None = None,
    *,
    filters: Sequence[Filter] | None = None,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> Filtered:
    """Read, filter and (when ``out`` is given) save a corpus; return it with its report."""
    corpus = read(source, location, progress=progress, **options)
    result = corpus.filter(*(default_filters() if filters is None else filters))
    if out is not None:
        result.corpus.save(out)
    return result
