"""How many CPU cores this process may use: what parallel steps size themselves by."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """Cores this process may run on (its affinity, so containers and ``taskset`` count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
