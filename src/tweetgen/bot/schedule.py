"""``--every 6h``: the interval between posts, and when each post of a plan is due."""

from __future__ import annotations

import re

from tweetgen.errors import PublishError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
#: No plan runs longer than this (a typo such as 6000d would otherwise wait for decades).
MAX_EVERY_S = 30 * 86400


def parse_every(text: str) -> float:
    """Seconds in ``90s``, ``30m``, ``6h`` or ``1d``; a one-line error otherwise."""
    match = _EVERY.match(text)
    if not match:
        raise PublishError(f"--every {text!r}: expected a number and a unit: 90s, 30m, 6h, 1d")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not 1 <= seconds <= MAX_EVERY_S:
        raise PublishError(f"--every {text!r}: must be between 1s and {MAX_EVERY_S // 86400}d")
    return seconds


def due_at(started: float, every: float, slot: int) -> float:
    """When post number ``slot`` (from 0) of a plan started at ``started`` is due."""
    return started + every * slot
