"""Where the packed GPT-2 124M steps lose time on the GPU: three variants of one plain loop.

The same model, batches (256 x 128 tokens of posts of 8-64 tokens, positions restarting per
post), bf16 autocast, fused AdamW. Variants: the trainer's (each GPT2Block compiled, a 4-D
mask from ``post_mask``, compiled loss), the whole model compiled with that mask, and the whole
model compiled with transformers inferring the mask from ``position_ids`` (the issue's probe).
Prints one JSON line per variant: steady tokens/s and MFU (6N + 6·L·C·T, T = 36).
"""

from __future__ import annotations

import json
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from tweetgen.training.trainer import post_mask, token_loss

ROWS, BLOCK, PEAK, SPAN = 256, 128, 989e12, 36


def positions(gen: torch.Generator) -> torch.Tensor:
    pos = torch.empty(ROWS, BLOCK, dtype=torch.long)
    for r in range(ROWS):
        i = 0
        while i < BLOCK:
            n = min(int(torch.randint(8, 65, (1,), generator=gen)), BLOCK - i)
            pos[r, i : i + n] = torch.arange(n)
            i += n
    return pos


def run(name: str, whole: bool, own_mask: bool) -> None:
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(activation_function="gelu_pytorch_tanh")).cuda().train()
    model.set_attn_implementation("sdpa")
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    if whole:
        forward, loss_fn = torch.compile(model), token_loss
    else:  # each GPT2Block compiled alone (what tweetgen did before this probe)
        for block in model.transformer.h:
            block.compile(dynamic=False)
        forward, loss_fn = model, torch.compile(token_loss)
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 50257, (ROWS, BLOCK), generator=gen).cuda()
    pos = positions(gen).cuda()

    def step() -> None:
        mask = post_mask(pos, model) if own_mask else None
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = forward(input_ids=x, position_ids=pos, attention_mask=mask, use_cache=False)
            loss = loss_fn(logits.logits, x) / x.numel()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, foreach=True)
        opt.step()
        opt.zero_grad(set_to_none=True)

    began = time.perf_counter()
    for _ in range(4):
        step()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(15):
        step()
    torch.cuda.synchronize()
    tps = 15 * ROWS * BLOCK / (time.perf_counter() - t0)
    flops = 6 * n_params + 6 * 12 * 768 * SPAN
    print(
        json.dumps(
            {
                "probe": name,
                "tokens_per_s": round(tps),
                "mfu": round(tps * flops / PEAK, 4),
                "warmup_s": round(t0 - began, 1),
            }
        ),
        flush=True,
    )


for args in (
    ("blocks+own-mask", False, True),
    ("whole+own-mask", True, True),
    ("whole+hf-mask", True, False),
):
    try:
        run(*args)
    except Exception as exc:  # one broken variant must not hide the others
        print(json.dumps({"probe": args[0], "error": repr(exc)[:300]}), flush=True)
    torch.cuda.empty_cache()
