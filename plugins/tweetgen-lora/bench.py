"""LoRA vs full fine-tuning on the tiny base: held-out perplexity, speed and output size.

    .venv/bin/python plugins/tweetgen-lora/bench.py \
        --target ../shared/corpora/fortunes/zippy --out build/lora-bench

Two settings, each trained both ways with the same data, split, seed and epochs:

* ``pretrained``: a tiny GPT-2 is first trained (fully) on the bundled sample archive and the
  other fortune files beside the target, then fine-tuned on the target posts: the situation
  LoRA is made for (adapt a general base to one voice).
* ``scratch``: the randomly initialised tiny base itself, where the full trainer learns
  everything and LoRA can only steer a random network (expect it to lose badly).

Speed is reported twice: tokens per wall-clock second (the trainer's own metric) and per
CPU-second of this process, which varies much less when other work shares the machine.
Results go to ``OUT/results.json`` and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from tweetgen_lora import LoraTrainer

from tweetgen import Trainer
from tweetgen.corpus.corpus import Corpus
from tweetgen.pipeline import default_filters, prepare
from tweetgen.training.config import TrainConfig
from tweetgen.training.testing import corpus_from_texts

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample" / "x-archive-sample.zip"


def fortunes(path: Path) -> Corpus:
    """A fortune file (entries separated by ``%`` lines) as one author's cleaned posts."""
    entries = [e.strip() for e in path.read_text(encoding="utf-8").split("\n%\n")]
    corpus = corpus_from_texts([e for e in entries if e and e != "%"], author=path.name)
    return corpus.filter(*default_filters())


def pretraining_corpus(target: Path) -> Corpus:
    """The bundled sample plus every other fortune file in the target's directory."""
    corpora = [prepare("x-archive", str(SAMPLE))]
    for path in sorted(target.parent.iterdir()):
        if path != target and path.is_file() and "." not in path.name:
            corpora.append(fortunes(path))
    return Corpus.merge(corpora)


class CpuClock:
    """CPU seconds of this process spent in training steps (between consecutive step events)."""

    def __init__(self) -> None:
        self.seconds, self.steps, self.last, self.last_stage = 0.0, 0, time.process_time(), ""

    def __call__(self, event: Any) -> None:
        now = time.process_time()
        if event.stage == "train" and self.last_stage == "train":
            self.seconds += now - self.last
            self.steps += 1
        self.last, self.last_stage = now, event.stage


def run(name: str, trainer: Trainer, corpus: Corpus) -> dict[str, Any]:
    clock = CpuClock()
    result = trainer.train(corpus, progress=clock)
    m = result.metrics
    files = {p.name: p.stat().st_size for p in result.path.iterdir() if p.is_file()}
    weights = files.get("adapter_model.safetensors") or files.get("model.safetensors", 0)
    keep = ("perplexity_before", "perplexity_after", "train_seconds", "tokens_per_second")
    row = {"run": name, **{k: m[k] for k in keep}, "weights_bytes": weights}
    tokens_per_step = m["train_tokens"] * m["epochs"] / m["steps"]
    row["tokens_per_cpu_second"] = tokens_per_step * clock.steps / max(clock.seconds, 1e-9)
    print(f"  {name}: {json.dumps(row)}", file=sys.stderr)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--target", type=Path, default=ROOT.parent / "shared/corpora/fortunes/zippy"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "lora-bench")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--base-epochs", type=int, default=10)
    parser.add_argument("--full-lr", type=float, nargs="+", default=[1.372e-4, 5e-4, 2e-3])
    parser.add_argument("--lora-lr", type=float, nargs="+", default=[2e-3, 1e-2, 3e-2])
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    common = {"device": "cpu", "threads": args.threads, "seed": 0, "block_size": 128}
    common |= {"epochs": args.epochs}

    target = fortunes(args.target)
    base_dir = args.out / "base"
    pretrain = TrainConfig(
        base_model="tiny", out_dir=base_dir, **common | {"epochs": args.base_epochs}
    )
    rows = [
        {"setting": "base", **run("pretrain", Trainer(pretrain), pretraining_corpus(args.target))}
    ]
    print(f"target: {args.target} ({len(target)} posts)", file=sys.stderr)
    plan = [("full", lr) for lr in args.full_lr] + [("lora", lr) for lr in args.lora_lr]
    for setting, base in (("pretrained", str(base_dir)), ("scratch", "tiny")):
        for kind, lr in plan:
            out = args.out / f"{setting}-{kind}-{lr:g}"
            config = TrainConfig(base_model=base, out_dir=out, **common, learning_rate=lr)
            trainer = Trainer(config) if kind == "full" else LoraTrainer(config, rank=args.rank)
            row = run(f"{setting} {kind} lr={lr:g}", trainer, target)
            rows.append({"setting": setting, "trainer": kind, "lr": lr, **row})

    env = {"python": platform.python_version(), "cpu_count": os.cpu_count(), "args": vars(args)}
    results = {"env": {k: str(v) for k, v in env.items()}, "rows": rows}
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| base | trainer | lr | held-out ppl | train s | tokens/s | tokens/CPU-s | weights |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows[1:]:
        print(
            f"| {r['setting']} | {r['trainer']} | {r['lr']:g} | {r['perplexity_before']:,.0f} → "
            f"{r['perplexity_after']:,.1f} | {r['train_seconds']:.0f} | "
            f"{r['tokens_per_second']:,.0f} | {r['tokens_per_cpu_second']:,.0f} | "
            f"{r['weights_bytes'] / 1e6:.2f} MB |"
        )


if __name__ == "__main__":
    main()
