"""The data table's wording, shared by the CLI, the model card and W&B.

The seed's (huggingtweets) card had "Tweets downloaded / Retweets / Short tweets / Tweets
kept". X sources keep exactly that; other networks say "Posts" ("Posts downloaded / Reposts /
Short posts / Posts kept"). Rows for other drop reasons (duplicates, other languages...) are
the report's reason, capitalised. The counts come from :meth:`FilterReport.table`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tweetgen.corpus.corpus import Corpus

#: Sources whose posts are tweets (the seed's wording applies).
X_SOURCES = frozenset({"x-archive", "x-api", "snscrape"})
_X_LABELS = {
    "downloaded": "Tweets downloaded",
    "retweets": "Retweets",
    "short tweets": "Short tweets",
    "kept": "Tweets kept",
}
_POST_LABELS = {
    "downloaded": "Posts downloaded",
    "retweets": "Reposts",
    "short tweets": "Short posts",
    "kept": "Posts kept",
}


def is_x_source(source: str | None) -> bool:
    """Whether ``source`` (one name, or several joined by ", " for a merge) is all X."""
    names = [n.strip() for n in (source or "").split(",") if n.strip()]
    return bool(names) and all(n in X_SOURCES for n in names)


def label(reason: str, source: str | None) -> str:
    """The row label for a :meth:`FilterReport.table` key."""
    labels = _X_LABELS if is_x_source(source) else _POST_LABELS
    return labels.get(reason) or reason[:1].upper() + reason[1:]


def labelled(rows: Iterable[tuple[str, int]], source: str | None) -> list[tuple[str, int]]:
    """``(label, count)`` rows for the table rows of a report."""
    return [(label(reason, source), int(count)) for reason, count in rows]


def source_of(meta: Mapping[str, Any]) -> str | None:
    """The source name(s) recorded in a corpus's ``meta`` (a merge lists each one)."""
    source = meta.get("source")
    if source:
        return str(source)
    merged = meta.get("merged") or []
    names = sorted(
        {str(m.get("source")) for m in merged if isinstance(m, dict) and m.get("source")}
    )
    return ", ".join(names) or None


def table_rows(corpus: Corpus) -> list[tuple[str, int]]:
    """The labelled data table of ``corpus``."""
    return labelled(corpus.report.table(), source_of(corpus.meta))
