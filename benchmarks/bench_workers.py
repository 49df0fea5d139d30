"""What the X reader's worker processes are worth: ``tweetgen prepare`` with and without them.

Issue 17 keeps a speed trick only where it saves at least a tenth of the command's time on the
1M-post ingest benchmark. The workers (``sources/x_parallel.py``) read an archive's big parts
in processes of their own; without them the same parser reads every part in this process.
Same archive as ``bench_ingest.py``, rounds alternate the two ways, both must keep the same
posts; wall and CPU seconds (the command and its workers) of each round are reported::

    python benchmarks/bench_workers.py --posts 1000000 --rounds 3 \
        --json benchmarks/results/workers-1m.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ingest

#: Runs ``tweetgen prepare`` with the workers switched off (no archive is big enough).
NO_WORKERS = (
    "import sys\n"
    "from tweetgen.sources import x_parallel\n"
    "x_parallel.MIN_PARALLEL_BYTES = 1 << 62\n"
    "from tweetgen.cli import main\n"
    "sys.argv = ['tweetgen', *sys.argv[1:]]\n"
    "main()\n"
)
#: Wall and CPU seconds (user + system, the command and every process it started).
MEASURE = (
    "import resource, subprocess, sys, time, json\n"
    "t = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "s = time.perf_counter() - t\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'rc': done.returncode, 's': s, 'cpu': u.ru_utime + u.ru_stime, "
    "'out': done.stdout, 'err': done.stderr[-2000:]}))\n"
)


def prepare(workers: bool, archive: Path, out: Path) -> dict[str, Any]:
    shutil.rmtree(out, ignore_errors=True)
    args = ["prepare", "x-archive", str(archive), "--out", str(out)]
    command = (
        [str(Path(sys.executable).with_name("tweetgen")), *args]
        if workers
        else [sys.executable, "-c", NO_WORKERS, *args]
    )
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True)
    result = json.loads(done.stdout)
    if result["rc"]:
        raise SystemExit(
            f"prepare ({'workers' if workers else 'no workers'}) failed:\n{result['err']}"
        )
    kept = bench_ingest.re.search(r"saved ([\d,]+) posts", result["out"])
    return {"s": result["s"], "cpu": result["cpu"], "kept": kept.group(1) if kept else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=bench_ingest.ROOT / "build" / "bench-workers")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    archive, out = args.work / "archive", args.work / "corpus"
    try:
        bench_ingest.build_archive(archive, args.posts, 4, bench_ingest.SAMPLE)
        os.sync()
        load_before = os.getloadavg()
        rounds: dict[str, list[dict[str, Any]]] = {"workers": [], "no_workers": []}
        for _ in range(args.rounds):
            rounds["workers"].append(prepare(True, archive, out))
            rounds["no_workers"].append(prepare(False, archive, out))
        kept = {r["kept"] for runs in rounds.values() for r in runs}
        if len(kept) != 1 or None in kept:
            raise SystemExit(f"the two ways kept different posts: {kept}")
        best = {k: min(r["s"] for r in v) for k, v in rounds.items()}
        results = {
            "posts": args.posts,
            "kept": kept.pop(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "rounds": rounds,
            "best_s": best,
            "saved_share": 1 - best["workers"] / best["no_workers"],
        }
        print(json.dumps(results, indent=2))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
    finally:
        shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
