"""X (Twitter) account archive source: the .zip X exports, or its extracted folder.

Reads ``data/tweets.js`` (``data/tweet.js`` in older exports) and every part the manifest lists
(``tweets-part1.js``...), merges long posts from ``data/note-tweet.js``, keeps only the latest
version of edited posts, and optionally adds ``data/deleted-tweets.js``. See docs/sources.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tweetgen.errors import SourceError
from tweetgen.plugins.hookspecs import hookimpl
from tweetgen.plugins.options import Option, apply_declared
from tweetgen.records.post import Post
from tweetgen.records.profile import Profile
from tweetgen.sources.archive_tree import open_tree
from tweetgen.sources.safezip import ZipLimits

if TYPE_CHECKING:  # Arrow and the fast reader load on first read, not with the plugin list
    import pyarrow as pa

OPTIONS = {
    o.name: o
    for o in (
        Option(
            "include_deleted",
            bool,
            False,
            "also read data/deleted-tweets.js (posts deleted in the last ~14 days; "
            "they get extra['deleted'] = true)",
        ),
        Option("author", str, None, "handle to record as the author (default: data/account.js)"),
    )
}


class XArchiveSource:
    """Posts of one account from the archive X lets every user download."""

    name = "x-archive"
    #: Text comes unescaped (``&amp;`` already ``&``): ``unescape-html`` leaves it alone.
    text_is_plain = True
    description = "An X (Twitter) account archive: the .zip X exports, or its extracted folder."
    options: ClassVar[dict[str, Option]] = OPTIONS

    def __init__(self, limits: ZipLimits | None = None) -> None:
        self.limits = limits or ZipLimits()
        #: Records read but not yielded, by reason: the data table's rows for them.
        self.skipped: Counter[str] = Counter()
        #: The account's face (handle, display name, avatar), once read: the card's header.
        self.profile: Profile | None = None

    def read(self, location: str, **options: Any) -> Iterator[Post]:
        """Check options and location now; posts are read as the result is iterated."""
        from tweetgen.records.schema import batch_posts

        batches = self.read_batches(location, **options)
        return (post for batch in batches for post in batch_posts(batch))

    def read_batches(self, location: str, **options: Any) -> Iterator[pa.RecordBatch]:
        """The posts as record batches (see :mod:`tweetgen.records.schema`); checks run now."""
        parsed = apply_declared(f"source {self.name!r}", OPTIONS.values(), options)
        include_deleted = bool(parsed.get("include_deleted"))
        author = parsed.get("author")
        if author is not None and (not isinstance(author, str) or not author.strip()):
            raise SourceError(f"option author: expected a handle, got {author!r}")
        if not Path(location).expanduser().exists():
            raise SourceError("no such file or directory", path=location)
        return self._batches(location, include_deleted, author)

    def _batches(
        self, location: str, include_deleted: bool, author: str | None
    ) -> Iterator[pa.RecordBatch]:
        from tweetgen.records.schema import BATCH_ROWS
        from tweetgen.sources.x_profile import read_profile
        from tweetgen.sources.x_read import read_archive

        tree = open_tree(location, self.limits)
        try:
            self.profile = read_profile(tree, author)
            table = read_archive(tree, str(location), include_deleted, author, self.skipped)
        finally:
            tree.close()
        yield from table.to_batches(max_chunksize=BATCH_ROWS)


@hookimpl
def register_sources(register: Callable[[type[Any]], None]) -> None:
    register(XArchiveSource)
