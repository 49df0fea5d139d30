"""The ``data/`` folder of an X archive, whether zipped or extracted, behind one interface."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from tweetgen.errors import ArchiveError, SourceError
from tweetgen.sources.safezip import SafeZip, ZipLimits

#: Bytes read at a time when a data file is streamed.
BLOCK_BYTES = 8 << 20
#: Files that mark a folder (or a zip prefix) as an archive's ``data/`` folder.
MARKERS = ("manifest.js", "tweets.js", "tweet.js", "account.js")


class ArchiveTree(Protocol):
    """Flat access to the files of the data folder, by bare name (``tweets.js``)."""

    limits: ZipLimits

    def names(self) -> list[str]: ...

    def size(self, name: str) -> int: ...

    def address(self) -> dict[str, str]:
        """What opens this tree again in another process: :func:`reopen`."""
        ...

    def read(self, name: str) -> bytes: ...

    def blocks(self, name: str) -> Iterator[bytes]:
        """The file in blocks of :data:`BLOCK_BYTES`: what the tweets reader streams."""
        ...

    def label(self, name: str) -> str: ...

    def close(self) -> None: ...


class FolderTree:
    """An extracted archive: ``data_dir`` is the folder holding ``tweets.js`` and friends."""

    def __init__(self, data_dir: Path, limits: ZipLimits) -> None:
        self.data_dir = data_dir
        self.limits = limits

    def names(self) -> list[str]:
        return sorted(p.name for p in self.data_dir.iterdir() if p.is_file())

    def label(self, name: str) -> str:
        return str(self.data_dir / name)

    def size(self, name: str) -> int:
        return (self.data_dir / name).stat().st_size

    def address(self) -> dict[str, str]:
        return {"folder": str(self.data_dir)}

    def read(self, name: str) -> bytes:
        path = self.data_dir / name
        try:
            if path.stat().st_size > self.limits.max_member_bytes:
                raise SourceError(
                    f"file larger than {self.limits.max_member_bytes:,} bytes", path=path
                )
            return path.read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from None

    def blocks(self, name: str) -> Iterator[bytes]:
        """The file in blocks: no size cap, since nothing holds all of it at once."""
        path = self.data_dir / name
        try:
            with path.open("rb") as handle:
                while block := handle.read(BLOCK_BYTES):
                    yield block
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from None

    def close(self) -> None:
        pass


class ZipTree:
    """A zipped archive, read in memory; ``prefix`` is where ``data/`` sits inside it."""

    def __init__(self, archive: SafeZip, prefix: str) -> None:
        self.archive = archive
        self.limits = archive.limits
        self.prefix = prefix
        self._names = sorted(
            n[len(prefix) :]
            for n in archive.names
            if n.startswith(prefix) and "/" not in n[len(prefix) :]
        )

    def names(self) -> list[str]:
        return list(self._names)

    def label(self, name: str) -> str:
        return self.archive.label(self.prefix + name)

    def size(self, name: str) -> int:
        """The member's declared (uncompressed) size."""
        return self.archive.size(self.prefix + name)

    def address(self) -> dict[str, str]:
        return {"zip": str(self.archive.path), "prefix": self.prefix}

    def read(self, name: str) -> bytes:
        return self.archive.read(self.prefix + name)

    def blocks(self, name: str) -> Iterator[bytes]:
        return self.archive.blocks(self.prefix + name, BLOCK_BYTES)

    def close(self) -> None:
        self.archive.close()


def open_tree(location: str | Path, limits: ZipLimits | None = None) -> ArchiveTree:
    """The data folder of the archive at ``location`` (a .zip, its folder, or ``data/``)."""
    limits = limits or ZipLimits()
    path = Path(location).expanduser()
    if not path.exists():
        raise SourceError("no such file or directory", path=location)
    if path.is_dir():
        data = path / "data"
        return FolderTree(data if data.is_dir() else path, limits)
    if path.suffix.lower() == ".js":
        raise ArchiveError(
            "give the whole archive (its .zip or extracted folder), not one of its files",
            path=path,
        )
    archive = SafeZip(path, limits)
    prefix = _data_prefix(archive.names)
    if prefix is None:
        archive.close()
        raise ArchiveError(
            "not an X archive: no data/tweets.js, data/tweet.js or data/manifest.js inside",
            path=path,
        )
    return ZipTree(archive, prefix)


def reopen(address: dict[str, str], limits: ZipLimits) -> ArchiveTree:
    """The tree :meth:`ArchiveTree.address` names, opened (again) within ``limits``."""
    if "zip" in address:
        return ZipTree(SafeZip(address["zip"], limits), address["prefix"])
    return FolderTree(Path(address["folder"]), limits)


def _data_prefix(names: list[str]) -> str | None:
    """The shallowest folder holding a marker file; X's own zips have ``data/`` at the top."""
    found = []
    for name in names:
        folder, _, base = name.rpartition("/")
        if base in MARKERS or (base.startswith("tweet") and base.endswith(".js")):
            found.append(folder + "/" if folder else "")
    if not found:
        return None
    return min(found, key=lambda p: (p.count("/"), not p.endswith("data/"), p))
