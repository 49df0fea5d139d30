"""Parts of a big archive, zipped or extracted, read by worker processes give the very same
posts as the sequential reader; a worker that fails or declines leaves its parts to this
process; a zip's limits hold across the processes."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tweetgen.errors import ArchiveError
from tweetgen.sources import x_parallel
from tweetgen.sources.safezip import ZipLimits
from tweetgen.sources.x_archive import XArchiveSource

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample" / "x-archive-sample.zip"


def records(location: Path | str) -> list[dict[str, Any]]:
    return [p.to_record() | {"extra": p.extra} for p in XArchiveSource().read(str(location))]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The bundled sample (two tweets parts) extracted."""
    with zipfile.ZipFile(SAMPLE) as archive:
        archive.extractall(tmp_path)
    return tmp_path


@pytest.fixture
def eager(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Workers for any archive, as on a two-core machine; records what workers sent back."""
    monkeypatch.setattr(x_parallel, "MIN_PART_BYTES", 0)
    monkeypatch.setattr(x_parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(x_parallel, "usable_cores", lambda: 2)
    sent: list[list[str]] = []
    collect = x_parallel._collect

    def recording(worker: Any) -> Any:
        done, inflated = collect(worker)
        sent.append(sorted(done))
        return done, inflated

    monkeypatch.setattr(x_parallel, "_collect", recording)
    return sent


@pytest.fixture(scope="module")
def sequential() -> list[dict[str, Any]]:
    """The sample as one process reads it (module scope: set up before ``eager``)."""
    return records(SAMPLE)


def test_workers_read_the_same_posts(
    folder: Path, eager: list[list[str]], sequential: list[dict[str, Any]]
) -> None:
    assert records(folder) == sequential
    assert sorted(eager) == [["tweets-part1.js"], ["tweets.js"]]  # a worker for each part


def test_workers_read_a_zip_the_same(
    eager: list[list[str]], sequential: list[dict[str, Any]]
) -> None:
    """The zip takes the same path: each worker inflates its own members."""
    assert records(SAMPLE) == sequential
    assert sorted(eager) == [["tweets-part1.js"], ["tweets.js"]]


def _inflated_by_a_read(limits: ZipLimits | None = None) -> int:
    from tweetgen.sources.archive_tree import open_tree
    from tweetgen.sources.x_read import read_archive

    tree = open_tree(SAMPLE, limits)
    try:
        read_archive(tree, str(SAMPLE))
        return tree.archive.read_total  # type: ignore[attr-defined]
    finally:
        tree.close()


def test_what_workers_inflate_counts_against_the_zip(
    eager: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytes the workers inflated are counted here, as if this process had read them."""
    with_workers = _inflated_by_a_read()
    assert sorted(eager) == [["tweets-part1.js"], ["tweets.js"]]
    monkeypatch.setattr(x_parallel, "usable_cores", lambda: 1)
    alone = _inflated_by_a_read()
    assert len(eager) == 2  # no workers the second time
    assert with_workers == alone > 603_366  # the two parts, and the manifest, account, notes


def test_no_workers_when_the_zip_has_no_room_left(
    eager: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members whose declared sizes pass what the zip's total has left are not lent out: the
    sequential reader refuses with its own message."""
    limits = ZipLimits(max_total_bytes=500_000)  # the two parts declare 603,366 bytes
    with pytest.raises(ArchiveError, match="over the limit of") as refused:
        list(XArchiveSource(limits).read_batches(str(SAMPLE)))
    assert eager == []
    message = str(refused.value)
    monkeypatch.setattr(x_parallel, "usable_cores", lambda: 1)
    with pytest.raises(ArchiveError) as alone:
        list(XArchiveSource(limits).read_batches(str(SAMPLE)))
    assert str(alone.value) == message


def test_a_worker_inflates_no_more_than_it_was_lent() -> None:
    """A worker's total is what its members declare; a member past what is left of it (here,
    a lent total too small) is left unread, without a byte inflated."""
    prefix = {"zip": str(SAMPLE), "prefix": "data/"}
    answers = []
    for total in (600_000, 300_000):
        job = {
            "tree": prefix,
            "limits": asdict(ZipLimits(max_total_bytes=total)),
            "names": ["tweets.js"],
            "account": {"username": "someone", "display_name": None},
        }
        answer = io.BytesIO()
        x_parallel.work(job, answer)
        answers.append(x_parallel._collect(_Answered(answer.getvalue())))  # type: ignore[arg-type]
    (read, inflated), (refused, partly) = answers
    assert sorted(read) == ["tweets.js"] and inflated == 351_389
    assert refused == {} and partly == 0  # declared 351,389 bytes: refused before inflating


def test_guard_a_worker_sending_other_posts_is_caught(
    folder: Path,
    eager: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
    sequential: list[dict[str, Any]],
) -> None:
    collect = x_parallel._collect

    def lossy(worker: Any) -> Any:
        done, inflated = collect(worker)
        for columns in done.values():
            columns.batches = columns.batches[:-1]
        return done, inflated

    monkeypatch.setattr(x_parallel, "_collect", lossy)
    assert records(folder) != sequential
    assert records(SAMPLE) != sequential


def test_a_failed_worker_leaves_its_parts_to_this_process(
    folder: Path,
    eager: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
    sequential: list[dict[str, Any]],
) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")
    assert records(folder) == sequential
    assert records(SAMPLE) == sequential
    assert eager == [[], [], [], []]


def test_small_archives_stay_in_one_process(folder: Path) -> None:
    from tweetgen.sources.archive_tree import open_tree

    tree = open_tree(folder)
    assert x_parallel.parallel_plan(tree, ["tweets.js", "tweets-part1.js"]) == []


def test_a_script_without_a_main_guard_runs_once(folder: Path, tmp_path: Path) -> None:
    """Workers are plain subprocesses: a user's script is never re-run by them."""
    script = tmp_path / "script.py"
    script.write_text(
        "from tweetgen.sources import x_parallel\n"
        "x_parallel.MIN_PART_BYTES = x_parallel.MIN_PARALLEL_BYTES = 0\n"
        "x_parallel.usable_cores = lambda: 2\n"
        "from tweetgen import Corpus\n"
        "print('ran', flush=True)\n"
        f"print(len(Corpus.from_source('x-archive', {str(folder)!r})))\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["ran", "511"]


def test_a_worker_imports_from_this_process_path(tmp_path: Path) -> None:
    """A worker imports tweetgen from the ``sys.path`` sent with its job (this process's), not
    from a path built from where a file lies or from the environment."""
    fake = tmp_path / "tweetgen" / "sources"
    fake.mkdir(parents=True)
    (tmp_path / "tweetgen" / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "x_parallel.py").write_text("def serve(job):\n    print('fake', job['n'])\n")
    job = json.dumps({"path": [str(tmp_path), *sys.path], "n": 7})
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", x_parallel._WORKER],
        input=job + "\n", capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    assert out.stdout.split() == ["fake", "7"]


def test_workers_start_without_datasets_and_build_the_corpus_schema() -> None:
    """Workers import pyarrow only (``datasets`` costs each half a second); the plain Arrow
    layout they use is the corpus's, field for field."""
    from tweetgen.corpus.corpus import FEATURES
    from tweetgen.records.schema import SCHEMA

    assert SCHEMA.equals(FEATURES.arrow_schema)
    code = "import sys, tweetgen.sources.x_parallel; print('datasets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]


def test_a_started_stream_gives_its_first_batch_first() -> None:
    """``started`` reads ahead one batch (before ``datasets`` is imported) and loses none."""
    from tweetgen.sources.batches import SourceStream

    batches = [pa.record_batch({"n": [i]}) for i in range(3)]
    pulled: list[int] = []

    def source() -> Iterator[pa.RecordBatch]:
        for b in batches:
            pulled.append(b.column(0)[0].as_py())
            yield b

    stream = SourceStream(object(), source()).started()
    assert pulled == [0]
    assert [b.column(0)[0].as_py() for b in stream] == [0, 1, 2]
    assert list(SourceStream(object(), iter([])).started()) == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states in /proc")
def test_a_worker_stops_soon_after_its_parent_is_killed() -> None:
    """The parent starts a worker that would sleep a minute, then dies; the worker ends
    within seconds (a guard run without the check is still alive by then)."""
    child = (
        "import os, sys, threading, time\n"
        "from tweetgen.sources import x_parallel\n"
        "if sys.argv[1] == 'checked':\n"
        "    threading.Thread(target=x_parallel._stop_when_orphaned, args=(int(sys.argv[2]),),"
        " daemon=True).start()\n"
        "time.sleep(60)\n"
    )
    parent = (
        "import subprocess, sys\n"
        "import os\n"
        f"p = subprocess.Popen([sys.executable, '-c', {child!r}, sys.argv[1], str(os.getpid())],"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(p.pid, flush=True)\n"
        "import time; time.sleep(0.5)\n"
        "import os; os._exit(0)\n"
    )
    alive = {}
    for mode in ("checked", "unchecked"):
        out = subprocess.run(
            [sys.executable, "-c", parent, mode], capture_output=True, text=True, check=True
        )
        pid = int(out.stdout.split()[0])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _running(pid):
            time.sleep(0.1)
        alive[mode] = _running(pid)
        if alive[mode]:
            os.kill(pid, signal.SIGKILL)
    assert alive == {"checked": False, "unchecked": True}


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class _Answered:
    """A finished worker: what it wrote, to be read back by ``_collect``."""

    def __init__(self, answer: bytes) -> None:
        self.stdout = io.BufferedReader(io.BytesIO(answer))

    def wait(self) -> int:
        return 0


def _tweet(i: int, when: str = "Wed Jan 17 14:41:16 +0000 2024") -> dict[str, Any]:
    return {"tweet": {"id_str": str(i), "full_text": f"post number {i}", "created_at": when}}


def test_a_file_declined_midway_is_left_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that already streamed batches of a file and then meets what only the careful
    reader can word marks the file unread; the other files it read stand."""
    from tweetgen.sources import jsfile

    monkeypatch.setattr(jsfile, "PIECE_BYTES", 1500)
    data = tmp_path / "data"
    data.mkdir()
    odd = [_tweet(i) for i in range(40)]
    odd[35] = _tweet(35, "Sat Feb 30 14:41:16 +0000 2024")  # no such day, pieces later
    for name, tweets in (
        ("tweets.js", [_tweet(i) for i in range(40, 60)]),
        ("tweets-part1.js", odd),
    ):
        (data / name).write_text("window.YTD.tweets.part0 = " + json.dumps(tweets, indent=2))
    job = {
        "tree": {"folder": str(data)},
        "limits": asdict(ZipLimits()),
        "names": ["tweets-part1.js", "tweets.js"],
        "account": {"username": "someone", "display_name": None},
    }
    answer = io.BytesIO()
    x_parallel.work(job, answer)
    streamed = answer.getvalue().split(b"\n", 1)[1]
    assert len(list(pa.ipc.open_stream(streamed))) >= 2  # batches went out before the decline
    done, inflated = x_parallel._collect(_Answered(answer.getvalue()))  # type: ignore[arg-type]
    assert sorted(done) == ["tweets.js"] and inflated == 0  # a folder inflates nothing
    assert sum(b.num_rows for b in done["tweets.js"].batches) == 20
