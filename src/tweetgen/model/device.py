"""Which torch device a run uses: training and generation resolve device names here, so both
accept the same names and refuse an unavailable one with the same one-line error."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tweetgen.errors import TrainingError, TweetgenError

if TYPE_CHECKING:
    import torch

DEVICES = ("auto", "cpu", "cuda", "mps")


def check_device(name: Any, error: type[TweetgenError] = TrainingError) -> str:
    """``name`` when it is a device tweetgen knows (``auto``, ``cpu``, ``cuda[:N]``, ``mps``)."""
    if not isinstance(name, str) or not (name in DEVICES or re.fullmatch(r"cuda:[0-9]+", name)):
        raise error(f"device must be one of {', '.join(DEVICES)} or cuda:N, got {name!r}")
    return name


def resolve_device(name: Any, *, error: type[TweetgenError] = TrainingError) -> torch.device:
    """The torch device for a checked ``name``; ``auto`` picks cuda, then mps, then cpu.

    Training and generation both resolve devices here, so both accept the same names and
    refuse an unavailable one with the same one-line error.
    """
    import torch

    check_device(name, error)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if torch.backends.mps.is_available() else "cpu")
    if name.startswith("cuda"):
        index = int(name.partition(":")[2] or 0)
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise error(f"device {name!r} requested but that CUDA device is not available")
    if name == "mps" and not torch.backends.mps.is_available():
        raise error("device 'mps' requested but MPS is not available")
    return torch.device(name)
