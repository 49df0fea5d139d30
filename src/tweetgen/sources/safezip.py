"""Read members of an untrusted zip in memory, refusing zip slip and zip bombs.

Nothing is ever extracted to disk. Every entry name is checked when the archive is opened (one
unsafe name refuses the whole archive), every entry's declared expansion ratio is checked, and
members are read in chunks against a byte budget, so a member that lies about its size cannot
fill memory either.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from types import TracebackType

from tweetgen.errors import ArchiveError

_CHUNK = 1 << 16
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ZipLimits:
    """How much a zip may make us read. The defaults fit any real X archive's text files.

    ``max_ratio`` applies to every entry of at least ``ratio_floor_bytes`` (tiny files compress
    well for innocent reasons); media, which make real archives huge, barely compress at all.
    """

    max_member_bytes: int = 1 << 30
    max_total_bytes: int = 2 << 30
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 1 << 20


def unsafe_name(name: str) -> str | None:
    """Why ``name`` could escape an extraction folder, or None when it cannot."""
    norm = name.replace("\\", "/")
    if "\x00" in norm:
        return "a NUL byte in the name"
    if norm.startswith("/") or _DRIVE.match(norm):
        return "an absolute path"
    if ".." in norm.split("/"):
        return "a '..' component"
    return None


class SafeZip:
    """A zip opened for reading members into memory within :class:`ZipLimits`."""

    def __init__(self, path: str | PathLike[str], limits: ZipLimits | None = None) -> None:
        self.path = Path(path)
        self.limits = limits or ZipLimits()
        #: Bytes inflated so far, by this process or (counted by the caller) by others.
        self.read_total = 0
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, EOFError, ValueError) as exc:
            raise ArchiveError(f"not a valid zip archive ({exc})", path=self.path) from None
        except OSError as exc:
            raise ArchiveError(f"cannot open: {exc.strerror or exc}", path=self.path) from None
        try:
            self._infos = self._check_entries()
        except BaseException:
            self._zip.close()
            raise

    def _check_entries(self) -> dict[str, zipfile.ZipInfo]:
        infos: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            why = unsafe_name(info.filename)
            if why:
                raise ArchiveError(
                    f"refusing archive: entry {info.filename!r} has {why} (zip slip)",
                    path=self.path,
                )
            self._check_ratio(info)
            if info.is_dir():
                continue
            if info.filename in infos:
                raise ArchiveError(
                    f"refusing archive: duplicate entry {info.filename!r}", path=self.path
                )
            infos[info.filename] = info
        return infos

    def _check_ratio(self, info: zipfile.ZipInfo) -> None:
        lim = self.limits
        if info.file_size < lim.ratio_floor_bytes:
            return
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > lim.max_ratio:
            raise ArchiveError(
                f"refusing archive: entry {info.filename!r} expands {ratio:,.0f}x "
                f"(limit {lim.max_ratio:,.0f}x), which looks like a zip bomb",
                path=self.path,
            )

    @property
    def names(self) -> list[str]:
        """File entries (not folders), in archive order."""
        return list(self._infos)

    def size(self, name: str) -> int:
        """The member's stated (uncompressed) size, to skip a big one before reading it."""
        return self._infos[name].file_size

    def label(self, name: str) -> str:
        """How errors name a member: ``archive.zip/data/tweets.js``."""
        return f"{self.path}/{name}"

    def read(self, name: str) -> bytes:
        """The member's bytes, or :class:`ArchiveError` when it breaks a limit or is damaged."""
        return b"".join(self.blocks(name))

    def blocks(self, name: str, size: int = _CHUNK) -> Iterator[bytes]:
        """The member in blocks of ``size`` bytes, checked against the limits as it expands."""
        info = self._infos.get(name)
        if info is None:
            raise ArchiveError(f"no entry {name!r}", path=self.path)
        budget = self._budget(info)
        total = 0
        try:
            with self._zip.open(info) as handle:
                while chunk := handle.read(size):
                    total += len(chunk)
                    if total > budget:
                        raise ArchiveError(
                            f"entry expands past its limit of {budget:,} bytes",
                            path=self.label(name),
                        )
                    self.read_total += len(chunk)
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ArchiveError(f"damaged entry ({exc})", path=self.label(name)) from None
        except RuntimeError as exc:  # encrypted entries
            raise ArchiveError(f"cannot read entry ({exc})", path=self.label(name)) from None
        except NotImplementedError as exc:
            raise ArchiveError(f"unsupported compression ({exc})", path=self.label(name)) from None

    def _budget(self, info: zipfile.ZipInfo) -> int:
        """Bytes this member may still expand to; refuse early when its declared size is over."""
        lim = self.limits
        budget = min(lim.max_member_bytes, lim.max_total_bytes - self.read_total)
        if info.file_size > budget:
            raise ArchiveError(
                f"entry declares {info.file_size:,} bytes uncompressed, over the limit of "
                f"{budget:,} bytes",
                path=self.label(info.filename),
            )
        return budget

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
