"""Filter benchmark: CPU and wall time of each default filter step, this tree beside a baseline.

The default chain (``tweetgen.pipeline.default_filters()``) runs step by step
(``filters.apply.run_step``) over one raw table, in fresh processes that alternate between the
baseline (a git commit, unpacked with ``git archive``) and this working tree, ``--rounds``
times each; the best round of each is kept, and the table shows baseline / current ratios
(the machine is shared, so ratios from one run say more than absolute seconds). Every run also
digests each step's kept ids and texts: the benchmark fails unless both sides give the same
rows, texts and counts at every step.

The table is ``--table`` (an Arrow IPC file of raw rows in tweetgen's schema) or an X archive
(``--from``; by default the shared real archive, else the bundled sample) resampled to
``--posts`` rows::

    python benchmarks/bench_filters.py --posts 1000000 --json benchmarks/results/filters-1m.json
    python benchmarks/bench_filters.py --from sample/x-archive-sample.zip --posts 1000000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED_ARCHIVE = ROOT.parent / "shared" / "corpora" / "x-archive-milahu104"
SAMPLE = ROOT / "sample" / "x-archive-sample.zip"
#: main before the filters were written once, on columns (issue 17): the byte scans of
#: ``filters/bytescan.py`` and the Arrow fast paths of ``filters/vector.py`` beside per-post rules.
BASELINE = "54f035a"
BATCH_ROWS = 16_384


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# the worker: one process, one side ---------------------------------------------------------


def digest(table: Any) -> str:
    """Kept ids and texts, in order: equal digests mean equal rows and texts."""
    h = hashlib.sha256()
    for name in ("id", "text"):
        for value in table.column(name).to_pylist():
            h.update(value.encode("utf-8", "surrogatepass") + b"\0")
        h.update(b"\1")
    return h.hexdigest()[:16]


def worker(table_path: str) -> dict[str, Any]:
    """Run the default chain on the table, timing each step (this process's tweetgen)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    import tweetgen
    from tweetgen.filters import apply
    from tweetgen.pipeline import default_filters

    with pa.memory_map(table_path) as source:
        table = pa.ipc.open_file(source).read_all()
    pc.fill_null(pa.array([True]), False)  # Arrow's one-off start-up, outside the first step
    steps = []
    for f in default_filters():
        cpu, wall = cpu_seconds(), time.perf_counter()
        table, step = apply.run_step(table, f)
        cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
        counts = {"seen": step.seen, "dropped": step.dropped, "changed": step.changed}
        steps.append({"name": f.name, "cpu_s": cpu, "wall_s": wall, **counts})
        steps[-1]["digest"] = digest(table)
    return {"tweetgen": str(Path(tweetgen.__file__).parent), "steps": steps}


# the driver ---------------------------------------------------------------------------------


def build_table(source: Path, posts: int, seed: int, out: Path) -> Path:
    """An archive's raw rows resampled to ``posts`` rows, in record batches as read."""
    import numpy as np
    import pyarrow as pa

    from tweetgen import Corpus

    raw = Corpus.from_source("x-archive", str(source)).table
    rows = np.random.default_rng(seed).integers(0, raw.num_rows, posts)
    table = raw.take(pa.array(rows))
    with pa.ipc.new_file(out, table.schema) as sink:
        sink.write_table(table, max_chunksize=BATCH_ROWS)
    return out


def unpack(ref: str, into: Path) -> tuple[Path, str]:
    """The baseline's ``src`` folder (``git archive``), and the commit it names."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", ref], check=True, capture_output=True, text=True
    ).stdout.strip()
    archive = into / "baseline.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"], check=True, stdout=out)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src", commit


def run_side(src: Path, table: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, __file__, "--worker", str(table)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    if Path(result["tweetgen"]).resolve() != (src / "tweetgen").resolve():
        raise SystemExit(f"worker imported tweetgen from {result['tweetgen']}, not {src}")
    return result


def best(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per step, the least CPU and the least wall time over the rounds."""
    out = []
    for i, step in enumerate(runs[0]["steps"]):
        out.append(
            {
                **step,
                "cpu_s": min(r["steps"][i]["cpu_s"] for r in runs),
                "wall_s": min(r["steps"][i]["wall_s"] for r in runs),
            }
        )
    return out


def outputs(run: dict[str, Any]) -> list[tuple[Any, ...]]:
    keys = ("name", "seen", "dropped", "changed", "digest")
    return [tuple(s[k] for k in keys) for s in run["steps"]]


def compare(table: Path, baseline: str, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        base_src, commit = unpack(baseline, Path(tmp))
        sides: dict[str, list[dict[str, Any]]] = {"baseline": [], "current": []}
        for r in range(rounds):  # alternate which side goes first
            order = ("baseline", "current") if r % 2 == 0 else ("current", "baseline")
            for side in order:
                src = base_src if side == "baseline" else ROOT / "src"
                sides[side].append(run_side(src, table))
                cpu = sum(s["cpu_s"] for s in sides[side][-1]["steps"])
                print(f"round {r + 1} {side}: {cpu:.2f} s CPU", file=sys.stderr)
    reference = outputs(sides["baseline"][0])
    for run in sides["baseline"] + sides["current"]:
        if outputs(run) != reference:
            raise SystemExit(f"outputs differ:\n{reference}\n{outputs(run)}")
    base, cur = best(sides["baseline"]), best(sides["current"])
    steps = [
        {
            "name": b["name"],
            "seen": b["seen"],
            "dropped": b["dropped"],
            "changed": b["changed"],
            "baseline_cpu_s": round(b["cpu_s"], 3),
            "current_cpu_s": round(c["cpu_s"], 3),
            "cpu_ratio": round(c["cpu_s"] / b["cpu_s"], 3),
            "baseline_wall_s": round(b["wall_s"], 3),
            "current_wall_s": round(c["wall_s"], 3),
        }
        for b, c in zip(base, cur, strict=True)
    ]
    total = {
        k: round(sum(s[k] for s in steps), 3)
        for k in ("baseline_cpu_s", "current_cpu_s", "baseline_wall_s", "current_wall_s")
    }
    total["cpu_ratio"] = round(total["current_cpu_s"] / total["baseline_cpu_s"], 3)
    return {"baseline_commit": commit, "rounds": rounds, "steps": steps, "total": total}


def print_table(result: dict[str, Any]) -> None:
    head = ("base CPU", "now CPU", "ratio", "base wall", "now wall")
    print(f"{'step':22} {head[0]:>9} {head[1]:>9} {head[2]:>6} {head[3]:>10} {head[4]:>9}")
    for s in [*result["steps"], {"name": "total", **result["total"]}]:
        print(
            f"{s['name']:22} {s['baseline_cpu_s']:9.2f} {s['current_cpu_s']:9.2f} "
            f"{s['cpu_ratio']:6.2f} {s['baseline_wall_s']:10.2f} {s['current_wall_s']:9.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", type=Path, help="Arrow IPC file of raw rows")
    parser.add_argument("--posts", type=int, default=200_000, help="rows to resample to")
    default = SHARED_ARCHIVE if SHARED_ARCHIVE.is_dir() else SAMPLE
    parser.add_argument("--from", dest="source", type=Path, default=default, help="X archive")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline", default=BASELINE, help="git commit to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.arrow"
        table = args.table or build_table(args.source, args.posts, args.seed, raw)
        result = compare(table, args.baseline, args.rounds)
    result.update(
        table=str(args.table or f"{args.source.name} resampled to {args.posts} (seed {args.seed})"),
        rows=result["steps"][0]["seen"],
        cores=len(os.sched_getaffinity(0)),
        load_average=os.getloadavg(),
    )
    print_table(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
