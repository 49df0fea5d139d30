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
import time
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
    import numpy as np

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
    short = seen["drop-short"].column("text")
    every_row_by_token = np.full(256, 4, dtype=np.uint8)  # every token "opens": no byte path

    return {
        "remove-urls: plain t.co links by Arrow regexes": (
            lambda: b._urls_removed(urls),
            lambda: cx.rewrite(
                urls, cx.contains(urls, b.URL_CANDIDATE, ignore_case=True), tx.remove_urls
            ),
        ),
        "drop-short: ASCII rows' words off their bytes": (
            lambda: cx.word_counts(short, b._script_words, b._ASCII_MARKS),
            lambda: cx.word_counts(short, b._script_words, every_row_by_token),
        ),
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
        wall = {"with": float("inf"), "without": float("inf")}
        results = {}
        for r in range(rounds):
            for side in ("with", "without") if r % 2 == 0 else ("without", "with"):
                began, clock = cpu_seconds(), time.perf_counter()
                results[side] = (with_it if side == "with" else without)()
                best[side] = min(best[side], cpu_seconds() - began)
                wall[side] = min(wall[side], time.perf_counter() - clock)
        if not same(results["with"], results["without"]):
            raise SystemExit(f"{name}: the two ways differ")
        saved = best["without"] - best["with"]
        out.append(
            {
                "trick": name,
                "with_cpu_s": best["with"],
                "without_cpu_s": best["without"],
                "saved_cpu_s": saved,
                "with_wall_s": wall["with"],
                "without_wall_s": wall["without"],
            }
        )
        print(
            f"{name:50} with {best['with']:6.2f}  without {best['without']:6.2f}  "
            f"saves {saved:6.2f} s CPU (wall {wall['with']:.2f} / {wall['without']:.2f})",
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
