"""Write files and directories so a failure never leaves half of them behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_dir(target: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[Path]:
    """Yield an empty temporary directory that becomes ``target`` only if the block succeeds.

    The temporary sits beside ``target`` so the final rename stays on one filesystem.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    tmp.chmod(0o777 & ~_umask())  # mkdtemp makes directories 0700
    try:
        yield tmp
        if target.exists():
            if not overwrite:
                raise FileExistsError(target)
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(target: str | os.PathLike[str], mode: str = "w") -> Iterator[object]:
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
