"""A worker process of :mod:`tweetgen.sources.x_parallel`: ``python -m`` runs this module.

It reads its job (JSON) on standard input and answers on standard output. (Refusing pandas,
which pyarrow imports on its first list conversion, saved 0.25 s of each worker's start, about
2% of the 1M ``prepare``: it went, see benchmarks/RESULTS.md.)
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

#: How often a worker checks that its parent is alive.
ORPHAN_CHECK_SECONDS = 0.25


def main() -> None:
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
