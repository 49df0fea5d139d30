"""Which weights a full fine-tune trains: all of them, or only the top transformer blocks.

Frozen lower blocks cost a forward pass and nothing else: autograd stops below the lowest
block that trains, so neither their gradients nor their optimizer state are computed (see
``TrainConfig.train_layers`` and docs/training.md, "Defaults for pretrained bases").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def blocks_of(model: torch.nn.Module) -> torch.nn.ModuleList | None:
    """The model's stack of transformer blocks: its longest ``ModuleList`` (GPT-2's ``h``,
    Llama's and Qwen2's ``layers``, GPT-NeoX's ``layers``); None when it has none."""
    import torch

    stacks = [m for m in model.modules() if isinstance(m, torch.nn.ModuleList) and len(m)]
    return max(stacks, key=len, default=None)


def train_top_blocks(model: torch.nn.Module, blocks: torch.nn.ModuleList, n: int) -> int:
    """Train the top ``n`` of ``blocks`` and the weights above them (the final norm); freeze
    the lower blocks and every embedding, the output layer included (tied to the input
    embeddings or not). Returns the number of weights that still train."""
    import torch

    model.requires_grad_(False)
    for block in list(blocks)[len(blocks) - n :]:
        block.requires_grad_(True)
    in_blocks = {id(p) for p in blocks.parameters()}
    embeddings: list[torch.nn.Module | None] = [_output_layer(model)]
    embeddings += [m for m in model.modules() if isinstance(m, torch.nn.Embedding)]
    frozen = {id(p) for m in embeddings if m is not None for p in m.parameters()}
    for param in model.parameters():
        if id(param) not in in_blocks and id(param) not in frozen:
            param.requires_grad_(True)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _output_layer(model: torch.nn.Module) -> torch.nn.Module | None:
    get = getattr(model, "get_output_embeddings", None)
    return get() if callable(get) else None
