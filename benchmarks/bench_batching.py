"""Training throughput of the three ways to batch posts (not a test; see RESULTS.md).

* ``packed``: posts bin-packed into blocks of ``--block`` tokens, attention kept within posts
  (what ``TrainConfig(packing=True)`` does),
* ``padded``: ``--batch`` posts of similar length, right-padded (``packing=False``),
* ``seed``: one post per step, batch size 1 (the seed's recipe, no padding at all).

Tokens/s counts labelled tokens only (padding is not work done). Rounds interleave the modes so
that a machine whose load changes treats them alike; the median round is reported.

    python benchmarks/bench_batching.py                       # tiny model, CPU
    python benchmarks/bench_batching.py --model gpt2-124m --device cuda --precision bf16
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from tweetgen.corpus import Corpus
from tweetgen.pipeline import default_filters
from tweetgen.training.base_model import build_tiny_base, load_tokenizer
from tweetgen.training.data import Batch, Batches, encode_posts
from tweetgen.training.trainer import token_loss

SAMPLE = Path(__file__).resolve().parents[1] / "sample" / "x-archive-sample.zip"


def load_texts(archive: Path) -> list[str]:
    corpus = Corpus.from_source("x-archive", str(archive))
    return corpus.filter(*default_filters()).texts


def build_model(args: argparse.Namespace, vocab: int) -> Any:
    if args.model == "gpt2-124m":  # GPT-2 small's shape, random weights (offline)
        config = GPT2Config(n_positions=1024)
    else:
        sizes = {"n_embd": args.embd, "n_layer": args.layers, "n_head": args.heads}
        config = GPT2Config(vocab_size=vocab, n_positions=max(args.block, 128), **sizes)
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    return GPT2LMHeadModel(config).to(args.device).train()


def step(model: Any, optimizer: Any, batch: Batch, args: argparse.Namespace) -> int:
    batch = batch.to(args.device)
    dtype = torch.bfloat16 if args.precision == "bf16" else None
    with torch.autocast(args.device.split(":")[0], dtype=dtype, enabled=dtype is not None):
        logits = model(**batch.model_inputs(), use_cache=False).logits
    loss = token_loss(logits, batch.labels) / batch.tokens
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return batch.tokens


def batches_for(mode: str, docs: list[list[int]], args: argparse.Namespace, pad: int) -> Any:
    """``packed``, ``padded`` or ``seed``, optionally with a batch size: ``padded:32``."""
    name, _, size_text = mode.partition(":")
    packing = name == "packed"
    size = int(size_text) if size_text else (1 if name == "seed" else args.batch)
    return Batches(
        docs, batch_size=size, block_size=args.block, packing=packing, pad_id=pad, seed=0
    )


def measure(model: Any, batches: Batches, args: argparse.Namespace, round_: int) -> float:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    it = batches.epoch(round_)
    for _ in range(args.warmup):
        step(model, optimizer, next(it), args)
    tokens, began = 0, time.perf_counter()
    for _, batch in zip(range(args.steps), it, strict=False):
        tokens += step(model, optimizer, batch, args)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    return tokens / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["tiny", "gpt2-124m"], default="tiny")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--block", type=int, default=128)
    parser.add_argument("--embd", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per mode and round")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="packed,padded,padded:32,seed")
    parser.add_argument("--archive", type=Path, default=SAMPLE)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    texts = load_texts(args.archive)
    base = build_tiny_base(texts, Path("build/bench-base"), vocab_size=args.vocab)
    tokenizer = load_tokenizer(base)
    docs = encode_posts(texts, tokenizer, args.block)
    model = build_model(args, len(tokenizer))
    modes = args.modes.split(",")
    feeds = {m: batches_for(m, docs, args, tokenizer.eos_token_id) for m in modes}
    results: dict[str, list[float]] = {m: [] for m in modes}
    for r in range(args.rounds):
        for mode in modes:
            results[mode].append(measure(model, feeds[mode], args, r))

    params = sum(p.numel() for p in model.parameters()) / 1e6
    print(
        f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"threads {torch.get_num_threads()}, device {args.device}, {args.precision}"
    )
    print(
        f"model: {args.model} ({params:.1f}M params), posts {len(docs)}, "
        f"block {args.block}, batch {args.batch}"
    )
    print("| mode | tokens/s (median) | rounds |")
    print("|---|---:|---|")
    for mode, values in results.items():
        rounds = ", ".join(f"{v:,.0f}" for v in values)
        print(f"| {mode} | {statistics.median(values):,.0f} | {rounds} |")


if __name__ == "__main__":
    main()
