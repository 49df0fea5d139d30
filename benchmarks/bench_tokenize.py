"""Tokenize + pack benchmark: ``tokenize_corpus`` beside the Rust batch encode it replaced.

Two corpora of N posts, both tokenized with the byte-level BPE that ``bench_ingest.py`` trains
(4,096 tokens, on the first 5,000 posts):

* ``archive``: what ``bench_ingest.py --posts M`` tokenizes: the bundled sample's posts that
  the default filters keep, resampled (an M-post archive keeps about 0.84 M). Texts repeat
  about 2,000 times each at 1M, so every distinct word is met early.
* ``distinct``: posts that never repeat: words of the sample's posts drawn by a Zipf law plus
  0-3 one-off tokens per post (random handles, tags, numbers) and some emoji/CJK, so the set of
  distinct words keeps growing, as in a real archive.

For each, in one process: ``tokenize_corpus`` (the library), the previous implementation (Rust
``encode_batch_fast`` per chunk of 50,000 texts, ids flattened and framed), a check that both
give the same ids and offsets, and ``pack`` + ``build_blocks`` for one epoch. Wall and CPU
seconds per stage, load average before and after::

    python benchmarks/bench_tokenize.py --posts 837000 --json benchmarks/results/tokenize-1m.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import BLOCK_SIZE, SAMPLE, tokenizer_for

BASELINE_CHUNK = 50_000


def kept_sample_texts() -> list[str]:
    from tweetgen import Corpus
    from tweetgen.pipeline import default_filters

    return list(Corpus.from_source("x-archive", str(SAMPLE)).filter(*default_filters()).texts)


def archive_texts(n: int, kept: list[str]) -> list[str]:
    rng = random.Random(0)
    return [rng.choice(kept) for _ in range(n)]


def distinct_texts(n: int, kept: list[str]) -> list[str]:
    rng = random.Random(0)
    vocab = sorted({w for t in kept for w in t.split()})
    rng.shuffle(vocab)
    weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(vocab))))
    extra = ["😀", "🎉🔥", "❤️", "👍🏽", "日本語の", "中文字", "한국어", "naïve", "‘q’"]
    alphabet = string.ascii_letters + string.digits
    out = []
    for _ in range(n):
        words = rng.choices(vocab, cum_weights=weights, k=rng.randint(3, 30))
        for _ in range(rng.randint(0, 3)):
            token = "".join(rng.choices(alphabet, k=rng.randint(3, 12)))
            words.insert(rng.randrange(len(words) + 1), rng.choice("#@$ ").strip() + token)
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words) + 1), rng.choice(extra))
        out.append(rng.choice([" ", " ", " ", "  ", "\n"]).join(words))
    return out


def baseline(texts: list[str], tokenizer: Any) -> Any:
    """The previous ``tokenize_corpus``: Rust batch encode per chunk, framed by numpy."""
    from tweetgen.training.data import Tokens, _frame

    backend, eos = tokenizer.backend_tokenizer, int(tokenizer.eos_token_id)
    parts, lengths = [], []
    for start in range(0, len(texts), BASELINE_CHUNK):
        encoded = [
            e.ids
            for e in backend.encode_batch_fast(
                texts[start : start + BASELINE_CHUNK], add_special_tokens=False
            )
        ]
        sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        flat = np.fromiter(
            (t for ids in encoded for t in ids), dtype=np.int32, count=int(sizes.sum())
        )
        parts.append(_frame(flat, sizes, eos))
        lengths.append(sizes + 2)
    sizes = np.concatenate(lengths)
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return Tokens(np.concatenate(parts), offsets)


def rust_calls(texts: list[str], tokenizer: Any) -> dict[str, Any]:
    """The other ways to call the Rust tokenizer, each over all ``texts``: its plain
    ``encode_batch`` (offsets too), and the transformers tokenizer called on batches of 1,000
    as ``datasets.map(batched=True)`` calls it (same ids; no framing, so an upper bound)."""
    backend = tokenizer.backend_tokenizer
    out: dict[str, Any] = {}
    out["encode_batch"], _ = measured(
        lambda: [
            backend.encode_batch(texts[i : i + BASELINE_CHUNK], add_special_tokens=False)
            for i in range(0, len(texts), BASELINE_CHUNK)
        ]
    )
    out["tokenizer_call_batched_1000"], _ = measured(
        lambda: [
            tokenizer(texts[i : i + 1000], add_special_tokens=False)["input_ids"]
            for i in range(0, len(texts), 1000)
        ]
    )
    return out


def measured(fn: Callable[[], Any]) -> tuple[dict[str, float], Any]:
    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    wall, used = time.perf_counter(), cpu()
    value = fn()
    wall, used = time.perf_counter() - wall, cpu() - used
    return {"seconds": round(wall, 3), "cpu_seconds": round(used, 3)}, value


def run(name: str, texts: list[str], skip_baseline: bool, calls: bool) -> dict[str, Any]:
    from tweetgen.training import data

    tokenizer = tokenizer_for(texts)
    out: dict[str, Any] = {"corpus": name, "posts": len(texts)}
    out["chars"] = sum(map(len, texts))
    out["load_average_before"] = os.getloadavg()
    out["tokenize"], tokens = measured(lambda: data.tokenize_corpus(texts, tokenizer))
    out["tokens"] = len(tokens.ids)

    def epoch() -> Any:
        packing = data.pack(tokens.lengths, BLOCK_SIZE, np.random.default_rng(0))
        return data.build_blocks(tokens, packing, BLOCK_SIZE, int(tokenizer.eos_token_id))

    out["pack"], blocks = measured(epoch)
    out["pack"]["blocks"] = len(blocks)
    out["tokenize_plus_pack_seconds"] = out["tokenize"]["seconds"] + out["pack"]["seconds"]
    if not skip_baseline:
        out["baseline_rust_batch"], before = measured(lambda: baseline(texts, tokenizer))
        out["identical_to_baseline"] = bool(
            np.array_equal(before.ids, tokens.ids)
            and np.array_equal(before.offsets, tokens.offsets)
        )
        out["speedup_tokenize"] = out["baseline_rust_batch"]["seconds"] / out["tokenize"]["seconds"]
    if calls:
        out["rust_calls"] = rust_calls(texts, tokenizer)
    out["load_average_after"] = os.getloadavg()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=837_000, help="posts to tokenize")
    parser.add_argument("--corpus", choices=["archive", "distinct", "both"], default="both")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--rust-calls", action="store_true", help="time other Rust calls too")
    parser.add_argument("--group", type=int, help="pieces.GROUP: new pieces per Rust call")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    if args.group:
        from tweetgen.training import pieces

        pieces.GROUP = args.group
    kept = kept_sample_texts()
    makers = {"archive": archive_texts, "distinct": distinct_texts}
    names = list(makers) if args.corpus == "both" else [args.corpus]
    results: dict[str, Any] = {"cpus": os.cpu_count(), "runs": []}
    for name in names:
        r = run(name, makers[name](args.posts, kept), args.skip_baseline, args.rust_calls)
        results["runs"].append(r)
        line = f"{name:>9} {r['posts']:,} posts, {r['tokens']:,} tokens: tokenize"
        line += f" {r['tokenize']['seconds']:.2f} s + pack {r['pack']['seconds']:.2f} s"
        if "baseline_rust_batch" in r:
            line += f"; Rust batch encode {r['baseline_rust_batch']['seconds']:.2f} s"
            line += f" ({r['speedup_tokenize']:.1f}x), identical: {r['identical_to_baseline']}"
        for call, spent in r.get("rust_calls", {}).items():
            line += f"; {call} {spent['seconds']:.2f} s"
        print(line + f"  [load {r['load_average_before'][0]:.1f}]", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
