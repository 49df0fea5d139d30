"""What an X archive holds and where: its manifest, its account, the files of each data type,
and the entries of a data file (``window.YTD.tweets.part0 = [...]``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tweetgen.errors import ArchiveError, InputFormatError
from tweetgen.sources.archive_tree import ArchiveTree
from tweetgen.sources.jsfile import parse_entries, parse_js
from tweetgen.sources.safezip import unsafe_name
from tweetgen.sources.values import valid_text
from tweetgen.sources.x_tweets import Account

TWEETS = re.compile(r"^tweets?(?:-part(\d+))?\.js$")
NOTES = re.compile(r"^note-tweet(?:-part(\d+))?\.js$")
DELETED = re.compile(r"^deleted-tweets?(?:-part(\d+))?\.js$")

#: The data table's row for the earlier versions of edited posts (the latest one is kept).
EDIT_VERSIONS = "earlier edit versions"


def items(tree: ArchiveTree, files: list[str]) -> Iterator[tuple[Any, int, str]]:
    """``(item, index, label)`` for each element of each file's top-level list."""
    for name in files:
        label = tree.label(name)
        for index, item in enumerate(parse_entries(tree.read(name), label)):
            yield item, index, label


def read_manifest(tree: ArchiveTree, names: set[str]) -> dict[str, Any] | None:
    if "manifest.js" not in names:
        return None
    data = parse_js(tree.read("manifest.js"), tree.label("manifest.js"))
    if not isinstance(data, dict):
        raise InputFormatError("expected an object", path=tree.label("manifest.js"))
    return data


def read_account(
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


def data_files(
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
