"""Seconds of one training step of a pretrained base on the CPU, per way of training it.

Random token blocks, the trainer's own attention mask (posts of ``post`` tokens) and loss;
forward, backward and optimizer step timed apart, the mean of ``STEPS`` steps after one warm-up
step. Each spec is ``key=value`` pairs joined by commas, specs joined by ``;``:

* ``rows`` (blocks a step, 1), ``block`` (tokens a block, 128), ``post`` (tokens a post, 16);
* ``mask=none``: one dense block, no mask (the huggingtweets recipe: ``rows=1,block=1024``);
* ``top=N``: train only the top N blocks and the final norm (``TrainConfig.train_layers``);
  ``embeddings=frozen``: freeze the embeddings (and a tied output layer) with every block
  training;
* ``opt``: the AdamW implementation: ``trainer`` (what the trainer builds: fused on the CPU),
  ``fused``, ``foreach`` or ``loop`` (the for-loop one);
* ``lora=R``: LoRA adapters of rank R on every linear layer (``tweetgen-lora``); with ``top``,
  on the top N blocks only.

    flock /work/bench.lock .venv/bin/python benchmarks/bench_cpu_step.py \\
        "rows=1;rows=1,block=1024,mask=none;rows=8;rows=8,top=15;rows=1,top=15"
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads (see RESULTS.md)

STEPS = int(os.environ.get("STEPS", "3"))


def build(path: str, opts: dict[str, str]) -> Any:
    """The base with the spec's weights left to train."""
    import torch

    from tweetgen.model import base as base_model
    from tweetgen.training import layers

    torch.manual_seed(0)
    model = base_model.load_causal_lm(path)
    base_model.fuse_activation(model)
    blocks = layers.blocks_of(model)
    assert blocks is not None
    top = int(opts.get("top", len(blocks)))
    if opts.get("lora"):
        from peft import LoraConfig, get_peft_model
        from tweetgen_lora.trainer import linear_layer_names

        config = LoraConfig(
            r=int(opts["lora"]),
            lora_alpha=16,
            lora_dropout=0.05,
            target_modules=linear_layer_names(model),
            layers_to_transform=list(range(len(blocks) - top, len(blocks))),
        )
        return get_peft_model(model, config)
    if top < len(blocks) or opts.get("embeddings") == "frozen":
        layers.train_top_blocks(model, blocks, top)
    return model


def time_steps(model: Any, opts: dict[str, str]) -> dict[str, float]:
    """Mean seconds of forward, backward and optimizer step."""
    import torch

    from tweetgen.training.trainer import adamw, post_mask, token_loss

    rows, block = int(opts.get("rows", 1)), int(opts.get("block", 128))
    ids = torch.randint(100, 40000, (rows, block))
    positions = (torch.arange(block) % int(opts.get("post", 16))).expand(rows, block)
    targets = ids.clone()
    targets[:, -1] = -100
    params = [p for p in model.parameters() if p.requires_grad]
    kind = opts.get("opt", "trainer")
    if kind == "trainer":  # what the trainer builds (fused on the CPU)
        optimizer = adamw(params, 1e-5, 0.0, torch.device("cpu"))
    else:
        flags = {"fused": {"fused": True}, "foreach": {"foreach": True}, "loop": {"foreach": False}}
        optimizer = torch.optim.AdamW(params, lr=1e-5, **flags[kind])
    model.train()
    times = []
    for step in range(STEPS + 1):
        t0 = time.perf_counter()
        masked = opts.get("mask") != "none"
        mask = post_mask(positions, model) if masked else None
        logits = model(
            input_ids=ids,
            position_ids=positions if masked else None,
            attention_mask=mask,
            use_cache=False,
        ).logits
        loss = token_loss(logits, targets)
        t1 = time.perf_counter()
        (loss / targets.numel()).backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(params, 1.0, foreach=True)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step:  # the first step allocates the optimizer state
            times.append((t1 - t0, t2 - t1, time.perf_counter() - t2))
    forward, backward, update = (sum(x) / len(times) for x in zip(*times, strict=True))
    return {"fwd": forward, "bwd": backward, "opt": update, "tokens": rows * block}


def main() -> None:
    from tweetgen.model import gguf

    path = str(gguf.gguf_base_dir(os.environ.get("BASE", "smollm2-135m")))
    for spec in sys.argv[1].split(";"):
        opts = dict(kv.split("=", 1) for kv in spec.split(",") if kv)
        found = time_steps(build(path, opts), opts)
        seconds = found["fwd"] + found["bwd"] + found["opt"]
        row = {k: round(v, 3) for k, v in found.items()}
        row |= {"tok_s": round(found["tokens"] / seconds, 1), "load": os.getloadavg()[0]}
        print(json.dumps({"spec": spec, **row}), flush=True)


if __name__ == "__main__":
    main()
