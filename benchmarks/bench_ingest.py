"""Ingest benchmark: read, filter, save, tokenize and pack N posts, beside the seed's loop.

Builds an N-post X archive by resampling the tweets of the bundled sample (or any archive given
with ``--from``), with unique ids, in ``--parts`` files listed by the manifest, as large exports
come. Then, in one run on the same files:

* ``tweetgen prepare x-archive DIR --out OUT`` as a user runs it (a subprocess: whole command,
  wall time and its own peak RSS);
* with ``--zip``, the same command on a zip of the same archive (``data/`` deflated, as X's
  download holds it): it must keep the same posts; the JSON gets ``ratio_zip_vs_folder``
  (the zip's wall time over the folder's);
* the faithful huggingtweets per-tweet loop (stdlib ``json``, drop ``RT @``, fix ``&amp;``
  ``&lt;`` ``&gt;``, strip URLs and whitespace, drop posts under three words; a subprocess too);
* the library's stages one by one in this process: read, filter, save, tokenize, pack.

Prints a table and writes JSON (posts/s per stage, peak RSS, the ratio prepare / loop)::

    python benchmarks/bench_ingest.py --posts 100000 --json benchmarks/results/ingest-100k.json
    python benchmarks/bench_ingest.py --posts 1000000 --zip --json ...  # zip vs folder too

The archive is written under ``--work`` (default ``build/bench-ingest``) and removed afterwards
unless ``--keep``; 1,000,000 posts take about 1.2 GB there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample" / "x-archive-sample.zip"
PREFIX = re.compile(r"\A\s*window\.[\w.$]+\s*=\s*")
FIRST_ID = 1_900_000_000_000_000_000
BLOCK_SIZE = 128
MiB = 1 << 20


# the archive -------------------------------------------------------------------------------


def _js_body(text: str) -> Any:
    match = PREFIX.match(text)
    return json.loads(text[match.end() if match else 0 :].rstrip().rstrip(";"))


def template_tweets(source: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The tweet objects of an archive (zip or folder), and its small files by name."""
    files: dict[str, str] = {}
    if source.is_dir():
        data = source / "data" if (source / "data").is_dir() else source
        for path in data.iterdir():
            if path.suffix == ".js":
                files[path.name] = path.read_text(encoding="utf-8")
    else:
        with zipfile.ZipFile(source) as archive:
            for name in archive.namelist():
                if name.startswith("data/") and name.endswith(".js"):
                    files[name.removeprefix("data/")] = archive.read(name).decode("utf-8")
    tweets = [
        item
        for name, text in sorted(files.items())
        if re.match(r"tweets?(-part\d+)?\.js$", name)
        for item in _js_body(text)
    ]
    small = {n: t for n, t in files.items() if n in ("account.js", "note-tweet.js")}
    return tweets, small


def _serialised(tweet: dict[str, Any]) -> tuple[str, str]:
    """The tweet as X writes it (2-space indent, ``" : "``), and its id to replace."""
    ident = str(tweet["tweet"].get("id_str") or tweet["tweet"].get("id"))
    text = json.dumps(tweet, indent=2, separators=(",", " : "), ensure_ascii=False)
    return "  " + text.replace("\n", "\n  "), ident


def build_archive(out: Path, posts: int, parts: int, source: Path, seed: int = 0) -> int:
    """Write ``posts`` resampled tweets with fresh ids in ``parts`` files; return bytes written."""
    tweets, small = template_tweets(source)
    templates = [_serialised(t) for t in tweets]
    rng = random.Random(seed)
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    names = ["tweets.js"] + [f"tweets-part{i}.js" for i in range(1, parts)]
    per_part = -(-posts // parts)
    written, listed = 0, []
    for k, name in enumerate(names):
        count = min(per_part, posts - k * per_part)
        with (data / name).open("w", encoding="utf-8") as handle:
            handle.write(f"window.YTD.tweets.part{k} = [\n")
            for i in range(count):
                text, ident = templates[rng.randrange(len(templates))]
                new_id = str(FIRST_ID + k * per_part + i)
                handle.write(text.replace(f'"{ident}"', f'"{new_id}"'))
                handle.write(",\n" if i < count - 1 else "\n")
            handle.write("]")
        written += (data / name).stat().st_size
        listed.append({"fileName": f"data/{name}", "count": str(count)})
    for name, text in small.items():
        (data / name).write_text(text, encoding="utf-8")
    manifest = {"dataTypes": {"tweets": {"files": listed}}}
    if "note-tweet.js" in small:
        manifest["dataTypes"]["noteTweet"] = {"files": [{"fileName": "data/note-tweet.js"}]}
    (data / "manifest.js").write_text("window.__THAR_CONFIG = " + json.dumps(manifest, indent=2))
    return written


def zip_archive(archive: Path) -> Path:
    """The archive's ``data/`` folder zipped (deflate), as X's download holds it."""
    zipped = archive.with_suffix(".zip")
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted((archive / "data").iterdir()):
            out.write(path, f"data/{path.name}")
    return zipped


# the seed's loop ---------------------------------------------------------------------------


def huggingtweets_loop(archive: Path) -> int:
    """huggingtweets' cleaning, per tweet, on every part the manifest lists; returns kept."""
    data = archive / "data"
    manifest = _js_body((data / "manifest.js").read_text(encoding="utf-8"))
    kept = 0
    for f in manifest["dataTypes"]["tweets"]["files"]:
        tweets = _js_body((data / Path(f["fileName"]).name).read_text(encoding="utf-8"))
        for item in tweets:
            text = item["tweet"]["full_text"]
            if text.startswith("RT @"):
                continue
            text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
            text = _hf_clean(text)
            if not _hf_boring(text):
                kept += 1
        del tweets
    return kept


def _hf_clean(tweet: str) -> str:
    for w in ("http:", "https:"):
        tweet = re.sub(f" {w}\\S+", "", tweet)
        tweet = re.sub(f"{w}\\S+ ", "", tweet)
        tweet = re.sub(f"\n{w}\\S+", "", tweet)
        tweet = re.sub(f"\n{w}\\S+\n", "", tweet)
        tweet = re.sub(f"{w}\\S+", "", tweet)
    tweet = re.sub(" +", " ", tweet)
    return tweet.strip()


def _hf_boring(tweet: str) -> bool:
    boring = ("http", "@", "#")
    return len([None for w in tweet.split() if all(b not in w.lower() for b in boring)]) < 3


# measuring ---------------------------------------------------------------------------------


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_measured(args: list[str]) -> tuple[float, float, str, float]:
    """Wall seconds, peak RSS (MiB, the largest single process of the command), stdout, and
    the peak of the whole process tree's RSS summed (sampled every 20 ms with psutil: the
    command's worker processes count too).

    A small Python parent runs it, so ``RUSAGE_CHILDREN`` holds only that command."""
    code = (
        "import resource, subprocess, sys, time, json, psutil\n"
        "t = time.perf_counter()\n"
        "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
        "import threading\n"
        "peak = [0]\n"
        "def sample():\n"
        "    root = psutil.Process(p.pid)\n"
        "    while p.poll() is None:\n"
        "        try:\n"
        "            tree = [root, *root.children(recursive=True)]\n"
        "            peak[0] = max(peak[0], sum(q.memory_info().rss for q in tree))\n"
        "        except psutil.Error:\n"
        "            pass\n"
        "        time.sleep(0.02)\n"
        "threading.Thread(target=sample, daemon=True).start()\n"
        "out, err = p.communicate()\n"
        "s = time.perf_counter() - t\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps({'rc': p.returncode, 's': s, 'rss': r, 'out': out.decode(), "
        "'tree': peak[0] / 2**20, 'err': err.decode()[-3000:]}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    result = json.loads(done.stdout)
    if result["rc"]:
        raise SystemExit(f"{' '.join(args[:4])}... failed:\n{result['err']}")
    return result["s"], result["rss"], result["out"], result["tree"]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    value = fn()
    return time.perf_counter() - began, value


def tokenizer_for(texts: list[str]) -> Any:
    """A GPT-2-style byte-level BPE trained on a few posts (no download)."""
    from transformers import GPT2Tokenizer

    from tweetgen.model.base import EOS, train_bpe

    bpe = train_bpe(texts[:5000], 4096)
    return GPT2Tokenizer(tokenizer_object=bpe, eos_token=EOS, bos_token=EOS, unk_token=EOS)


def token_stages(corpus: Any, pack_cap: int) -> dict[str, Any]:
    """Time tokenize and pack with what ``tweetgen.training.data`` offers on this checkout:
    the batched ``tokenize_corpus`` and vectorised ``pack`` + ``build_blocks`` when present,
    else the older per-post ``encode_posts`` and first-fit ``pack`` (capped: it is quadratic)."""
    from tweetgen.training import data

    texts = corpus.texts
    tokenizer = tokenizer_for(texts)
    api = sorted(n for n in dir(data) if not n.startswith("_"))
    out: dict[str, Any] = {"training_data_api": api}
    if hasattr(data, "tokenize_corpus") and hasattr(data, "build_blocks"):
        import numpy as np

        seconds, tokens = timed(lambda: data.tokenize_corpus(texts, tokenizer))
        out["tokenize"] = {"posts": len(texts), "seconds": seconds, "api": "tokenize_corpus"}
        pad = int(tokenizer.eos_token_id)

        def epoch() -> Any:
            packing = data.pack(tokens.lengths, BLOCK_SIZE, np.random.default_rng(0))
            return data.build_blocks(tokens, packing, BLOCK_SIZE, pad)

        seconds, blocks = timed(epoch)
        out["pack"] = {"posts": len(texts), "seconds": seconds, "blocks": len(blocks)}
        out["pack"]["api"] = "pack + build_blocks (one epoch's arrays)"
        return out
    seconds, docs = timed(lambda: data.encode_posts(texts, tokenizer, BLOCK_SIZE))
    out["tokenize"] = {"posts": len(texts), "seconds": seconds, "api": "encode_posts"}
    sample = docs if len(docs) <= pack_cap else docs[:pack_cap]
    seconds, blocks = timed(lambda: data.pack(sample, BLOCK_SIZE, random.Random(0)))
    out["pack"] = {"posts": len(sample), "seconds": seconds, "blocks": len(blocks), "api": "pack"}
    if len(sample) < len(docs):
        out["pack"]["note"] = f"timed on the first {len(sample):,} posts only (--pack-cap)"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--parts", type=int, default=4)
    parser.add_argument("--from", dest="source", type=Path, default=SAMPLE)
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench-ingest")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--pack-cap", type=int, default=1_000_000, help="pack at most this many")
    parser.add_argument("--skip-stages", action="store_true", help="only prepare vs the loop")
    parser.add_argument("--keep", action="store_true", help="keep the generated archive")
    parser.add_argument("--baseline", help="git commit whose `tweetgen prepare` runs too")
    parser.add_argument("--zip", action="store_true", help="time a zip of the archive too")
    args = parser.parse_args(argv)

    shutil.rmtree(args.work, ignore_errors=True)
    archive, corpus_dir = args.work / "archive", args.work / "corpus"
    try:
        seconds, size = timed(lambda: build_archive(archive, args.posts, args.parts, args.source))
        os.sync()  # the archive's GB on disk now, not flushed while the commands below run
        mib = size / MiB
        print(f"built {args.posts:,} posts, {mib:,.0f} MiB, {args.parts} parts ({seconds:.0f} s)")
        results: dict[str, Any] = {
            "posts": args.posts,
            "parts": args.parts,
            "archive_mib": round(mib, 1),
            "load_average_before": os.getloadavg(),
            "cpus": os.cpu_count(),
        }
        results.update(commands(archive, corpus_dir, args.posts))
        if args.zip:
            results.update(zip_prepare(archive, corpus_dir, results))
        if args.baseline:
            results.update(baseline_prepare(args.baseline, archive, corpus_dir, results))
        shutil.rmtree(corpus_dir, ignore_errors=True)
        if not args.skip_stages:
            results["stages"] = library_stages(archive, corpus_dir, args.pack_cap)
            results["peak_rss_mib_stages_process"] = peak_rss_mib()
        results["load_average_after"] = os.getloadavg()
        report(results)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=2) + "\n")
    finally:
        if not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
    return 0


def prepare(location: Path, corpus_dir: Path, posts: int) -> dict[str, Any]:
    """``tweetgen prepare x-archive LOCATION``, measured in a process of its own."""
    tweetgen = str(Path(sys.executable).with_name("tweetgen"))
    shutil.rmtree(corpus_dir, ignore_errors=True)
    command = [tweetgen, "prepare", "x-archive", str(location), "--out", str(corpus_dir)]
    s, rss, out, tree = run_measured(command)
    saved = re.search(r"saved ([\d,]+) posts", out)
    kept = int(saved.group(1).replace(",", "")) if saved else -1
    return {
        "seconds": s,
        "posts_per_s": posts / s,
        "peak_rss_mib": rss,
        "peak_tree_rss_mib": tree,
        "kept": kept,
    }


def commands(archive: Path, corpus_dir: Path, posts: int) -> dict[str, Any]:
    """``tweetgen prepare`` and the seed's loop, each a process of its own, back to back."""
    results: dict[str, Any] = {"prepare": prepare(archive, corpus_dir, posts)}
    code = (
        f"import sys, pathlib; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); "
        f"import bench_ingest as b; print(b.huggingtweets_loop(pathlib.Path({str(archive)!r})))"
    )
    s, rss, out, tree = run_measured([sys.executable, "-c", code])
    loop = {"seconds": s, "posts_per_s": posts / s, "peak_rss_mib": rss, "kept": int(out)}
    loop["peak_tree_rss_mib"] = tree
    results["huggingtweets_loop"] = loop
    results["ratio_prepare_vs_loop"] = results["prepare"]["posts_per_s"] / loop["posts_per_s"]
    return results


def zip_prepare(archive: Path, corpus_dir: Path, results: dict[str, Any]) -> dict[str, Any]:
    """``tweetgen prepare`` on a zip of the same archive: it must keep the same posts."""
    seconds, zipped = timed(lambda: zip_archive(archive))
    print(f"zipped to {zipped.stat().st_size / MiB:,.0f} MiB ({seconds:.0f} s)")
    done = prepare(zipped, corpus_dir, results["posts"])
    if done["kept"] != results["prepare"]["kept"]:
        raise SystemExit(
            f"the zip kept {done['kept']} posts, the folder {results['prepare']['kept']}"
        )
    return {
        "zip_mib": round(zipped.stat().st_size / MiB, 1),
        "prepare_zip": done,
        "ratio_zip_vs_folder": done["seconds"] / results["prepare"]["seconds"],
        "ratio_zip_vs_loop": results["huggingtweets_loop"]["seconds"] / done["seconds"],
    }


def baseline_prepare(
    ref: str, archive: Path, corpus_dir: Path, results: dict[str, Any]
) -> dict[str, Any]:
    """``tweetgen prepare`` of commit ``ref`` (its ``src`` unpacked with ``git archive``) on
    the same archive, right after this tree's: it must keep the same posts."""
    import tarfile
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", ref], check=True, capture_output=True, text=True
        ).stdout.strip()
        tar = Path(tmp) / "baseline.tar"
        with tar.open("wb") as out:
            subprocess.run(
                ["git", "-C", str(ROOT), "archive", commit, "src"], check=True, stdout=out
            )
        with tarfile.open(tar) as opened:
            opened.extractall(tmp, filter="data")
        shutil.rmtree(corpus_dir, ignore_errors=True)
        command = [f"PYTHONPATH={Path(tmp) / 'src'}", sys.executable, "-m", "tweetgen"]
        command += ["prepare", "x-archive", str(archive), "--out", str(corpus_dir)]
        s, rss, out, tree = run_measured(["env", *command])
    saved = re.search(r"saved ([\d,]+) posts", out)
    kept = int(saved.group(1).replace(",", "")) if saved else -1
    if kept != results["prepare"]["kept"]:
        raise SystemExit(f"baseline kept {kept} posts, this tree {results['prepare']['kept']}")
    base = {"commit": commit, "seconds": s, "peak_rss_mib": rss, "peak_tree_rss_mib": tree}
    base["ratio_loop_vs_baseline"] = results["huggingtweets_loop"]["seconds"] / s
    return {
        "baseline_prepare": base,
        "ratio_baseline_vs_prepare_time": s / results["prepare"]["seconds"],
    }


def library_stages(archive: Path, corpus_dir: Path, pack_cap: int) -> dict[str, Any]:
    from tweetgen import Corpus
    from tweetgen.pipeline import default_filters

    stages: dict[str, Any] = {}
    began = time.perf_counter()
    raw = Corpus.from_source("x-archive", str(archive))
    stages["read"] = {"posts": len(raw), "seconds": time.perf_counter() - began}
    began = time.perf_counter()
    kept = raw.filter(*default_filters())
    stages["filter"] = {"posts": len(raw), "seconds": time.perf_counter() - began}
    began = time.perf_counter()
    kept.save(corpus_dir)
    stages["save"] = {"posts": len(kept), "seconds": time.perf_counter() - began}
    del raw, kept
    stages.update(token_stages(Corpus.load(corpus_dir), pack_cap))
    for stage in stages.values():
        if isinstance(stage, dict) and "seconds" in stage:
            stage["posts_per_s"] = stage["posts"] / max(stage["seconds"], 1e-9)
    return stages


def report(results: dict[str, Any]) -> None:
    print(f"{results['posts']:,} posts, {results['archive_mib']:,} MiB in {results['parts']} parts")
    for name in ("prepare", "prepare_zip", "huggingtweets_loop"):
        if name not in results:
            continue
        r = results[name]
        print(
            f"{name:>20}  {r['seconds']:8.2f} s {r['posts_per_s']:>10,.0f} posts/s"
            f"  peak {r['peak_rss_mib']:,.0f} MiB (tree {r['peak_tree_rss_mib']:,.0f})"
            f"  kept {r['kept']:,}"
        )
    print(f"{'ratio':>20}  {results['ratio_prepare_vs_loop']:.2f}x")
    if "ratio_zip_vs_folder" in results:
        print(f"{'zip / folder':>20}  {results['ratio_zip_vs_folder']:.2f}x the folder's time")
    if "baseline_prepare" in results:
        r = results["baseline_prepare"]
        print(
            f"{'baseline prepare':>20}  {r['seconds']:8.2f} s ({r['commit'][:7]})"
            f"  peak {r['peak_rss_mib']:,.0f} MiB  {r['ratio_loop_vs_baseline']:.2f}x the loop"
            f"  this tree {results['ratio_baseline_vs_prepare_time']:.2f}x as fast"
        )
    for name, r in results.get("stages", {}).items():
        if isinstance(r, dict) and "seconds" in r:
            note = f"  ({r['note']})" if "note" in r else ""
            print(
                f"{name:>20}  {r['seconds']:8.2f} s {r['posts_per_s']:>10,.0f} posts/s"
                f" on {r['posts']:,}{note}"
            )


if __name__ == "__main__":
    raise SystemExit(main())
