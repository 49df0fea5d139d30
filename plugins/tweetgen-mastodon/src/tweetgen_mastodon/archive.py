"""Find ``outbox.json`` and ``actor.json`` in an account export: .zip, .tar.gz or a folder.

Everything is read in memory, nothing is extracted. Zips go through tweetgen's own
:class:`~tweetgen.sources.safezip.SafeZip`; tars get the same care here: a member name (or link
target) that could escape a folder (absolute, ``..``) refuses the whole archive, and the bytes
read are capped by the same :class:`~tweetgen.sources.safezip.ZipLimits`. Media, which make real
exports gigabytes large, are skipped over, never read.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tweetgen import ArchiveError, SourceError
from tweetgen.records.profile import MAX_PICTURE_BYTES
from tweetgen.sources.safezip import SafeZip, ZipLimits, unsafe_name

OUTBOX, ACTOR = "outbox.json", "actor.json"
#: The picture's file name without suffix: Mastodon writes ``avatar.png``, ``avatar.jpg``...
AVATAR = "avatar"


@dataclass(frozen=True)
class Export:
    """The two files a Mastodon export needs; ``label`` names outbox.json in error messages."""

    outbox: bytes
    actor: bytes | None
    label: str
    #: The account's picture (``avatar.*`` beside actor.json, as its ``icon`` names it).
    avatar: bytes | None = None


def read_export(location: str, limits: ZipLimits | None = None) -> Export:
    """The export at ``location``: an archive, its extracted folder, or outbox.json itself."""
    limits = limits or ZipLimits()
    path = Path(location).expanduser()
    if path.is_dir():
        return _from_folder(path, limits)
    if not path.is_file():
        raise SourceError("no such file or directory", path=location)
    if path.suffix == ".json":
        return _from_folder(path.parent, limits, outbox=path)
    if zipfile.is_zipfile(path):
        return _from_zip(path, limits)
    if _is_tar(path):
        return _from_tar(path, limits)
    raise ArchiveError("not a Mastodon export (expected a .zip, a .tar.gz or a folder)", path=path)


def _pick(names: list[str], path: Path) -> tuple[str, str]:
    """The shallowest outbox.json, and the actor.json beside it."""
    outboxes = [n for n in names if PurePosixPath(n).name == OUTBOX]
    if not outboxes:
        raise ArchiveError("not a Mastodon export: no outbox.json inside", path=path)
    outbox = min(outboxes, key=lambda n: (n.count("/"), n))
    return outbox, str(PurePosixPath(outbox).with_name(ACTOR))


def _from_folder(folder: Path, limits: ZipLimits, outbox: Path | None = None) -> Export:
    if outbox is None:
        candidates = [folder / OUTBOX, *sorted(folder.glob(f"*/{OUTBOX}"))]
        outbox = next((p for p in candidates if p.is_file()), None)
        if outbox is None:
            raise ArchiveError("not a Mastodon export: no outbox.json inside", path=folder)
    actor = outbox.with_name(ACTOR)
    avatar = next((p for p in sorted(outbox.parent.glob(f"{AVATAR}.*")) if _small(p)), None)
    return Export(
        _read_file(outbox, limits),
        _read_file(actor, limits) if actor.is_file() else None,
        str(outbox),
        _read_file(avatar, limits) if avatar else None,
    )


def _small(path: Path) -> bool:
    """A regular file (not a link) no bigger than a picture may be."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and 0 < info.st_size <= MAX_PICTURE_BYTES


def _read_file(path: Path, limits: ZipLimits) -> bytes:
    try:
        if path.stat().st_size > limits.max_member_bytes:
            raise ArchiveError(f"larger than {limits.max_member_bytes:,} bytes", path=path)
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from None


def _from_zip(path: Path, limits: ZipLimits) -> Export:
    with SafeZip(path, limits) as archive:
        outbox, actor = _pick(archive.names, path)
        folder = str(PurePosixPath(actor).parent)
        avatars = [
            n
            for n in archive.names
            if _is_avatar(n, folder) and 0 < archive.size(n) <= MAX_PICTURE_BYTES
        ]
        return Export(
            archive.read(outbox),
            archive.read(actor) if actor in archive.names else None,
            archive.label(outbox),
            archive.read(min(avatars)) if avatars else None,
        )


def _is_avatar(name: str, folder: str) -> bool:
    """``avatar.png`` (or .jpg...) in the folder of actor.json."""
    member = PurePosixPath(name)
    return str(member.parent) == folder and member.stem == AVATAR


def _is_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def _from_tar(path: Path, limits: ZipLimits) -> Export:
    """One streaming pass: check every member, keep the bytes of every outbox/actor.json."""
    wanted: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r|*") as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                _check_member(member, name, path)
                if PurePosixPath(name).name in (OUTBOX, ACTOR) and member.isfile():
                    budget = limits.max_total_bytes - sum(map(len, wanted.values()))
                    wanted[name] = _read_member(
                        tar, member, path, min(budget, limits.max_member_bytes)
                    )
                elif _small_avatar(member, name):
                    wanted[name] = _read_member(tar, member, path, MAX_PICTURE_BYTES)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(f"damaged archive ({exc})", path=path) from None
    names = [n for n in wanted if PurePosixPath(n).stem != AVATAR]
    outbox, actor = _pick(names, path)
    folder = str(PurePosixPath(actor).parent)
    avatars = sorted(n for n in wanted if _is_avatar(n, folder))
    avatar = wanted[avatars[0]] if avatars else None
    return Export(wanted[outbox], wanted.get(actor), f"{path}/{outbox}", avatar)


def _small_avatar(member: tarfile.TarInfo, name: str) -> bool:
    stem = PurePosixPath(name).stem
    return stem == AVATAR and member.isfile() and 0 < member.size <= MAX_PICTURE_BYTES


def _check_member(member: tarfile.TarInfo, name: str, path: Path) -> None:
    why = unsafe_name(name)
    if why is None and (member.issym() or member.islnk()):
        target = unsafe_name(member.linkname)
        why = target and f"a link target with {target}"
    if why:
        raise ArchiveError(f"refusing archive: entry {member.name!r} has {why}", path=path)


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path, budget: int) -> bytes:
    """A tar header states the true size, so checking it before reading is enough."""
    if member.size > budget:
        raise ArchiveError(
            f"entry {member.name!r} is {member.size:,} bytes, over the limit of {budget:,}",
            path=path,
        )
    handle = tar.extractfile(member)
    if handle is None:
        raise ArchiveError(f"cannot read entry {member.name!r}", path=path)
    return handle.read()
