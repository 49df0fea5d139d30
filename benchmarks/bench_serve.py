"""Serve benchmark: 32 clients at once against the same 32 requests sent one at a time.

A tiny model (trained here in a few seconds on synthetic posts) is served by ``tweetgen serve``
on a loopback port, as its own process (as a user runs it: the clients' work does not share
the server's interpreter); clients are httpx. Each request
asks ``POST /v1/completions`` for 5 posts of "My dream is" with the model's defaults. The run
reports requests and posts per second of both ways, the ratio (target: at least 4x), each way's
p50/p99 latency, and failed requests (target: none). The two ways alternate for ``--rounds``
rounds and the best round of each is kept: the machine is shared, and its load moves more than
either way's cost::

    python benchmarks/bench_serve.py --json benchmarks/results/serve.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tweetgen.training.testing import corpus_from_texts, synthetic_texts, tiny_config
from tweetgen.training.trainer import Trainer

BODY = {"model": "bench", "prompt": "My dream is", "n": 5}


#: The ``tiny`` base model's own sizes (``tweetgen train --base-model tiny``), not the smaller
#: ones of the test suite.
TINY_BASE = {"vocab_size": 4096, "n_layer": 4, "n_head": 4, "n_embd": 256}


def train(out: Path) -> Path:
    config = tiny_config(out / "bench", epochs=1, max_steps=30, tiny=TINY_BASE)
    return Path(Trainer(config).train(corpus_from_texts(synthetic_texts(1000))).path)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(model: Path, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    """``tweetgen serve MODEL`` in its own process; returns once it answers ``/health``."""
    port = free_port()
    command = [sys.executable, "-m", "tweetgen", "serve", str(model), "--device", "cpu"]
    command += ["--port", str(port), "--threads", str(threads)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"tweetgen serve exited with {server.returncode}")
        try:
            httpx.get(f"{url}/health", timeout=1).raise_for_status()
            return server, url
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("tweetgen serve did not answer /health within 120 s")


async def one(client: httpx.AsyncClient, url: str) -> tuple[float, int, int]:
    """(seconds, HTTP status, posts) of one request."""
    began = time.perf_counter()
    response = await client.post(f"{url}/v1/completions", json=BODY)
    posts = len(response.json().get("choices", [])) if response.status_code == 200 else 0
    return time.perf_counter() - began, response.status_code, posts


async def run(url: str, clients: int, *, together: bool) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=600) as client:
        began = time.perf_counter()
        if together:
            results = await asyncio.gather(*(one(client, url) for _ in range(clients)))
        else:
            results = [await one(client, url) for _ in range(clients)]
        wall = time.perf_counter() - began
    latencies = sorted(r[0] for r in results)
    return {
        "requests": clients,
        "failed": sum(r[1] != 200 for r in results),
        "posts": sum(r[2] for r in results),
        "seconds": round(wall, 3),
        "requests_per_s": round(clients / wall, 3),
        "posts_per_s": round(sum(r[2] for r in results) / wall, 2),
        "p50_s": round(statistics.median(latencies), 3),
        "p99_s": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 3),
    }


_WRITTEN = {"seconds": 0.0}


def _writing(url: str, _: dict[str, Any]) -> float:
    """Seconds the server spent in batched generate calls since the last call."""
    total = float(httpx.get(f"{url}/health").json()["models"]["bench"]["seconds"])
    spent, _WRITTEN["seconds"] = total - _WRITTEN["seconds"], total
    return round(spent, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; best kept")
    parser.add_argument("--threads", type=int, default=1, help="the server's --threads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = train(Path(tmp))
        server, url = start(model, args.threads)
        try:
            asyncio.run(run(url, 2, together=False))  # warm-up: first batch, allocator
            rounds = []
            for _ in range(args.rounds):  # alternating, so both ways share the machine's moods
                alone = asyncio.run(run(url, args.clients, together=False))
                alone["generate_s"] = _writing(url, alone)
                together = asyncio.run(run(url, args.clients, together=True))
                together["generate_s"] = _writing(url, together)
                rounds.append({"one_at_a_time": alone, "concurrent": together})
            health = httpx.get(f"{url}/health").json()["models"]["bench"]
        finally:
            server.terminate()
            server.wait(timeout=30)
    alone = min((r["one_at_a_time"] for r in rounds), key=lambda r: r["seconds"])
    together = min((r["concurrent"] for r in rounds), key=lambda r: r["seconds"])
    ratio = together["requests_per_s"] / alone["requests_per_s"]
    failed = sum(r[way]["failed"] for r in rounds for way in r)
    per_round = [
        r["concurrent"]["requests_per_s"] / r["one_at_a_time"]["requests_per_s"] for r in rounds
    ]
    result = {
        "benchmark": "serve",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared), "
        f"Python {platform.python_version()}, server --threads {args.threads}",
        "load_average": os.getloadavg(),
        "request": BODY,
        "best_of": args.rounds,
        "one_at_a_time": alone,
        "concurrent": together,
        "throughput_ratio": round(ratio, 2),
        "ratio_median_round": round(statistics.median(per_round), 2),
        "ratio_each_round": [round(r, 2) for r in per_round],
        "failed_all_rounds": failed,
        "batches": health["batches"],
        "targets": {"ratio_at_least": 4, "failed": 0},
        "met": ratio >= 4 and failed == 0,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
