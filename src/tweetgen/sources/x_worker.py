"""A worker process of :mod:`tweetgen.sources.x_parallel`: ``python -m`` runs this module.

It reads its job (JSON) on standard input and answers on standard output. pyarrow imports
pandas the first time it converts a Python list, if pandas is installed: a fifth of a second
of every worker's start, for nothing (a worker hands Arrow no pandas objects). So pandas is
made unimportable here before anything converts; pyarrow then does without it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

#: How often a worker checks that its parent is alive.
ORPHAN_CHECK_SECONDS = 0.25


class NoPandas:
    """A meta path finder that refuses ``pandas`` and its submodules."""

    @staticmethod
    def find_spec(
        name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name.partition(".")[0] == "pandas":
            raise ImportError("pandas is not used in an archive worker")
        return None


def main() -> None:
    sys.meta_path.insert(0, NoPandas())
    threading.Thread(target=_stop_when_orphaned, args=(os.getppid(),), daemon=True).start()
    from tweetgen.sources.x_parallel import work

    work(json.loads(sys.stdin.buffer.read()), sys.stdout.buffer)


def _stop_when_orphaned(parent: int) -> None:
    """End this worker soon after its parent is killed (a broken pipe would tell only at
    the next write, a whole part later)."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(1)


if __name__ == "__main__":
    main()
