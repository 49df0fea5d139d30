"""Check an input path before any source reads it: no hang, no memory blow-up, one-line errors.

A FIFO named as the archive blocks ``open`` forever, ``/dev/zero`` reads forever, and a zip of
millions of parts keeps a reader busy for hours. Every location that exists on disk passes
here first (sources that take a user name or a handle are not affected):

* a file must be a regular file (after links) of at most ``max_file_bytes`` (:class:`InputLimits`);
* a folder may hold regular files and folders only, at most ``max_folder_entries`` of them,
  ``max_depth`` deep, and no link that loops or leaves for a device;
* a zip may list at most ``max_zip_entries`` entries and ``max_parts`` parts of one
  data file (``tweets-part1.js`` ...), read from its central directory only.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tweetgen.errors import ArchiveError, InputFormatError, SourceError, first_line


@dataclass(frozen=True)
class InputLimits:
    """Bounds far above any real export; beyond them the input is refused with a message."""

    max_file_bytes: int = 64 << 30
    max_folder_entries: int = 1_000_000
    max_depth: int = 32
    max_zip_entries: int = 1_000_000
    max_parts: int = 10_000


LIMITS = InputLimits()
#: ``data/tweets-part12.js`` -> ``data/tweets``: parts of one data file share this stem.
_PART = re.compile(r"^(.*)-part[0-9]+\.js$", re.IGNORECASE)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file or folder"


def check_input(location: str | os.PathLike[str], limits: InputLimits = LIMITS) -> Path | None:
    """Check ``location`` when it names something on disk; ``None`` when it does not (a user
    name for an API source, or a missing file the source reports itself)."""
    path = Path(location)
    if not os.path.lexists(path):
        return None
    info = _stat(path)
    if stat.S_ISDIR(info.st_mode):
        check_folder(path, limits)
    else:
        check_file(path, limits, info)
        if zipfile.is_zipfile(path):
            check_zip(path, limits)
    return path


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()  # follows links
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SourceError("a link that loops", path=path) from None
        raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from None


def check_file(
    path: Path, limits: InputLimits = LIMITS, info: os.stat_result | None = None
) -> None:
    info = info or _stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise SourceError(f"is {_kind(info.st_mode)}; give a file or a folder", path=path)
    if info.st_size > limits.max_file_bytes:
        raise SourceError(
            f"is {info.st_size:,} bytes; at most {limits.max_file_bytes:,} are read", path=path
        )
    if not os.access(path, os.R_OK):
        raise SourceError("cannot read: permission denied", path=path)


def check_folder(root: Path, limits: InputLimits = LIMITS) -> None:
    """Every entry under ``root`` is a regular file or folder; counts and depth bounded."""
    count = 0
    base_depth = len(root.parts)
    for folder, dirs, files in os.walk(root, onerror=_walk_error, followlinks=False):
        here = Path(folder)
        if len(here.parts) - base_depth > limits.max_depth:
            raise SourceError(f"folders nest deeper than {limits.max_depth} levels", path=here)
        for name in dirs + files:
            count += 1
            if count > limits.max_folder_entries:
                raise SourceError(
                    f"holds more than {limits.max_folder_entries:,} entries", path=root
                )
            entry = here / name
            info = _stat(entry)
            if stat.S_ISDIR(info.st_mode):
                if entry.is_symlink():
                    raise SourceError("a link to a folder inside the input", path=entry)
                continue
            if not stat.S_ISREG(info.st_mode):
                raise SourceError(f"is {_kind(info.st_mode)}; inputs hold files only", path=entry)
            if info.st_size > limits.max_file_bytes:
                raise SourceError(f"is {info.st_size:,} bytes; too big to read", path=entry)


def _walk_error(exc: OSError) -> None:
    raise SourceError(f"cannot read: {exc.strerror or exc}", path=exc.filename) from None


def check_zip(path: Path, limits: InputLimits = LIMITS) -> None:
    """Entry and part counts from the central directory (nothing is decompressed)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        raise ArchiveError(f"not a valid zip archive ({exc})", path=path) from None
    if len(names) > limits.max_zip_entries:
        raise ArchiveError(
            f"lists {len(names):,} entries; at most {limits.max_zip_entries:,} are read", path=path
        )
    parts = Counter(m[1] for n in names if (m := _PART.match(n.rsplit("/", 1)[-1])))
    if parts:
        stem, most = parts.most_common(1)[0]
        if most > limits.max_parts:
            raise ArchiveError(
                f"{most:,} parts of {stem}.js; at most {limits.max_parts:,} are read", path=path
            )


#: What a reader (a plugin's above all) raises when the data is not the shape it assumed.
_SHAPE_ERRORS: tuple[type[BaseException], ...] = (
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    ValueError,  # includes UnicodeError and json's errors
    RecursionError,
)


@contextmanager
def reader_errors(source: str, location: str | os.PathLike[str]) -> Iterator[None]:
    """Turn a reader's crash on data of an unexpected shape into one :class:`InputFormatError`
    naming the input: a field of the wrong type deep in a plugin's mapping must not end in a
    traceback. Errors tweetgen raises on purpose pass unchanged."""
    try:
        yield
    except SourceError:
        raise
    except _SHAPE_ERRORS as exc:
        raise InputFormatError(f"{source}: {_in_user_terms(exc)}", path=location) from None
    except Exception as exc:  # pyarrow's conversion errors (ArrowTypeError...) and the like
        if type(exc).__module__.startswith("pyarrow"):
            problem = f"{type(exc).__name__}: {first_line(exc)}"[:200]
            raise InputFormatError(
                f"{source}: a field of the wrong type in this input ({problem})", path=location
            ) from None
        raise


def _in_user_terms(exc: BaseException) -> str:
    """What a reader's crash says about the data: in words for the two a user can act on
    (deep nesting, a lone surrogate), else the exception's own line."""
    if isinstance(exc, RecursionError):
        return "data nested too deeply in this input (JSON or HTML thousands of levels deep)"
    if isinstance(exc, UnicodeEncodeError) and "surrogate" in exc.reason:
        bad = exc.object[exc.start : exc.end]
        return f"text that is not valid Unicode in this input (a lone surrogate, {bad!r})"
    problem = f"{type(exc).__name__}: {first_line(exc)}"[:200]
    return f"unexpected data in this input ({problem})"
