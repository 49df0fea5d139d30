"""Big tweets files of an archive, zipped or extracted, decoded at once, one process per core.

Decoding and building rows is Python work that holds the interpreter lock, so threads would
not help; parts (``tweets-part1.js`` ...) are independent, so they are shared out between
worker processes, one per core, which send their parts back as Arrow IPC streams over a
pipe. Workers are plain subprocesses of this interpreter, importing from this process's
``sys.path`` (:data:`_WORKER`), never ``multiprocessing``: spawning that way would re-run a
user's script without a main guard, and forking a process with threads is unsafe. Nothing is
written to disk, and a worker whose parent dies stops soon after.

A worker opens the same tree again (:func:`~tweetgen.sources.archive_tree.reopen`): the
extracted folder, or the zip, whose members it inflates itself. A zip's limits hold across
processes: workers start only when the declared sizes of their members fit in what the zip's
total has left, each may inflate no more than its members declare, and what they inflated
is counted here. Small archives and one-core machines are read in this process alone. A
worker never reports errors itself: a part it cannot read the typed way, or with a row the
rules refuse, is read here, by the sequential reader, which words any error exactly as before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from typing import IO, Any, cast

import pyarrow as pa

from tweetgen.base.cores import usable_cores
from tweetgen.sources import x_tweets as xt
from tweetgen.sources.archive_tree import ArchiveTree, ZipTree, reopen
from tweetgen.sources.safezip import ZipLimits
from tweetgen.sources.x_tweets import Account

#: Below this many bytes of tweets in big parts, a worker costs more than it saves.
MIN_PARALLEL_BYTES = 96 << 20
#: Files smaller than this are read here.
MIN_PART_BYTES = 16 << 20
#: What a worker process runs: the same interpreter, importing from this process's
#: ``sys.path`` (sent with the job), then :func:`serve`.
_WORKER = (
    "import json, sys; job = json.loads(sys.stdin.buffer.readline()); sys.path[:] = job['path']; "
    "from tweetgen.sources.x_parallel import serve; serve(job)"
)
#: How often a worker checks that its parent is alive.
ORPHAN_CHECK_SECONDS = 0.25


def parallel_plan(tree: ArchiveTree, names: list[str]) -> list[list[str]]:
    """The big files shared out between workers, one group each, by size; no groups unless
    there are two big files and two cores, and (in a zip) room for them within its limits."""
    cores = usable_cores()
    if cores < 2 or len(names) < 2 or not sys.executable:
        return []
    try:
        sizes = {name: tree.size(name) for name in names}
    except OSError:
        return []  # the sequential reader words the error
    big = sorted((n for n in names if sizes[n] >= MIN_PART_BYTES), key=lambda n: -sizes[n])
    total = sum(sizes[n] for n in big)
    if len(big) < 2 or total < MIN_PARALLEL_BYTES or total > _room(tree):
        return []
    groups: list[list[str]] = [[] for _ in range(min(cores, len(big)))]
    loads = [0] * len(groups)
    for name in big:  # biggest first, each to the least loaded group
        least = loads.index(min(loads))
        groups[least].append(name)
        loads[least] += sizes[name]
    return groups


def read_parts(
    tree: ArchiveTree, groups: list[list[str]], account: Account
) -> dict[str, xt.FileColumns]:
    """The columns of every file in ``groups``, each group read by a worker process, all at
    the same time. A file missing from the result (its worker failed) is for the caller.

    This process only collects: if it read a group too, its decoding would hold the
    interpreter lock that the threads emptying the workers' pipes need, and the workers
    would wait on their full pipes.
    """
    lent = [_lent(tree, group) for group in groups]
    workers = [_start(tree, g, limits, account) for g, limits in zip(groups, lent, strict=True)]
    done: dict[str, xt.FileColumns] = {}
    with ThreadPoolExecutor(max(len(workers), 1)) as pool:
        collected = [pool.submit(_collect, worker) for worker in workers]
        try:
            for future in collected:
                files, inflated = future.result()
                done.update(files)
                _count(tree, inflated)
        except BaseException:  # Ctrl-C: don't wait for the workers
            for worker in workers:
                worker.kill()
            raise
    return done


def _room(tree: ArchiveTree) -> int:
    """Bytes workers may inflate: what the zip's total limit has left (a folder: no limit)."""
    if isinstance(tree, ZipTree):
        return tree.limits.max_total_bytes - tree.archive.read_total
    return sys.maxsize


def _lent(tree: ArchiveTree, names: list[str]) -> ZipLimits:
    """A worker's limits: in a zip, a total of what its members declare."""
    if isinstance(tree, ZipTree):
        return replace(tree.limits, max_total_bytes=sum(tree.size(n) for n in names))
    return tree.limits


def _count(tree: ArchiveTree, inflated: int) -> None:
    """Bytes a worker inflated, counted against the zip's total here."""
    if isinstance(tree, ZipTree):
        tree.archive.read_total += inflated


def _start(
    tree: ArchiveTree, names: list[str], limits: ZipLimits, account: Account
) -> subprocess.Popen[bytes]:
    job = {
        "tree": tree.address(),
        "limits": asdict(limits),
        "names": names,
        "account": asdict(account),
        "path": [p for p in sys.path if isinstance(p, str)],  # what this process imports
        "parent": os.getpid(),
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    stdin = cast(IO[bytes], worker.stdin)
    try:
        stdin.write(json.dumps(job).encode() + b"\n")
        stdin.close()
    except OSError:  # the worker died at once; _collect finds nothing and we read here
        pass
    return worker


def _collect(worker: subprocess.Popen[bytes]) -> tuple[dict[str, xt.FileColumns], int]:
    """What a worker sent: per file, a JSON line naming it, its Arrow IPC stream (batches as
    they were decoded), and a JSON line saying whether the file was read to its end and how
    many bytes the worker has inflated so far; also the last such count. (A worker that
    dies midway inflated at most what it was lent; its files are read, and counted, here.)"""
    done: dict[str, xt.FileColumns] = {}
    inflated = 0
    stream = cast(IO[bytes], worker.stdout)
    try:
        while line := stream.readline():
            name = json.loads(line)["name"]
            batches = list(pa.ipc.open_stream(stream))
            trailer = json.loads(stream.readline())
            inflated = int(trailer["inflated"])
            if trailer["read"]:
                done[name] = xt.FileColumns(batches, trailer["chains"])
    except (ValueError, KeyError, TypeError, pa.ArrowInvalid):
        done = {}  # a garbled or cut answer: read everything here
    finally:
        stream.close()
        worker.wait()
    return done, inflated


def serve(job: dict[str, Any]) -> None:
    """A worker process: its job's answer on standard output."""
    threading.Thread(target=_stop_when_orphaned, args=(job["parent"],), daemon=True).start()
    work(job, sys.stdout.buffer)


def _stop_when_orphaned(parent: int) -> None:
    """End this worker soon after its parent is killed, even before it started (a broken
    pipe would tell only at the next write, a whole part later)."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(1)


def work(job: dict[str, Any], out: IO[bytes]) -> None:
    """A worker's side: each file's batches streamed as its pieces are decoded, so a worker
    never holds a whole part; a file the fast path declines is marked unread."""
    tree = reopen(job["tree"], ZipLimits(**job["limits"]))
    try:
        _work(tree, job["names"], Account(**job["account"]), out)
    finally:
        tree.close()


def _work(tree: ArchiveTree, names: list[str], account: Account, out: IO[bytes]) -> None:
    for name in names:
        out.write(json.dumps({"name": name}).encode() + b"\n")
        columns = xt.FileColumns()
        read = True
        with pa.ipc.new_stream(out, xt.SCHEMA) as writer:
            try:
                for batch in xt.file_batches(tree, name, account, columns):
                    writer.write_batch(batch)
            except Exception:  # the parent rereads this file and reports properly
                read = False
        read = read and not columns.problems  # worded by the parent, in order
        trailer = {
            "read": read,
            "chains": columns.chains,
            "inflated": tree.archive.read_total if isinstance(tree, ZipTree) else 0,
        }
        out.write(json.dumps(trailer).encode() + b"\n")
        out.flush()
