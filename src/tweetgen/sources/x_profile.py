"""The account's face in an X archive: ``account.js``, ``profile.js`` and ``profile_media/``.

Read apart from the posts and cheaply: three small files at most (the picture is matched by
name against ``profile.js``'s ``avatarMediaUrl`` and read alone; the header banner and every
other medium are never opened). Any part that is missing or malformed is left out: the face
is decoration, and a damaged ``profile.js`` must not stop the posts being read.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from tweetgen.errors import SourceError
from tweetgen.records.profile import MAX_PICTURE_BYTES, Profile
from tweetgen.sources.archive_tree import ArchiveTree, FolderTree, ZipTree
from tweetgen.sources.jsfile import parse_js

MEDIA_FOLDER = "profile_media"


def read_profile(tree: ArchiveTree, author: str | None = None) -> Profile | None:
    """Handle, display name and avatar of the archive's account (``author`` wins as handle)."""
    names = set(tree.names())
    account = _first_entry(tree, names, "account.js", "account")
    user = _first_entry(tree, names, "manifest.js", None).get("userInfo")
    user = user if isinstance(user, dict) else {}
    handle = author or account.get("username") or user.get("userName")
    display = account.get("accountDisplayName") or user.get("displayName")
    url = _first_entry(tree, names, "profile.js", "profile").get("avatarMediaUrl")
    picture = _avatar(tree, url) if isinstance(url, str) else None
    return Profile.make(handle, display, picture)


def _first_entry(tree: ArchiveTree, names: set[str], name: str, key: str | None) -> dict[str, Any]:
    """``data[0][key]`` of a ``window.YTD...`` file (the object itself without ``key``)."""
    if name not in names:
        return {}
    try:
        data = parse_js(tree.read(name), tree.label(name))
    except SourceError:
        return {}
    if key is None:
        return data if isinstance(data, dict) else {}
    first = data[0] if isinstance(data, list) and data else None
    found = first.get(key) if isinstance(first, dict) else None
    return found if isinstance(found, dict) else {}


def _avatar(tree: ArchiveTree, url: str) -> bytes | None:
    """The ``profile_media`` file X named ``<account id>-<name in the URL>``, if present."""
    stem = PurePosixPath(urlsplit(url).path).stem
    if not stem:
        return None
    with contextlib.suppress(SourceError, OSError):
        if isinstance(tree, FolderTree):
            return _folder_avatar(tree, stem)
        if isinstance(tree, ZipTree):
            return _zip_avatar(tree, stem)
    return None


def _matches(file_name: str, stem: str) -> bool:
    own = PurePosixPath(file_name).stem
    return own == stem or own.endswith("-" + stem)


def _folder_avatar(tree: FolderTree, stem: str) -> bytes | None:
    folder = tree.data_dir / MEDIA_FOLDER
    if not folder.is_dir():
        return None
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not _matches(entry.name, stem):
            continue
        info = entry.stat(follow_symlinks=False)  # a link could point anywhere: not read
        if stat.S_ISREG(info.st_mode) and 0 < info.st_size <= MAX_PICTURE_BYTES:
            return (folder / entry.name).read_bytes()
    return None


def _zip_avatar(tree: ZipTree, stem: str) -> bytes | None:
    prefix = f"{tree.prefix}{MEDIA_FOLDER}/"
    for name in tree.archive.names:
        rest = name[len(prefix) :]
        wanted = name.startswith(prefix) and "/" not in rest and _matches(rest, stem)
        if wanted and 0 < tree.archive.size(name) <= MAX_PICTURE_BYTES:
            return tree.archive.read(name)
    return None
