"""Quality of a fine-tune on four voices, tweetgen's defaults against the huggingtweets recipe.

The voices are the four files of ``../shared/corpora/fortunes`` (read SOURCE.md there): entries
split at ``%`` lines, line breaks joined (they only wrap an 80-column terminal), kept when at
most 280 characters (a post). Each voice is split 90/10 (seed 42); the 10% is never trained on.
Training posts are capped (``--train-posts``, the first of the shuffled 90%; the trainer holds
10% of them out for its own validation, and the recipe trains on the same 90% of the cap).

Methods, each trained on every voice:

* ``default``: ``tweetgen.Trainer`` on the pretrained base with only base, output and epochs
  given (the defaults this benchmark chose);
* ``recipe``: huggingtweets through ``transformers.Trainer``: batch 1, 1,024-token blocks of
  the posts joined by end-of-text, lr 1.372e-4 cosine, fp32, the same base and epochs;
* ``tiny``: ``tweetgen.Trainer`` with ``--base-model tiny`` and its own defaults (20 epochs).

Reported in one JSON document: bits per character of every model on every voice's held-out
posts (a 4x4 table per method), the share of ``--samples`` samples that are near-copies of a
training post (tweetgen.model.novelty's rule), length KS against the voice's posts, distinct-1/2,
training tokens/s, and the targets of issue 16 with pass/fail.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/bench_quality.py --out benchmarks/results/quality.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads (see RESULTS.md)

ROOT = Path(__file__).resolve().parents[1]
FORTUNES = ROOT.parent / "shared" / "corpora" / "fortunes"
VOICES = ("bofh-excuses", "computers", "platitudes", "zippy")
MAX_CHARS = 280
RECIPE_LR = 1.372e-4
RECIPE_BLOCK = 1024
SEED = 42
#: Tokens a sample may run to: 280 characters are about 70 tokens of English, and a batch of
#: samples runs until its longest one stops.
MAX_NEW_TOKENS = 96


def read_voice(path: Path) -> list[str]:
    """The entries of one fortune file, each on one line, at most 280 characters, unique."""
    text = path.read_text(encoding="utf-8", errors="replace")
    entries = (" ".join(part.split()) for part in re.split(r"^%[ \t]*$", text, flags=re.M))
    seen: dict[str, None] = {}
    for entry in entries:
        if entry and len(entry) <= MAX_CHARS:
            seen.setdefault(entry, None)
    return list(seen)


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fortunes", type=Path, default=FORTUNES, help="the voices' folder")
    p.add_argument("--base", default="smollm2-135m", help="pretrained base (name or folder)")
    p.add_argument("--methods", default="default,recipe,tiny")
    p.add_argument("--voices", default=",".join(VOICES))
    p.add_argument("--train-posts", type=int, default=150, help="cap per voice")
    p.add_argument("--held-out", type=int, default=45, help="held-out posts scored per voice")
    p.add_argument("--samples", type=int, default=100)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--trainer", default="full", help="trainer plugin of the default method")
    p.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        help="KEY=VALUE for the default method's TrainConfig (sweeps)",
    )
    p.add_argument("--variant", action="append", default=[], metavar="KEY=VALUE[,KEY=VALUE]",
                   help="also sample the default method's models with these generation "
                   "settings (e.g. min_length=0)")  # fmt: skip
    p.add_argument("--work", type=Path, help="where models go (default: a temporary folder)")
    p.add_argument("--out", type=Path)
    p.add_argument("--render", type=Path, help="print a results file as Markdown tables")
    p.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        help="results files of methods run side "
        "by side (same caps): one file with every method and the targets, to --out",
    )
    return p.parse_args()


def main() -> None:
    args = _parse()
    if args.render:
        print(markdown(json.loads(args.render.read_text())))
        return
    if args.merge:
        merge(args.merge, args.out)
        return
    voices = load_voices(args)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-quality-"))
    result: dict[str, Any] = {"environment": _environment(args, voices), "methods": {}}
    began = time.perf_counter()
    for method in args.methods.split(","):
        t0 = time.perf_counter()
        models = {v: train(method, args, voices[v], work / method / v) for v in voices}
        row = measure(method, models, voices, args)
        row["wall_s"] = round(time.perf_counter() - t0, 1)
        result["methods"][method] = row
        print(json.dumps({method: _short(row)}), flush=True)
        result["targets"] = targets(result["methods"])
        result["wall_s"] = round(time.perf_counter() - began, 1)
        if args.out:  # after each method: a run cut short keeps what it measured
            args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["targets"], indent=2))


def merge(files: list[Path], out: Path | None) -> None:
    """Methods run in separate processes at the same time (so under the same load): one
    result, targets recomputed; each file's environment kept."""
    parts = [json.loads(f.read_text()) for f in files]
    result: dict[str, Any] = {"environment": parts[0]["environment"], "methods": {}}
    result["runs"] = [
        {"file": f.name, **p["environment"]} for f, p in zip(files, parts, strict=True)
    ]
    for part in parts:
        result["methods"] |= part["methods"]
    result["targets"] = targets(result["methods"])
    result["wall_s"] = max(p.get("wall_s", 0) for p in parts)
    text = json.dumps(result, indent=2) + "\n"
    if out:
        out.write_text(text)
    print(json.dumps(result["targets"], indent=2))


def load_voices(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Per voice: all posts, the held-out posts scored, the posts trained on."""
    from tweetgen.training.testing import corpus_from_texts

    voices = {}
    for name in args.voices.split(","):
        posts = read_voice(args.fortunes / name)
        split = corpus_from_texts(posts, author=name).split(0.1, seed=SEED)
        train = split.train.texts[: args.train_posts]
        corpus = corpus_from_texts(train, author=name)
        trainer_train = corpus.split(0.1, seed=SEED).train.texts  # what the trainer learns
        voices[name] = {
            "posts": posts,
            "held_out": split.validation.texts[: args.held_out],
            "corpus": corpus,
            "train": trainer_train,
        }
    return voices


# training ------------------------------------------------------------------------------------


def train(method: str, args: argparse.Namespace, voice: dict[str, Any], out: Path) -> dict:
    began = time.perf_counter()
    if method == "recipe":
        row = train_recipe(args, voice, out)
    else:
        row = train_tweetgen(method, args, voice, out)
    row["wall_s"] = round(time.perf_counter() - began, 1)
    print(json.dumps({"trained": str(out), **row}), flush=True)
    return row


def train_tweetgen(method: str, args: argparse.Namespace, voice: dict[str, Any], out: Path) -> dict:
    from tweetgen.plugins import get_trainer_class
    from tweetgen.training.config import TrainConfig

    settings: dict[str, Any] = {"out_dir": str(out), "seed": SEED, "device": "cpu"}
    if method == "tiny":
        settings["base_model"] = "tiny"
    else:
        settings |= {"base_model": args.base, "epochs": args.epochs}
        settings |= {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.settings)}
    trainer = get_trainer_class("full" if method == "tiny" else args.trainer)
    result = trainer(TrainConfig.from_settings(settings)).train(voice["corpus"])
    m = result.metrics
    return {
        "path": str(result.path),
        "tokens_per_s": m["tokens_per_second"],
        "train_s": m["train_seconds"],
        "train_tokens": m["train_tokens"] * m["epochs"],
        "steps": int(m["steps"]),
        "epochs": result.config.epochs,
        "learning_rate": result.config.learning_rate,
        "batch_tokens": result.config.batch_tokens,
        "block_size": result.config.block_size,
        "train_layers": result.config.train_layers,
    }


def resolved_base(name: str) -> str:
    """The base folder the recipe loads: tweetgen's own resolution of ``name``."""
    from tweetgen.model import gguf
    from tweetgen.model.base import resolve_base_model

    base = resolve_base_model(name)
    return str(gguf.gguf_base_dir(base)) if gguf.is_gguf_base(base) else base


def train_recipe(args: argparse.Namespace, voice: dict[str, Any], out: Path) -> dict:
    """huggingtweets: transformers.Trainer, batch 1, 1,024-token blocks of joined posts."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainingArguments
    from transformers import Trainer as HFTrainer

    from tweetgen.model.finish import write_generation_config

    base = resolved_base(args.base)
    tok = AutoTokenizer.from_pretrained(base)
    eos = tok.eos_token
    ids = tok(eos.join(voice["train"]) + eos, add_special_tokens=False)["input_ids"]
    model = AutoModelForCausalLM.from_pretrained(base)
    size = min(RECIPE_BLOCK, getattr(model.config, "max_position_embeddings", RECIPE_BLOCK))
    blocks = [ids[i : i + size] for i in range(0, len(ids), size)]
    data = [{"input_ids": b, "labels": b} for b in blocks]  # the last block may be short
    training = TrainingArguments(
        output_dir=str(out / "hf"),
        per_device_train_batch_size=1,
        num_train_epochs=args.epochs,
        learning_rate=RECIPE_LR,
        lr_scheduler_type="cosine",
        warmup_steps=0,
        logging_steps=100_000,
        save_strategy="no",
        report_to=[],
        disable_tqdm=True,
        seed=SEED,
        use_cpu=True,
    )
    clock = _train_clock()
    HFTrainer(model=model, args=training, train_dataset=data, callbacks=[clock]).train()
    seconds = clock.seconds  # the training loop only, as tweetgen's train_seconds
    model.save_pretrained(out)
    tok.save_pretrained(out)
    write_generation_config(out)  # tweetgen's sampling and framing token, as every method's
    labelled = sum(len(b) - 1 for b in blocks) * args.epochs
    return {
        "path": str(out),
        "tokens_per_s": labelled / seconds,
        "train_s": seconds,
        "train_tokens": labelled,
        "steps": len(blocks) * args.epochs,
        "epochs": args.epochs,
        "learning_rate": RECIPE_LR,
        "batch_tokens": size,
    }


def _train_clock() -> Any:
    """A transformers callback timing the training loop alone (on_train_begin to on_train_end:
    the model, data and Trainer set-up excluded, as tweetgen's clock excludes its own; made
    on first use, as transformers is imported late)."""
    from transformers import TrainerCallback

    class Clock(TrainerCallback):  # type: ignore[misc]
        seconds = 0.0

        def on_train_begin(self, *args: Any, **kwargs: Any) -> None:
            self.began = time.perf_counter()

        def on_train_end(self, *args: Any, **kwargs: Any) -> None:
            self.seconds = time.perf_counter() - self.began

    return Clock()


# measuring -----------------------------------------------------------------------------------


def measure(
    method: str, models: dict[str, dict], voices: dict[str, dict], args: argparse.Namespace
) -> dict:
    """The bits/char table, then samples of each voice's model against that voice."""
    bpc: dict[str, dict[str, float]] = {}
    voice_rows: dict[str, dict[str, Any]] = {}
    for name, trained in models.items():
        generator = _generator(trained["path"])
        began = time.perf_counter()
        bpc[name] = {other: _bpc(generator, voices[other]["held_out"]) for other in voices}
        scored = {"score_s": round(time.perf_counter() - began, 1)}
        voice_rows[name] = trained | scored | samples_row(generator, voices[name], args.samples)
        for variant in args.variant if method == "default" else []:
            settings = {k: json.loads(v) for k, v in (p.split("=", 1) for p in variant.split(","))}
            config = generator.generation_config
            before = {k: getattr(config, k) for k in settings}
            config.update(**settings)
            found = samples_row(generator, voices[name], args.samples)
            config.update(**before)
            voice_rows[name].setdefault("variants", {})[variant] = found
        print(json.dumps({"measured": name, **scored, "bpc": bpc[name]}), flush=True)
        del generator
    return {"bits_per_char": bpc, "voices": voice_rows}


def _generator(path: str) -> Any:
    from tweetgen.generation.generator import Generator

    return Generator(path, device="cpu")


def _bpc(generator: Any, texts: list[str]) -> float:
    from tweetgen.evaluation import score_posts

    return round(score_posts(generator.model, generator.tokenizer, texts).bits_per_char, 4)


def samples_row(generator: Any, voice: dict[str, Any], n: int) -> dict[str, Any]:
    """Copies, length KS and distinct-n of ``n`` samples (the seed's sampling settings)."""
    from tweetgen.evaluation import distinct_n, ks_distance
    from tweetgen.model.novelty import NoveltyIndex

    began = time.perf_counter()
    drawn = generator.generate(
        n=n, seed=SEED, novelty=False, batch_size=25, max_new_tokens=MAX_NEW_TOKENS
    )
    seconds = time.perf_counter() - began
    texts = drawn.texts
    index = NoveltyIndex.build(voice["train"])
    lengths = [len(t) for t in texts]
    return {
        "samples": len(texts),
        "dropped_empty": drawn.dropped_empty,
        "copies": sum(index.is_copy(t) for t in texts),
        "copy_share": sum(index.is_copy(t) for t in texts) / max(len(texts), 1),
        "length_ks": round(ks_distance(lengths, [len(p) for p in voice["posts"]]), 4),
        "median_length": sorted(lengths)[len(lengths) // 2] if lengths else None,
        "distinct_1": round(distinct_n(texts, 1), 4),
        "distinct_2": round(distinct_n(texts, 2), 4),
        "sample_s": round(seconds, 1),
        "examples": texts[:5],
    }


# targets ---------------------------------------------------------------------------------


def targets(methods: dict[str, dict]) -> dict[str, Any]:
    """Issue 16's targets for the default method, each with its numbers and pass/fail."""
    out: dict[str, Any] = {}
    default = methods.get("default")
    if default is None:
        return out
    table = default["bits_per_char"]
    own = {v: min(table, key=lambda m: table[m][v]) == v for v in table}
    out["own_model_lowest_bpc"] = {"per_voice": own, "pass": all(own.values())}
    rows = default["voices"]
    copies = {v: rows[v]["copy_share"] for v in rows}
    out["near_copies_at_most_2pct"] = {"per_voice": copies, "pass": max(copies.values()) <= 0.02}
    ks = {v: rows[v]["length_ks"] for v in rows}
    out["length_ks_at_most_0.15"] = {"per_voice": ks, "pass": max(ks.values()) <= 0.15}
    recipe = methods.get("recipe")
    if recipe is not None:
        rtable = recipe["bits_per_char"]
        le = {v: (table[v][v], rtable[v][v]) for v in table if v in rtable}
        out["bpc_at_or_below_recipe"] = {
            "per_voice": le,
            "pass": all(d <= r for d, r in le.values()),
        }
        ours = _rate(default)
        theirs = _rate(recipe)
        out["tokens_per_s_2x_recipe"] = {
            "default": ours,
            "recipe": theirs,
            "ratio": ours / theirs if theirs else math.nan,
            "pass": bool(theirs) and ours >= 2 * theirs,
        }
    return out


def _rate(method: dict[str, Any]) -> float:
    """Tokens/s over all voices: labelled tokens trained on over seconds training."""
    rows = method["voices"].values()
    return sum(r["train_tokens"] for r in rows) / sum(r["train_s"] for r in rows)


def markdown(result: dict[str, Any]) -> str:
    """The results as the Markdown tables of benchmarks/RESULTS.md."""
    lines = []
    for method, row in result["methods"].items():
        table = row["bits_per_char"]
        voices = list(table)
        lines += [f"**{method}**: bits per character, model (row) on held-out posts (column)", ""]
        lines += ["| model | " + " | ".join(voices) + " |", "|---" * (len(voices) + 1) + "|"]
        for model in voices:
            best = min(voices, key=lambda m: table[m][model])
            cells = [
                f"**{table[model][v]:.3f}**" if v == model and best == model else
                f"{table[model][v]:.3f}" for v in voices
            ]  # fmt: skip
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
        lines += ["", "| voice | tokens/s | train s | steps | copies | length KS | median "
                  "length (voice) | distinct-1 | distinct-2 |", "|---" * 9 + "|"]  # fmt: skip
        for v, r in row["voices"].items():
            real = result["environment"]["voices"].get(v, {}).get("median_length", "-")
            lines.append(
                f"| {v} | {r['tokens_per_s']:.1f} | {r['train_s']:.0f} | {r['steps']} | "
                f"{r['copies']}/{r['samples']} | {r['length_ks']:.3f} | "
                f"{r['median_length']} ({real}) | {r['distinct_1']:.3f} | {r['distinct_2']:.3f} |"
            )
        lines.append("")
    lines += ["| target | result |", "|---|---|"]
    for name, found in result.get("targets", {}).items():
        lines.append(f"| {name} | {'pass' if found['pass'] else 'FAIL'} |")
    return "\n".join(lines)


def _short(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "bits_per_char": row["bits_per_char"],
        "voices": {
            v: {k: r[k] for k in ("tokens_per_s", "copy_share", "length_ks")}
            for v, r in row["voices"].items()
        },
    }


def _environment(args: argparse.Namespace, voices: dict[str, dict]) -> dict[str, Any]:
    import torch
    import transformers

    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": platform.processor() or platform.machine(),
        "cpu_threads": torch.get_num_threads(),
        "load_average": os.getloadavg(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "base": args.base,
        "epochs": args.epochs,
        "train_posts_cap": args.train_posts,
        "held_out_cap": args.held_out,
        "samples": args.samples,
        "settings": args.settings,
        "variants": args.variant,
        "max_new_tokens": MAX_NEW_TOKENS,
        "trainer": args.trainer,
        "voices": {
            v: {
                "posts": len(d["posts"]),
                "trained_on": len(d["train"]),
                "held_out": len(d["held_out"]),
                "median_length": sorted(map(len, d["posts"]))[len(d["posts"]) // 2],
            }
            for v, d in voices.items()
        },
    }


if __name__ == "__main__":
    main()
