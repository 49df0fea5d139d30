"""Write files and directories so a failure never leaves half of them behind."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from tweetgen.errors import TweetgenError


@contextmanager
def atomic_dir(
    target: str | os.PathLike[str],
    *,
    replaceable: Callable[[Path], bool] | None = None,
    error: type[TweetgenError] = TweetgenError,
) -> Iterator[Path]:
    """Yield an empty temporary directory that becomes ``target`` only if the block succeeds.

    The temporary sits beside ``target`` so the final rename stays on one filesystem. An
    existing ``target`` is replaced only when it is an empty directory or ``replaceable`` says
    it is an earlier output of the same kind: ``--out`` must never delete a user's files.
    """
    target = Path(os.path.abspath(target))
    _check_replaceable(target, replaceable, error)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    tmp.chmod(0o777 & ~_umask())  # mkdtemp makes directories 0700
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _check_replaceable(
    target: Path, replaceable: Callable[[Path], bool] | None, error: type[TweetgenError]
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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(target: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``target``; rename it over ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    encoding = None if "b" in mode else "utf-8"
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
        os.chmod(name, 0o666 & ~_umask())  # mkstemp makes files 0600; give them the usual mode
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def write_json(target: str | os.PathLike[str], data: Any) -> None:
    """Pretty, UTF-8 JSON written atomically (metadata files people also read)."""
    with atomic_file(target) as handle:
        handle.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
