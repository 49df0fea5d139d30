"""X (Twitter) account archive source: the .zip X exports, or its extracted folder.

Reads ``data/tweets.js`` (``data/tweet.js`` in older exports) and every part the manifest lists
(``tweets-part1.js``...), merges long posts from ``data/note-tweet.js``, keeps only the latest
version of edited posts, and optionally adds ``data/deleted-tweets.js``. See docs/sources.md.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tweetgen.errors import ArchiveError, InputFormatError, SourceError
from tweetgen.plugins.hookspecs import hookimpl
from tweetgen.plugins.options import Option
from tweetgen.records.post import Post
from tweetgen.records.profile import Profile
from tweetgen.sources.archive_tree import ArchiveTree, open_tree
from tweetgen.sources.jsfile import parse_js
from tweetgen.sources.safezip import ZipLimits, unsafe_name
from tweetgen.sources.values import check_options, parse_bool, valid_text
from tweetgen.sources.x_tweets import Account, unwrap

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
_TWEETS = re.compile(r"^tweets?(?:-part(\d+))?\.js$")
_NOTES = re.compile(r"^note-tweet(?:-part(\d+))?\.js$")
_DELETED = re.compile(r"^deleted-tweets?(?:-part(\d+))?\.js$")

#: The data table's row for the earlier versions of edited posts (the latest one is kept).
EDIT_VERSIONS = "earlier edit versions"

Raw = tuple[dict[str, Any], int, str]  # tweet object, its index in its file, the file's label


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
        check_options(self.name, options, OPTIONS)
        include_deleted = parse_bool("include_deleted", options.get("include_deleted", False))
        author = options.get("author")
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


def _items(tree: ArchiveTree, files: list[str], wrap: Callable[[Any], Any]) -> Iterator[Any]:
    """``(item, index, label)`` for each element of each file's top-level list."""
    for name in files:
        label = tree.label(name)
        data = parse_js(tree.read(name), label)
        if not isinstance(data, list):
            found = "an object" if isinstance(data, dict) else type(data).__name__
            raise InputFormatError(f"expected a list of entries, found {found}", path=label)
        for index, item in enumerate(data):
            yield wrap(item), index, label


def _raw_tweets(tree: ArchiveTree, files: list[str]) -> Iterator[Raw]:
    for item, index, label in _items(tree, files, lambda x: x):
        yield unwrap(item, index, label), index, label


def _manifest(tree: ArchiveTree, names: set[str]) -> dict[str, Any] | None:
    if "manifest.js" not in names:
        return None
    data = parse_js(tree.read("manifest.js"), tree.label("manifest.js"))
    if not isinstance(data, dict):
        raise InputFormatError("expected an object", path=tree.label("manifest.js"))
    return data


def _account(
    tree: ArchiveTree, names: set[str], manifest: dict[str, Any] | None, author: str | None
) -> Account:
    """Handle and display name from account.js, else the manifest; ``author`` overrides."""
    info: dict[str, Any] = {}
    if "account.js" in names:
        label = tree.label("account.js")
        data = parse_js(tree.read("account.js"), label)
        if data != []:
            first = data[0] if isinstance(data, list) else None
            info = first.get("account") if isinstance(first, dict) else None  # type: ignore[assignment]
            if not isinstance(info, dict):
                raise InputFormatError("expected [{'account': {...}}]", path=label)
    user = (manifest or {}).get("userInfo")
    user = user if isinstance(user, dict) else {}
    handle = author or info.get("username") or user.get("userName") or "unknown"
    display = info.get("accountDisplayName") or user.get("displayName")
    account_id = info.get("accountId") or user.get("accountId")
    where: str | None = None  # the option's value has no file
    if author:
        field = "option author"
    elif info.get("username"):
        field, where = "account.username", tree.label("account.js")
    else:
        field, where = "userInfo.userName", tree.label("manifest.js")
    return Account(
        valid_text(str(handle), field, path=where).strip().lstrip("@"),
        str(display) if display else None,
        str(account_id) if account_id else None,
    )


def _data_files(
    tree: ArchiveTree,
    names: set[str],
    manifest: dict[str, Any] | None,
    types: tuple[str, ...],
    pattern: re.Pattern[str],
) -> list[str] | None:
    """Files of a data type: as the manifest lists them, else by name; None when neither."""
    listed = _listed(tree, manifest, types)
    if listed is not None:
        present = []
        for name, count in listed:
            if name in names:
                present.append(name)
            elif count:
                raise ArchiveError(
                    f"the manifest lists data/{name} ({count} entries) but it is missing",
                    path=tree.label("manifest.js"),
                )
        return present
    found = [n for n in names if pattern.match(n)]
    return sorted(found, key=lambda n: int(pattern.match(n).group(1) or 0)) or None  # type: ignore[union-attr]


def _listed(
    tree: ArchiveTree, manifest: dict[str, Any] | None, types: tuple[str, ...]
) -> list[tuple[str, int]] | None:
    """``(bare file name, count)`` per file the manifest lists for ``types``, or None."""
    data_types = (manifest or {}).get("dataTypes")
    if not isinstance(data_types, dict) or not any(t in data_types for t in types):
        return None
    label = tree.label("manifest.js")
    listed = []
    for t in types:
        entry = data_types.get(t)
        for f in entry.get("files", []) if isinstance(entry, dict) else []:
            file_name = f.get("fileName") if isinstance(f, dict) else None
            if not isinstance(file_name, str):
                raise InputFormatError(f"dataTypes.{t}: a file without fileName", path=label)
            bare = file_name.removeprefix("data/")
            if unsafe_name(bare) or "/" in bare or "\\" in bare or not bare:
                raise InputFormatError(f"unsafe or unexpected file name {file_name!r}", path=label)
            try:
                count = int(f.get("count", 1))
            except (TypeError, ValueError):
                count = 1
            listed.append((bare, count))
    return listed


@hookimpl
def register_sources(register: Callable[[type[Any]], None]) -> None:
    register(XArchiveSource)
