"""On the GPU: packed blocks attend within their posts under each attention kernel the trainer
uses (SDPA with a 4-D mask for short blocks, FlexAttention document masks for long ones).

Prints one JSON line per kernel: the largest difference between a post's logits in a packed
block and the same post alone (fp32, so it should be ~1e-5), and whether it passed.
"""

from __future__ import annotations

import json

import numpy as np
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from tweetgen.training.data import Tokens, build_blocks, pack
from tweetgen.training.loading import use_flex_attention
from tweetgen.training.trainer import post_mask


def main() -> None:
    dev = "cuda" if torch.cuda.is_available() else "cpu"  # the CPU dry run checks SDPA only
    kernels = (("sdpa", 128), ("flex_attention", 1024)) if dev == "cuda" else (("sdpa", 128),)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 90, 60)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    ids = rng.integers(1, 500, offsets[-1]).astype(np.int32)
    tokens = Tokens(ids, offsets)
    for kernel, block in kernels:
        config = GPT2Config(vocab_size=512, n_positions=1024, n_embd=64, n_layer=2, n_head=2)
        model = GPT2LMHeadModel(config).to(dev).eval()
        model.set_attn_implementation("sdpa")
        if kernel == "flex_attention" and not use_flex_attention(model):
            print(
                json.dumps({"check": "attention", "kernel": kernel, "skipped": "no flex for GPT-2"})
            )
            continue
        packing = pack(tokens.lengths, block, np.random.default_rng(1))
        blocks = build_blocks(tokens, packing, block, pad_id=0)
        pos = torch.from_numpy(blocks.position_ids).to(dev)
        plain = GPT2LMHeadModel(config).to(dev).eval()  # the same weights, one post at a time
        plain.load_state_dict(model.state_dict())
        worst = 0.0
        with torch.no_grad():
            packed = model(
                input_ids=torch.from_numpy(blocks.input_ids).to(dev),
                position_ids=pos,
                attention_mask=post_mask(pos, model),
                use_cache=False,
            ).logits
            for k in range(0, len(packing.posts), 7):
                post, row, start = packing.posts[k], packing.block[k], packing.start[k]
                doc = torch.from_numpy(ids[offsets[post] : offsets[post + 1]]).to(dev)[None]
                alone = plain(input_ids=doc.long(), use_cache=False).logits[0]
                got = packed[row, start : start + doc.shape[1]]
                worst = max(worst, float((got - alone).abs().max()))
        print(
            json.dumps(
                {
                    "check": "attention",
                    "kernel": kernel,
                    "block": block,
                    "max_abs_diff": worst,
                    "ok": worst < 1e-3,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
