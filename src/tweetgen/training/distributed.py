"""Data-parallel training under ``torchrun`` (DDP): gloo on the CPU, nccl on CUDA.

Without ``torchrun`` (no ``WORLD_SIZE`` > 1 in the environment) everything here is a no-op.
Every rank computes the same batch order and takes every ``world``-th batch; rank 0 alone
writes checkpoints, the model directory and the W&B run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1
    owns_group: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()

    def close(self) -> None:
        if self.owns_group:
            import torch.distributed as dist

            dist.destroy_process_group()


def secondary_rank() -> bool:
    """Whether this process is a torchrun rank other than 0 (which writes nothing shared)."""
    return int(os.environ.get("RANK", "0")) > 0


def from_env(device: torch.device) -> tuple[Dist, torch.device]:
    """Join the process group torchrun set up (if any); each CUDA rank gets its own GPU."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return Dist(), device
    import torch
    import torch.distributed as dist

    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Dist(dist.get_rank(), dist.get_world_size(), owns), device


def wrap(model: Any, d: Dist, device: torch.device) -> Any:
    """The module to call for training steps: DDP averages gradients across ranks."""
    if d.world == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)
