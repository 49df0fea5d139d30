"""What each speed trick left in the filters is worth: CPU seconds with it and without it.

Issue 17 keeps a speed trick only where it saves at least a tenth of ``tweetgen prepare``'s
time on the 1M-post ingest benchmark. On a 1,000,000-row raw table (``bench_filters.py``'s:
the bundled sample resampled), each trick runs on the input its step sees in the default
chain, alternating with the plain way, ``--rounds`` times; the best CPU time of each is kept,
and both must give the same column::

    python benchmarks/bench_tricks.py --posts 1000000 --json benchmarks/results/tricks-1m.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_filters


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tricks(table: Any) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """Per trick, (with it, without it) on the table its step sees in the default chain."""
    from tweetgen.filters import apply
    from tweetgen.filters import builtin as b
    from tweetgen.filters import columns as cx
    from tweetgen.filters import text as tx

    steps = b.default_filters()
    seen = {}
    for f in steps:
        seen[f.name] = table
        table, _ = apply.run_step(table, f)
    urls = seen["remove-urls"].column("text")

    def threads(on: bool) -> Callable[[], Any]:
        def run() -> Any:
            apply.MIN_THREAD_ROWS = 100_000 if on else 10**12
            return apply.run_filters(seen["drop-retweets"], b.default_filters())[0].column("id")

        return run

    return {
        "remove-urls: plain t.co links by Arrow regexes": (
            lambda: b._urls_removed(urls),
            lambda: cx.rewrite(
                urls, cx.contains(urls, b.URL_CANDIDATE, ignore_case=True), tx.remove_urls
            ),
        ),
        "default chain: steps split between threads": (threads(True), threads(False)),
    }


def same(a: Any, b: Any) -> bool:
    import numpy as np
    import pyarrow as pa

    if isinstance(a, np.ndarray):
        return bool(np.array_equal(a, b))
    flat = [x.combine_chunks() if isinstance(x, pa.ChunkedArray) else x for x in (a, b)]
    return bool(flat[0].equals(flat[1]))


def measure(table: Any, rounds: int) -> list[dict[str, Any]]:
    out = []
    for name, (with_it, without) in tricks(table).items():
        best = {"with": float("inf"), "without": float("inf")}
        results = {}
        for r in range(rounds):
            for side in ("with", "without") if r % 2 == 0 else ("without", "with"):
                began = cpu_seconds()
                results[side] = (with_it if side == "with" else without)()
                best[side] = min(best[side], cpu_seconds() - began)
        if not same(results["with"], results["without"]):
            raise SystemExit(f"{name}: the two ways differ")
        saved = best["without"] - best["with"]
        out.append(
            {
                "trick": name,
                "with_cpu_s": best["with"],
                "without_cpu_s": best["without"],
                "saved_cpu_s": saved,
            }
        )
        print(
            f"{name:50} with {best['with']:6.2f}  without {best['without']:6.2f}  "
            f"saves {saved:6.2f} s CPU",
            flush=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", type=Path, help="Arrow IPC file of raw rows")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--from", dest="source", type=Path, default=bench_filters.SAMPLE)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import pyarrow as pa

    with tempfile.TemporaryDirectory() as tmp:
        path = args.table or bench_filters.build_table(
            args.source, args.posts, 0, Path(tmp) / "raw.arrow"
        )
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
        result = {
            "rows": table.num_rows,
            "rounds": args.rounds,
            "tricks": measure(table, args.rounds),
        }
    result["load_average"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
