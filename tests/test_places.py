"""Where tweetgen writes: never into a user's folder, never half, never two writers at once.

The only data-loss bug found in issue 9 was a work folder's ``checkpoints/`` of the user's own
emptied by ``train``; these tests pin that and the other rules of :mod:`tweetgen.atomic`.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

import pytest

from tweetgen import atomic
from tweetgen.atomic import (
    OWNER_MARKER,
    atomic_dir,
    atomic_file,
    check_output,
    claim_dir,
    output_lock,
    recover,
    remove_owned,
)
from tweetgen.corpus import Corpus
from tweetgen.errors import TrainingError, TweetgenError
from tweetgen.training.testing import corpus_from_texts, synthetic_texts, tiny_config
from tweetgen.training.trainer import Trainer


def listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def user_checkpoints(folder: Path) -> Path:
    mine = folder / "checkpoints"
    (mine / "epoch-3").mkdir(parents=True)
    (mine / "epoch-3" / "weights.bin").write_bytes(b"user's own weights")
    (mine / "notes.txt").write_text("mine")
    return mine


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return corpus_from_texts(synthetic_texts(300))


@pytest.mark.parametrize("explicit", [True, False], ids=["work_dir=DIR", "OUT.work"])
def test_a_users_checkpoints_folder_is_refused_and_kept(
    tmp_path: Path,
    corpus: Corpus,
    explicit: bool,
) -> None:
    work = tmp_path / ("mine" if explicit else "model.work")
    mine = user_checkpoints(work)
    before = listing(work)
    config = tiny_config(
        tmp_path / "model", max_steps=2, **({"work_dir": work} if explicit else {})
    )
    with pytest.raises(TrainingError, match="not made by tweetgen") as info:
        Trainer(config).train(corpus)
    assert str(mine) in str(info.value)
    assert listing(work) == before  # nothing deleted, nothing added (no tiny-base)
    assert sorted(p.name for p in tmp_path.iterdir()) == [work.name]


def test_a_users_work_dir_keeps_its_files_and_gets_nothing_left(
    tmp_path: Path,
    corpus: Corpus,
) -> None:
    work = tmp_path / "mine"
    work.mkdir()
    (work / "diary.txt").write_text("keep me")
    (work / "tiny-base").mkdir()  # not a tiny base of tweetgen's: no marker
    (work / "tiny-base" / "vocab.txt").write_text("mine")
    config = tiny_config(tmp_path / "model", max_steps=2, work_dir=work)
    with pytest.raises(TrainingError, match="not replacing"):
        Trainer(config).train(corpus)  # the tiny base cannot go there (a non-empty user folder)
    shutil.rmtree(work / "tiny-base")
    config = tiny_config(tmp_path / "model", max_steps=2, checkpoint_every=1, work_dir=work)
    Trainer(config).train(corpus)
    assert listing(work) == ["diary.txt"]
    assert (work / "diary.txt").read_text() == "keep me"


def test_claim_and_remove_only_marked_folders(tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    (user / "f").write_text("x")
    with pytest.raises(TweetgenError, match="not made by tweetgen"):
        claim_dir(user)
    assert not remove_owned(user) and (user / "f").is_file()
    ours = claim_dir(tmp_path / "ours")
    assert (ours / OWNER_MARKER).is_file()
    assert claim_dir(ours) == ours  # ours again
    assert remove_owned(ours) and not ours.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert claim_dir(empty) == empty and (empty / OWNER_MARKER).is_file()


@pytest.mark.parametrize(
    "where",
    ["/", "/proc/tweetgen-out", "/dev/null", "parent-file/out", "/sys/tweetgen-out"],
)
def test_unwritable_outputs_are_refused_creating_nothing(tmp_path: Path, where: str) -> None:
    (tmp_path / "parent-file").write_text("a file, not a folder")
    target = where if where.startswith("/") else str(tmp_path / where)
    before = listing(tmp_path)
    with pytest.raises(TweetgenError) as info:
        check_output(target)
    assert "\n" not in str(info.value)
    with pytest.raises(TweetgenError), atomic_dir(target):
        pytest.fail("must not get here")
    assert listing(tmp_path) == before
    assert not Path("/dev/null.work").exists()


def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    """A read-only mount when the test may make one; chmod for ordinary users."""
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() == 0:
        if shutil.which("mount") is None or os.system(
            f"mount -t tmpfs -o ro tmpfs {ro} 2>/dev/null"
        ):
            pytest.skip("root without a way to make a read-only mount")
    else:
        ro.chmod(0o555)
    try:
        with pytest.raises(TweetgenError, match="cannot write here"):
            check_output(ro / "out")
    finally:
        if os.geteuid() == 0:
            os.system(f"umount {ro}")
        ro.chmod(0o755)


def test_failed_write_removes_parent_folders_it_made(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "a" / "b" / "out"):
        raise RuntimeError
    assert listing(tmp_path) == []


def test_replacing_swaps_in_one_step_and_leaves_no_debris(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "v").write_text("1")
    with atomic_dir(target, replaceable=lambda p: (p / "v").is_file()) as tmp:
        (tmp / "v").write_text("2")
    assert (target / "v").read_text() == "2"
    assert listing(tmp_path) == ["out", "out/v"]


def test_without_an_exchange_a_kill_between_renames_is_recovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback path: the old output set aside, then the process dies before the second
    rename. The user's path is empty for a moment; the next start puts the old one back."""
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "v").write_text("old")
    old = tmp_path / ".out.old-999999999"
    target.rename(old)  # what a kill after the first rename leaves
    (tmp_path / ".out.999999999.abc12345.tmp").mkdir()  # and its half-written new output
    recover(target)
    assert (target / "v").read_text() == "old"
    assert listing(tmp_path) == ["out", "out/v"]
    monkeypatch.setattr(atomic, "exchange", lambda a, b: False)
    with atomic_dir(target, replaceable=lambda p: True) as tmp:
        (tmp / "v").write_text("new")
    assert (target / "v").read_text() == "new"
    assert listing(tmp_path) == ["out", "out/v"]


def test_stale_temporaries_of_dead_processes_are_swept(tmp_path: Path) -> None:
    dead = 999_999_999
    (tmp_path / f".out.{dead}.abcd1234.tmp").mkdir()
    (tmp_path / f".f.txt.{dead}.x1y2z3.tmp").write_text("half")
    alive = tmp_path / f".out.{os.getpid()}.keepme12.tmp"
    alive.mkdir()
    other = tmp_path / f".out.work.{dead}.abcd1234.tmp"  # another output's: not ours to judge
    other.mkdir()
    with atomic_dir(tmp_path / "out") as tmp:
        (tmp / "v").write_text("1")
    with atomic_file(tmp_path / "f.txt") as handle:
        handle.write("x")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["out", "f.txt", alive.name, other.name])


def _hold_lock(
    target: str, ready: multiprocessing.synchronize.Event, done: multiprocessing.synchronize.Event
) -> None:
    with output_lock(target):
        ready.set()
        done.wait(30)


def test_a_second_writer_is_refused_at_once(tmp_path: Path) -> None:
    target = tmp_path / "out"
    ctx = multiprocessing.get_context("spawn")
    ready, done = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(target), ready, done))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(TweetgenError, match="another tweetgen process"), atomic_dir(target):
            pytest.fail("must not get here")
    finally:
        done.set()
        holder.join(30)
    assert listing(tmp_path) == []  # the holder removed its lock file
    with atomic_dir(target) as tmp:  # free again
        (tmp / "v").write_text("1")
    with output_lock(target), output_lock(target), atomic_dir(target, replaceable=lambda p: True):
        pass  # re-entrant in one process
