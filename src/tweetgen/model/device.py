"""Which torch device a run uses: training and generation resolve device names here, so both
accept the same names and refuse an unavailable one with the same one-line error."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """bf16 autocast on a GPU that supports it (or when asked), fp32 everywhere else."""
    import torch

    if precision == "fp32" or device.type == "cpu":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def synced(device: torch.device) -> float:
    """The time once the device has finished what was queued (used for timing only)."""
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def passive_omp_waits() -> None:
    """Ask OpenMP to sleep, not spin, while waiting, if torch is not loaded yet.

    With spinning threads a busy 2-core machine trained 5-25x slower with 2 threads than
    with 1; with passive waits 2 threads beat 1 (benchmarks/RESULTS.md). OpenMP reads the
    variable once, when torch loads it, so this only helps before the first ``import torch``;
    an explicit ``OMP_WAIT_POLICY`` is left alone.
    """
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run with ``threads`` CPU threads for torch (None: its default), restored afterwards."""
    if threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def tf32() -> Iterator[None]:
    """TF32 matrix products on CUDA while training (restored afterwards: library code)."""
    import torch

    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before)
