"""What ``model.gguf.read_header`` is worth: it against ``gguf.GGUFReader`` on the same file.

Both read the metadata a GGUF base is checked and named by, on every ``train`` or ``eval``
with a GGUF base; rounds alternate the two so that both see the same load.

    python benchmarks/bench_gguf_header.py [--file PATH.gguf] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def main() -> None:
    from tweetgen.model import gguf

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, help="a GGUF file (default: smollm2-135m's)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    source = args.file or gguf.named_base_file("smollm2-135m")
    times: dict[str, list[float]] = {"read_header": [], "GGUFReader": []}
    for _ in range(args.rounds):
        began = time.perf_counter()
        ours = gguf.read_header(source)
        times["read_header"].append(time.perf_counter() - began)
        from gguf import GGUFReader

        began = time.perf_counter()
        theirs = GGUFReader(str(source))
        times["GGUFReader"].append(time.perf_counter() - began)
        names = {f for f in theirs.fields if f in ours}
        if not names or "general.architecture" not in names:
            raise SystemExit("the two readers do not agree on the fields")
    best = {k: min(v) for k, v in times.items()}
    print(json.dumps({"file": str(source), "load": os.getloadavg()[0], "best_s": best}))
    print(f"GGUFReader / read_header: {best['GGUFReader'] / best['read_header']:.0f}x")


if __name__ == "__main__":
    main()
