"""Training throughput and quality, side by side in one process: same model, same corpus.

Rows (all on one base model built offline from the corpus, the same train/validation split):

* ``recipe``: the huggingtweets recipe through ``transformers.Trainer``: batch 1, 1,024-token
  blocks of the joined posts, fp32, lr 1.372e-4 cosine, no warmup.
* ``default``: ``tweetgen.Trainer`` with its defaults (only base, output and epochs given).
* ``reference`` (CUDA): a plain compiled loop, bf16 autocast, fused AdamW, 16 x 1,024 tokens of
  joined posts: the yardstick of what the model reaches on the device.
* ``large`` (``--large N``): tweetgen on the training posts repeated N times (a corpus large
  enough to fill batches and repay compiling), compiled.

Each row: tokens/s (labelled tokens; ``steady`` leaves out the first steps, where CUDA warms up
and compiling happens, as the recipe's and reference's timings do) and MFU: (6N + 6·L·C·T)
FLOPs per token over 989 TFLOP/s (H100/H200 bf16 dense), T the attended span. The recipe and
the default report held-out perplexity after the same number of epochs, both measured by the
same function (every validation post alone, as generation sees posts).

    python benchmarks/bench_train.py                         # CPU: tiny shape, the sample
    python benchmarks/bench_train.py --archive ../shared/corpora/x-archive-milahu104 \\
        --shape gpt2-124m --large 40 --out benchmarks/bench_train.h200.json
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

PEAK_FLOPS = 989e12  # H100/H200 SXM, bf16 dense
RECIPE_LR = 1.372e-4
RECIPE_BLOCK = 1024
REFERENCE_ROWS = 16
SAMPLE = Path(__file__).resolve().parents[1] / "sample" / "x-archive-sample.zip"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "x-archive-milahu104"
SHAPES = {
    # name: (tokenizer vocabulary, model vocabulary or None for the tokenizer's, layers, width)
    "tiny": (2048, None, 4, 128),
    "gpt2-124m": (8192, 50257, 12, 768),
}


def main() -> None:
    args = _parse()
    from tweetgen.pipeline import prepare

    texts = prepare("x-archive", str(args.archive)).texts
    work = Path(tempfile.mkdtemp(prefix="bench-train-"))
    from tweetgen.training.testing import corpus_from_texts

    corpus = corpus_from_texts(texts)
    base = build_base(_split(corpus).train.texts, work / "base", args.shape)
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    info = _environment(base, device, len(texts), args)
    print(json.dumps(info), flush=True)
    rows = []
    for name in args.rows.split(","):
        began = time.perf_counter()
        try:
            row = ROWS[name](base, corpus, work, args, device)
        except Exception as exc:  # one broken row must not hide the others
            row = {"row": name, "error": repr(exc)[:500]}
        row["wall_s"] = round(time.perf_counter() - began, 1)
        _add_mfu(row, info)
        print(json.dumps(row), flush=True)
        rows.append(row)
        if device == "cuda":
            torch.cuda.empty_cache()
    result = {"environment": info, "rows": rows, "ratios": _ratios(rows)}
    print(json.dumps(result["ratios"]), flush=True)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--archive", type=Path, default=SHARED if SHARED.is_dir() else SAMPLE)
    p.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--rows", default="recipe,default")
    p.add_argument("--large", type=int, default=40, help="corpus copies for the large rows")
    p.add_argument("--large-batch-tokens", type=int, help="batch_tokens of the large rows")
    p.add_argument("--reference-steps", type=int, default=40)
    p.add_argument("--out", type=Path)
    return p.parse_args()


def build_base(texts: list[str], path: Path, shape: str) -> Path:
    """A GPT-2 of ``shape`` with a BPE tokenizer trained on ``texts``, random weights."""
    from transformers import AutoModelForCausalLM

    from tweetgen.model.base import build_tiny_base

    vocab, model_vocab, layers, width = SHAPES[shape]
    build_tiny_base(
        texts,
        path,
        vocab_size=vocab,
        n_layer=layers,
        n_head=max(1, width // 64),
        n_embd=width,
        n_positions=RECIPE_BLOCK,
    )
    if model_vocab:  # GPT-2's embedding size: the model's shape, whatever the tokenizer's
        model = AutoModelForCausalLM.from_pretrained(path)
        model.resize_token_embeddings(model_vocab, mean_resizing=False)
        model.save_pretrained(path)
    return path


def _environment(base: Path, device: str, posts: int, args: argparse.Namespace) -> dict[str, Any]:
    import torch
    import transformers
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(base)
    n_params = _param_count(config)
    name = torch.cuda.get_device_name() if device == "cuda" else platform.processor() or "cpu"
    return {
        "device": name,
        "device_type": device,
        "cpu_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "shape": args.shape,
        "n_params": n_params,
        "n_layer": config.n_layer,
        "n_embd": config.n_embd,
        "vocab": config.vocab_size,
        "posts": posts,
        "archive": str(args.archive.name),
        "epochs": args.epochs,
    }


def _param_count(config: Any) -> int:
    from transformers import AutoModelForCausalLM

    with __import__("torch").device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters())


# rows ----------------------------------------------------------------------------------------


def recipe(base: Path, corpus: Any, work: Path, args: argparse.Namespace, device: str) -> dict:
    """huggingtweets: transformers.Trainer, batch 1, 1,024-token blocks, fp32."""
    split = _split(corpus)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback, TrainingArguments
    from transformers import Trainer as HFTrainer

    tok = AutoTokenizer.from_pretrained(base)
    blocks = _joined_blocks(split.train.texts, tok, RECIPE_BLOCK)
    data = [{"input_ids": b, "labels": b} for b in blocks]
    model = AutoModelForCausalLM.from_pretrained(base)
    steps = args.epochs * len(blocks)
    warm = min(10, steps // 5)
    marks: dict[int, float] = {}

    class Clock(TrainerCallback):
        def on_step_end(self, a: Any, state: Any, control: Any, **kw: Any) -> None:
            if state.global_step in (warm, steps):
                if torch.cuda.is_available():
                    torch.cuda.synchronize()
                marks[state.global_step] = time.perf_counter()

    training = TrainingArguments(
        output_dir=str(work / "recipe"),
        per_device_train_batch_size=1,
        num_train_epochs=args.epochs,
        learning_rate=RECIPE_LR,
        lr_scheduler_type="cosine",
        warmup_steps=0,
        logging_steps=100_000,
        save_strategy="no",
        report_to=[],
        disable_tqdm=True,
        seed=42,
    )
    began = time.perf_counter()
    HFTrainer(model=model, args=training, train_dataset=data, callbacks=[Clock()]).train()
    whole = time.perf_counter() - began
    tokens = (RECIPE_BLOCK - 1) * steps  # labelled: every token but a block's first
    model.save_pretrained(work / "recipe-model")
    tok.save_pretrained(work / "recipe-model")
    return {
        "row": "recipe",
        "tokens_per_s": round(tokens / whole),
        "steady_tokens_per_s": round(
            (steps - warm) * (RECIPE_BLOCK - 1) / (marks[steps] - marks[warm])
        ),
        "steps": steps,
        "batch_tokens": RECIPE_BLOCK,
        "attended_span": RECIPE_BLOCK,
        "perplexity_after": held_out_perplexity(work / "recipe-model", split, device),
    }


def default(base: Path, corpus: Any, work: Path, args: argparse.Namespace, device: str) -> dict:
    """``tweetgen.Trainer`` as a user gets it: only the base, the output and the epochs given
    (its own split of the corpus is the recipe's: validation 0.1, seed 42)."""
    return _tweetgen_row("default", corpus, base, work, device, epochs=args.epochs)


def compiled(base: Path, corpus: Any, work: Path, args: argparse.Namespace, device: str) -> dict:
    """The default row with ``compile=True`` (on a CUDA run this short, unset means off)."""
    return _tweetgen_row("compiled", corpus, base, work, device, epochs=args.epochs, compile=True)


def large(base: Path, corpus: Any, work: Path, args: argparse.Namespace, device: str) -> dict:
    """tweetgen on a corpus large enough to fill its batches: the posts repeated, compiled."""
    from tweetgen.training.testing import corpus_from_texts

    split = _split(corpus)
    big = corpus_from_texts(split.train.texts * args.large + split.validation.texts)
    settings = {"epochs": 1, "compile": device == "cuda"}  # compiling on a CPU takes minutes
    if args.large_batch_tokens:
        settings["batch_tokens"] = args.large_batch_tokens
    return _tweetgen_row("large", big, base, work, device, **settings)


def large1024(base: Path, corpus: Any, work: Path, args: argparse.Namespace, device: str) -> dict:
    """The large row with 1,024-token blocks (FlexAttention where the architecture has it;
    GPT-2 in transformers 5.17 has not, so SDPA with the 4-D post mask)."""
    from tweetgen.training.testing import corpus_from_texts

    split = _split(corpus)
    big = corpus_from_texts(split.train.texts * args.large + split.validation.texts)
    settings = {"epochs": 1, "compile": device == "cuda", "block_size": RECIPE_BLOCK}
    if args.large_batch_tokens:
        settings["batch_tokens"] = args.large_batch_tokens
    return _tweetgen_row("large1024", big, base, work, device, **settings)


def _tweetgen_row(
    name: str, corpus: Any, base: Path, work: Path, device: str, **settings: Any
) -> dict:
    from tweetgen.training.config import TrainConfig
    from tweetgen.training.trainer import Trainer

    config = TrainConfig(base_model=str(base), out_dir=work / name, **settings)
    result = Trainer(config).train(corpus)
    m = result.metrics
    row = {
        "row": name,
        "tokens_per_s": round(m["tokens_per_second"]),
        "steady_tokens_per_s": round(m.get("steady_tokens_per_second", 0.0)),
        "steps": int(m["steps"]),
        "batch_tokens": result.config.batch_tokens,
        "compiled": bool(m.get("compiled", 0.0)),
        "train_s": round(m["train_seconds"], 2),
        "attended_span": _attended_span(result.path, corpus, result.config.block_size),
        "perplexity_before": round(m["perplexity_before"], 2),
    }
    if name in ("default", "compiled"):
        row["perplexity_after"] = held_out_perplexity(result.path, _split(corpus), device)
        row["perplexity_after_trainer"] = round(m["perplexity_after"], 2)
    return row


def reference(base: Path, corpus: Any, work: Path, args: argparse.Namespace, device: str) -> dict:
    """A plain compiled loop: bf16 autocast, fused AdamW, 16 x 1,024 tokens of joined posts."""
    import torch

    split = _split(corpus)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(base)
    blocks = torch.tensor(_joined_blocks(split.train.texts, tok, RECIPE_BLOCK))
    model = AutoModelForCausalLM.from_pretrained(base, attn_implementation="sdpa")
    model = model.to(device).train()
    cuda = device == "cuda"
    opt = torch.optim.AdamW(model.parameters(), lr=RECIPE_LR, fused=cuda)
    forward = torch.compile(model) if cuda else model
    torch.backends.cuda.matmul.allow_tf32 = cuda
    gen = torch.Generator().manual_seed(0)

    def step() -> None:
        x = blocks[torch.randint(0, len(blocks), (REFERENCE_ROWS,), generator=gen)]
        x = x.to(device, non_blocking=True)
        with torch.autocast(device, dtype=torch.bfloat16, enabled=cuda):
            loss = forward(input_ids=x, labels=x, use_cache=False).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    warm = 5
    began = time.perf_counter()
    for _ in range(warm):
        step()
    if cuda:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(args.reference_steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    torch.backends.cuda.matmul.allow_tf32 = False
    tokens = args.reference_steps * REFERENCE_ROWS * (RECIPE_BLOCK - 1)
    return {
        "row": "reference",
        "steady_tokens_per_s": round(tokens / seconds),
        "warmup_s": round(t0 - began, 1),
        "batch_tokens": REFERENCE_ROWS * RECIPE_BLOCK,
        "compiled": cuda,
        "attended_span": RECIPE_BLOCK,
    }


ROWS = {
    "recipe": recipe,
    "default": default,
    "compiled": compiled,
    "reference": reference,
    "large": large,
    "large1024": large1024,
}


# measures ------------------------------------------------------------------------------------


def held_out_perplexity(model_dir: Path, split: Any, device: str) -> float:
    """Perplexity of every validation post on its own (framed as tweetgen frames posts)."""
    import torch

    from tweetgen.model.base import load_causal_lm, load_tokenizer
    from tweetgen.training.data import IGNORE, Batches, tokenize_corpus
    from tweetgen.training.trainer import post_mask

    tok = load_tokenizer(model_dir)
    model = load_causal_lm(model_dir).to(device).eval()
    tokens = tokenize_corpus(split.validation.texts, tok)
    batches = Batches(
        tokens, rows=8, block_size=128, pad_id=tok.eos_token_id, seed=0, shuffle=False
    )
    total = 0.0
    with torch.no_grad():
        for batch in batches.epoch(0):
            b = batch.to(device)
            logits = model(
                input_ids=b.input_ids,
                position_ids=b.position_ids,
                attention_mask=post_mask(b.position_ids, model),
                use_cache=False,
            ).logits.float()
            loss = torch.nn.functional.cross_entropy(
                logits.flatten(0, 1), b.targets.flatten(), ignore_index=IGNORE, reduction="sum"
            )
            total += float(loss)
    return round(math.exp(total / batches.labelled_tokens), 2)


def _split(corpus: Any) -> Any:
    return corpus.split(0.1, seed=42)


def _joined_blocks(texts: list[str], tok: Any, block: int) -> list[list[int]]:
    """The recipe's data: all posts joined by end-of-text, cut into full blocks."""
    eos = tok.eos_token
    ids = tok(eos.join(texts) + eos, add_special_tokens=False)["input_ids"]
    return [ids[i : i + block] for i in range(0, len(ids) - block + 1, block)]


def _attended_span(model_dir: Path, corpus: Any, block: int) -> float:
    """Mean keys a query attends to, times 2 (the T of 6·L·C·T): token-weighted post length."""
    import numpy as np

    from tweetgen.model.base import load_tokenizer
    from tweetgen.training.data import tokenize_corpus

    lengths = np.minimum(tokenize_corpus(corpus.texts, load_tokenizer(model_dir)).lengths, block)
    return round(float((lengths**2).sum() / lengths.sum()), 1)


def _add_mfu(row: dict[str, Any], info: dict[str, Any]) -> None:
    if info["device_type"] != "cuda" or "error" in row:
        return
    per_token = 6 * info["n_params"] + 6 * info["n_layer"] * info["n_embd"] * row["attended_span"]
    for key in ("tokens_per_s", "steady_tokens_per_s"):
        if row.get(key):
            row[key.replace("tokens_per_s", "mfu")] = round(row[key] * per_token / PEAK_FLOPS, 4)


def _ratios(rows: list[dict[str, Any]]) -> dict[str, float]:
    by = {r["row"]: r for r in rows if "error" not in r}
    out: dict[str, float] = {}
    if "recipe" in by and "default" in by:
        r, d = by["recipe"], by["default"]
        out["default_over_recipe_tokens_per_s"] = round(d["tokens_per_s"] / r["tokens_per_s"], 2)
        out["default_over_recipe_steady"] = round(
            d["steady_tokens_per_s"] / r["steady_tokens_per_s"], 2
        )
        out["perplexity_recipe"] = r["perplexity_after"]
        out["perplexity_default"] = d["perplexity_after"]
    return out


if __name__ == "__main__":
    main()
