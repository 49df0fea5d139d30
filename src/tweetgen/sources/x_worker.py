"""A worker process of :mod:`tweetgen.sources.x_parallel`: ``python -m`` runs this module.

It reads its job (JSON) on standard input and answers on standard output. pyarrow imports
pandas the first time it converts a Python list, if pandas is installed: a fifth of a second
of every worker's start, for nothing (a worker hands Arrow no pandas objects). So pandas is
made unimportable here before anything converts; pyarrow then does without it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType


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
    from tweetgen.sources.x_parallel import work

    work(json.loads(sys.stdin.buffer.read()), sys.stdout.buffer)


if __name__ == "__main__":
    main()
