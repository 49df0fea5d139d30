"""Write files and directories so that a failure, a kill or a second process never loses data.

Rules every output of tweetgen follows:

* An output directory is built in a temporary folder beside it and swapped in at the end: the
  swap is one atomic exchange of the two directories (Linux ``renameat2``), so at every instant
  the old or the new output is at the user's path. Where the exchange is not available the old
  output is first renamed aside; if the process dies between the two renames, the next write of
  the same output puts it back (:func:`recover`).
* Temporaries of a process that was killed are swept by the next write of the same output.
* An existing path is replaced only when it is an empty directory or an earlier output of the
  same kind; folders tweetgen creates for its own use (work dirs, checkpoints) carry a marker
  file and are only ever emptied when they carry it (:func:`claim_dir`, :func:`remove_owned`).
* Writers of the same output take a lock file beside it: the second gets an error at once.
* Named entries of the old output can be *carried* into the new one (a model's work folder
  lives inside it): each is renamed into the temporary just before the swap, and
  :func:`recover` moves it back if the process died in between, so it is never lost.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import IO, Any

from tweetgen.errors import TweetgenError

#: The file that says "tweetgen made this folder for its own use and may empty it".
OWNER_MARKER = ".tweetgen-owned"
_TMP_SUFFIX = ".tmp"
_OLD_TAG = ".old-"
_LOCK_SUFFIX = ".lock"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100

Replaceable = Callable[[Path], bool]


# checks -------------------------------------------------------------------------------------


def check_output(
    target: str | os.PathLike[str],
    *,
    replaceable: Replaceable | None = None,
    error: type[TweetgenError] = TweetgenError,
) -> Path:
    """Refuse, before any work starts, an output path that could not be written or replaced.

    Creates nothing. Returns the absolute path. A root directory, a path under a file, a
    non-directory (``/dev/null``), a folder of the user's, or a place that refuses new files
    (read-only mount, ``/proc``) is a one-line ``error``.
    """
    path = Path(os.path.abspath(target))
    if not path.name or path == path.parent:
        raise error("is a filesystem root; give a new folder to write into", path=path)
    _check_replaceable(path, replaceable, error)
    _check_creatable(path.parent, error, path)
    return path


def _check_replaceable(
    target: Path, replaceable: Replaceable | None, error: type[TweetgenError]
) -> None:
    if not target.exists() and not target.is_symlink():
        return
    if target.is_dir() and not target.is_symlink():
        if not any(target.iterdir()) or (replaceable is not None and replaceable(target)):
            return
        raise error(
            "exists and is not an earlier output of this kind; not replacing it", path=target
        )
    raise error("exists and is not a directory; not replacing it", path=target)


def _check_creatable(parent: Path, error: type[TweetgenError], target: Path) -> None:
    """The nearest existing ancestor is a folder that accepts a new entry (tried for real)."""
    existing = parent
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():  # a dangling link
            raise error("a parent folder is a broken link", path=existing)
        existing = existing.parent
    if not existing.is_dir():
        raise error("cannot write here: a parent is not a folder", path=existing)
    try:
        probe = tempfile.mkdtemp(prefix=".tweetgen-probe-", dir=existing)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise error(f"cannot write here: {reason.lower()}", path=target) from None
    os.rmdir(probe)


def umask() -> int:
    """The process's umask (reading it means setting it: set back at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ownership markers --------------------------------------------------------------------------


def owned(path: Path) -> bool:
    """Whether tweetgen made ``path`` for itself (it holds the marker file)."""
    return (path / OWNER_MARKER).is_file()


def claim_dir(path: str | os.PathLike[str], *, error: type[TweetgenError] = TweetgenError) -> Path:
    """Make ``path`` tweetgen's own folder: create it (marked), or mark an empty one.

    A non-empty folder without the marker belongs to the user: a one-line ``error``, so that
    nothing in it is ever deleted.
    """
    path = Path(path)
    check_claimable(path, error=error)
    if owned(path):
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / OWNER_MARKER).write_text("made by tweetgen; it may empty this folder\n")
    except OSError as exc:
        raise error(f"cannot create the folder: {exc.strerror or exc}", path=path) from None
    return path


def check_claimable(path: str | os.PathLike[str], *, error: type[TweetgenError]) -> None:
    """Raise what :func:`claim_dir` would, without creating anything."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        if not owned(path) and any(path.iterdir()):
            raise error(
                "exists and was not made by tweetgen; not using it (choose an empty or new folder)",
                path=path,
            )
    elif path.exists() or path.is_symlink():
        raise error("exists and is not a folder", path=path)


def remove_owned(path: str | os.PathLike[str], marker: str = OWNER_MARKER) -> bool:
    """Delete ``path`` only when it holds ``marker``; return whether it was deleted."""
    path = Path(path)
    if path.is_symlink() or not (path / marker).is_file():
        return False
    shutil.rmtree(path, ignore_errors=True)
    return True


def remove_if_empty(path: str | os.PathLike[str]) -> None:
    """Delete ``path`` when nothing but the ownership marker is left in it."""
    path = Path(path)
    with contextlib.suppress(OSError):
        if {p.name for p in path.iterdir()} <= {OWNER_MARKER}:
            (path / OWNER_MARKER).unlink(missing_ok=True)
            path.rmdir()


# locks --------------------------------------------------------------------------------------

_held: dict[Path, tuple[int, int]] = {}
_held_guard = threading.Lock()


def lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}{_LOCK_SUFFIX}")


@contextmanager
def output_lock(
    target: str | os.PathLike[str], *, error: type[TweetgenError] = TweetgenError
) -> Iterator[Path]:
    """Hold ``.NAME.lock`` beside ``target`` for the block; a second writer fails at once.

    Re-entrant within one process (a chain that locks its output, then saves into it). The
    parent folder must exist. The lock file is removed on release.
    """
    target = Path(os.path.abspath(target))
    with _held_guard:
        if target in _held:
            fd, count = _held[target]
            _held[target] = (fd, count + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield target
        finally:
            _release(target)
        return
    fd = _acquire(lock_path(target), target, error)
    with _held_guard:
        _held[target] = (fd, 1)
    try:
        yield target
    finally:
        _release(target)


def _acquire(lock: Path, target: Path, error: type[TweetgenError]) -> int:
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise error(f"cannot write here: {exc.strerror or exc}", path=target) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise error(
                    "another tweetgen process is writing this output right now", path=target
                ) from None
            raise error(f"cannot lock the output: {exc.strerror or exc}", path=target) from None
        try:  # the holder before us may have removed the file: lock the file that is there
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)


def _release(target: Path) -> None:
    with _held_guard:
        fd, count = _held[target]
        if count > 1:
            _held[target] = (fd, count - 1)
            return
        del _held[target]
    with contextlib.suppress(OSError):
        lock_path(target).unlink()
    os.close(fd)


# recovery and sweeping ----------------------------------------------------------------------

_active: set[Path] = set()
#: What follows ``.NAME.`` in a temporary (``PID.RANDOM.tmp``) and a set-aside old output.
_TMP_NAME = re.compile(r"([0-9]+)\.[A-Za-z0-9_]+\.tmp")
_OLD_NAME = re.compile(r"old-[0-9]+")


def _leftovers(target: Path) -> tuple[list[Path], list[Path]]:
    """Temporaries and set-aside old outputs of ``target`` not in use by this process."""
    tmps: list[Path] = []
    olds: list[Path] = []
    prefix = f".{target.name}."
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            if not entry.name.startswith(prefix) or entry in _active:
                continue
            rest = entry.name[len(prefix) :]
            if _OLD_NAME.fullmatch(rest):
                olds.append(entry)
            elif (found := _TMP_NAME.fullmatch(rest)) and _dead(int(found[1])):
                tmps.append(entry)
    return tmps, olds


def _dead(pid: int) -> bool:
    """Whether the process that made a temporary is gone."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def recover(target: str | os.PathLike[str], carry: Sequence[str] = ()) -> None:
    """Undo what a killed writer of ``target`` left: put back a set-aside old output when
    ``target`` is missing, move entries named in ``carry`` that a dead temporary holds back
    into ``target`` when it lacks them, and delete temporaries of dead processes."""
    target = Path(os.path.abspath(target))
    tmps, olds = _leftovers(target)
    if olds and not target.exists() and not target.is_symlink():
        newest = max(olds, key=lambda p: p.stat().st_mtime)
        with contextlib.suppress(OSError):
            newest.rename(target)
            olds.remove(newest)
    swept = tmps + (olds if target.exists() else [])
    for holder in swept:
        _bring_back(holder, target, carry)
    for path in swept:
        _remove(path)


def _bring_back(holder: Path, target: Path, carry: Sequence[str]) -> None:
    """Carried entries a dead writer had moved into ``holder``: back into ``target``."""
    if not target.is_dir() or target.is_symlink() or holder.is_symlink():
        return
    for name in carry:
        entry, home = holder / name, target / name
        if os.path.lexists(entry) and not os.path.lexists(home):
            with contextlib.suppress(OSError):
                os.rename(entry, home)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


# atomic writes ------------------------------------------------------------------------------


def exchange(a: Path, b: Path) -> bool:
    """Swap two directory entries in one step (Linux); False where that is not supported."""
    func = getattr(_libc(), "renameat2", None)
    if func is None:
        return False
    result = func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


@cache
def _libc() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def replace_dir(tmp: Path, target: Path) -> None:
    """Put the finished ``tmp`` at ``target``; the old ``target`` (if any) is deleted after."""
    if not target.exists() and not target.is_symlink():
        tmp.rename(target)
        return
    if exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old output
        return
    old = target.with_name(f".{target.name}{_OLD_TAG}{os.getpid()}")
    target.rename(old)
    try:
        tmp.rename(target)  # a kill before this line: recover() renames ``old`` back
    except BaseException:
        with contextlib.suppress(OSError):
            old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _make_parents(parent: Path, error: type[TweetgenError]) -> list[Path]:
    """Create missing parents; return those created (outermost first) to remove on failure."""
    missing: list[Path] = []
    probe = parent
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty(list(reversed(missing)))
        raise error(f"cannot create the folder: {exc.strerror or exc}", path=parent) from None
    return list(reversed(missing))


def _remove_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


@contextmanager
def output_guard(
    target: str | os.PathLike[str],
    *,
    replaceable: Replaceable | None = None,
    error: type[TweetgenError] = TweetgenError,
    carry: Sequence[str] = (),
) -> Iterator[Path]:
    """Check ``target`` (:func:`check_output`) and hold its lock for the block.

    Commands wrap their whole run in this, so a bad ``--out`` or a second writer is refused
    before any reading or training. Parent folders it had to create are removed again if the
    block fails and they stayed empty. ``carry``: as for :func:`atomic_dir` (for recovery).
    """
    path = check_output(target, replaceable=replaceable, error=error)
    created = _make_parents(path.parent, error)
    try:
        with output_lock(path, error=error):
            recover(path, carry)
            yield path
    except BaseException:
        _remove_empty(created)
        raise


@contextmanager
def atomic_dir(
    target: str | os.PathLike[str],
    *,
    replaceable: Replaceable | None = None,
    error: type[TweetgenError] = TweetgenError,
    carry: Sequence[str] = (),
) -> Iterator[Path]:
    """Yield an empty temporary directory that becomes ``target`` only if the block succeeds.

    The temporary sits beside ``target`` so the final swap stays on one filesystem. An
    existing ``target`` is replaced only when it is an empty directory or ``replaceable`` says
    it is an earlier output of the same kind: ``--out`` must never delete a user's files. A
    failure leaves nothing new behind (not even parent folders it made).

    Entries of the old ``target`` named in ``carry`` (a work folder that lives inside a model
    folder) are renamed into the temporary just before the swap, so they stay at the same
    path; the block must not write entries of those names itself.
    """
    with output_guard(target, replaceable=replaceable, error=error, carry=carry) as path:
        _check_replaceable(path, replaceable, error)  # an earlier holder may have written it
        tmp = Path(
            tempfile.mkdtemp(
                prefix=f".{path.name}.{os.getpid()}.", suffix=_TMP_SUFFIX, dir=path.parent
            )
        )
        _active.add(tmp)
        try:
            tmp.chmod(0o777 & ~umask())  # mkdtemp makes directories 0700
            yield tmp
            _swap_in(tmp, path, carry, error)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            _active.discard(tmp)


def _swap_in(tmp: Path, target: Path, carry: Sequence[str], error: type[TweetgenError]) -> None:
    """Carry ``carry`` from the old ``target`` into ``tmp``, then swap; on a failure before
    the swap the carried entries go back, so deleting ``tmp`` loses nothing of theirs."""
    moved: list[str] = []
    try:
        if carry and target.is_dir() and not target.is_symlink():
            held = [n for n in carry if os.path.lexists(target / n) and os.path.lexists(tmp / n)]
            if held:
                raise error(f"the new output already holds {held[0]!r}; not replacing", path=target)
            _carry_into(tmp, target, carry, moved)
        replace_dir(tmp, target)
    except BaseException:
        _bring_back(tmp, target, moved)
        raise


def _carry_into(tmp: Path, target: Path, carry: Sequence[str], moved: list[str]) -> None:
    """Rename each entry of ``target`` named in ``carry`` into ``tmp`` (adding it to ``moved``).

    A kill after this and before the swap leaves them in a dead temporary: :func:`recover`
    moves them back.
    """
    for name in carry:
        if os.path.lexists(target / name):
            os.rename(target / name, tmp / name)
            moved.append(name)


@contextmanager
def atomic_file(target: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``target``; rename it over ``target`` on success.

    Temporaries that killed processes left for the same ``target`` are swept first.
    """
    target = Path(os.path.abspath(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in _leftovers(target)[0]:
        _remove(stale)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=_TMP_SUFFIX, dir=target.parent
    )
    encoding = None if "b" in mode else "utf-8"
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
        os.chmod(name, 0o666 & ~umask())  # mkstemp makes files 0600; give them the usual mode
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def write_json(target: str | os.PathLike[str], data: Any) -> None:
    """Pretty, UTF-8 JSON written atomically (metadata files people also read)."""
    with atomic_file(target) as handle:
        handle.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
