"""Where tweetgen writes: never into a user's folder, never half, never two writers at once.

The only data-loss bug found in issue 9 was a work folder's ``checkpoints/`` of the user's own
emptied by ``train``; these tests pin that and the other rules of :mod:`tweetgen.base.atomic`.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tweetgen.base import atomic
from tweetgen.base.atomic import (
    OWNER_MARKER,
    atomic_dir,
    atomic_file,
    check_output,
    claim_dir,
    output_lock,
    recover,
    remove_owned,
)
from tweetgen.corpus.corpus import Corpus
from tweetgen.errors import TrainingError, TweetgenError
from tweetgen.training.config import WORK_DIR_NAME
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


@pytest.mark.parametrize("explicit", [True, False], ids=["work_dir=DIR", f"OUT/{WORK_DIR_NAME}"])
def test_a_users_checkpoints_folder_is_refused_and_kept(
    tmp_path: Path,
    corpus: Corpus,
    explicit: bool,
) -> None:
    model = tmp_path / "model"
    # default: the model folder of an unfinished first run, its work folder holding the user's
    work = tmp_path / "mine" if explicit else claim_dir(model) / WORK_DIR_NAME
    mine = user_checkpoints(work)
    before = listing(tmp_path)
    config = tiny_config(model, max_steps=2, **({"work_dir": work} if explicit else {}))
    with pytest.raises(TrainingError, match="not made by tweetgen") as info:
        Trainer(config).train(corpus)
    assert str(mine) in str(info.value)
    assert listing(tmp_path) == before  # nothing deleted, nothing added (no tiny-base)


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


# the work folder inside the model folder, carried by each save ---------------------------

CARRY = (".w",)


def _old_output_with_work(target: Path) -> Path:
    """An earlier output holding a work folder with a checkpoint (and a file held open)."""
    with atomic_dir(target) as tmp:
        (tmp / "v").write_text("old")
    (target / ".w" / "checkpoints").mkdir(parents=True)
    (target / ".w" / "checkpoints" / "step-1").write_text("checkpoint")
    return target / ".w"


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "fallback"])
def test_a_save_carries_the_work_folder_into_the_new_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    target = tmp_path / "out"
    work = _old_output_with_work(target)
    inode = work.stat().st_ino
    log = work / "run.log"
    if not exchange:
        monkeypatch.setattr(atomic, "exchange", lambda a, b: False)
    with open(log, "w") as handle:  # a tracker's open log file, by path and by handle
        handle.write("before ")
        handle.flush()
        with atomic_dir(target, replaceable=lambda p: True, carry=CARRY) as tmp:
            (tmp / "v").write_text("new")
        handle.write("after")
    with open(log, "a") as again:  # the path still names the same file
        again.write(" reopened")
    assert (target / "v").read_text() == "new"
    assert work.stat().st_ino == inode  # renamed, not copied
    assert (work / "checkpoints" / "step-1").read_text() == "checkpoint"
    assert log.read_text() == "before after reopened"
    assert listing(tmp_path) == [
        *("out", "out/.w", "out/.w/checkpoints", "out/.w/checkpoints/step-1"),
        *("out/.w/run.log", "out/v"),
    ]


def test_without_carry_the_work_folder_goes_with_the_old_output(tmp_path: Path) -> None:
    """Guard: what the carry prevents."""
    target = tmp_path / "out"
    _old_output_with_work(target)
    with atomic_dir(target, replaceable=lambda p: True) as tmp:
        (tmp / "v").write_text("new")
    assert listing(tmp_path) == ["out", "out/v"]


def test_a_failed_swap_leaves_the_work_folder_in_the_old_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    _old_output_with_work(target)
    before = listing(tmp_path)

    def broken(tmp: Path, target: Path) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(atomic, "replace_dir", broken)
    with (
        pytest.raises(OSError, match="disk on fire"),
        atomic_dir(target, replaceable=lambda p: True, carry=CARRY) as tmp,
    ):
        (tmp / "v").write_text("new")
    assert listing(tmp_path) == before
    assert (target / "v").read_text() == "old"


def test_a_new_output_may_not_write_a_carried_name(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _old_output_with_work(target)
    before = listing(tmp_path)
    with (
        pytest.raises(TweetgenError, match=r"already holds '\.w'"),
        atomic_dir(target, replaceable=lambda p: True, carry=CARRY) as tmp,
    ):
        (tmp / ".w").mkdir()
    assert listing(tmp_path) == before


@pytest.mark.parametrize("set_aside", [False, True], ids=["after-carry", "between-renames"])
def test_recover_brings_the_work_folder_back_from_a_dead_writer(
    tmp_path: Path, set_aside: bool
) -> None:
    """A kill after carrying, before the swap: the checkpoints are in the dead process's
    temporary (and, in the fallback, the old output is set aside). Recovery puts both back."""
    target = tmp_path / "out"
    _old_output_with_work(target)
    dead_tmp = tmp_path / ".out.999999999.abcd1234.tmp"
    dead_tmp.mkdir()
    (dead_tmp / "v").write_text("half-written new")
    (target / ".w").rename(dead_tmp / ".w")  # what the carry did before the kill
    if set_aside:
        target.rename(tmp_path / ".out.old-999999999")
    recover(target, carry=CARRY)
    assert (target / "v").read_text() == "old"
    assert (target / ".w" / "checkpoints" / "step-1").read_text() == "checkpoint"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_recover_without_carry_would_lose_the_work_folder(tmp_path: Path) -> None:
    """Guard: the same leftovers swept without ``carry`` lose the checkpoints."""
    target = tmp_path / "out"
    _old_output_with_work(target)
    dead_tmp = tmp_path / ".out.999999999.abcd1234.tmp"
    dead_tmp.mkdir()
    (target / ".w").rename(dead_tmp / ".w")
    recover(target)
    assert listing(tmp_path) == ["out", "out/v"]


def test_recover_never_overwrites_a_work_folder_in_place(tmp_path: Path) -> None:
    target = tmp_path / "out"
    work = _old_output_with_work(target)
    dead_tmp = tmp_path / ".out.999999999.abcd1234.tmp"
    (dead_tmp / ".w").mkdir(parents=True)
    (dead_tmp / ".w" / "stale").write_text("older")
    recover(target, carry=CARRY)
    assert sorted(p.name for p in work.iterdir()) == ["checkpoints"]
    assert not dead_tmp.exists()


# train --out MODEL writes only inside MODEL ------------------------------------------------

_SMALL = [
    *("--base-model", "tiny", "--max-steps", "4", "--device", "cpu"),
    *("--set", "tiny.vocab_size=400", "--set", "tiny.n_layer=1", "--set", "tiny.n_embd=32"),
    *("--set", "tiny.n_head=2", "--set", "block_size=32", "--set", "threads=1"),
]


def _train_cli(corpus_dir: Path, parent: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``tweetgen train`` from inside ``parent`` (so a stray ``./wandb`` would land there),
    W&B offline, with a home folder of its own."""
    home = parent.with_name(parent.name + "-home")
    home.mkdir(exist_ok=True)
    env = os.environ | {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "HOME": str(home)}
    for var in ("WANDB_DIR", "WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_ARTIFACT_DIR"):
        env.pop(var, None)
    command = [sys.executable, "-m", "tweetgen", "train", str(corpus_dir), *args, *_SMALL]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=parent, env=env)


def beside(parent: Path, before: set[str], model: str = "model") -> list[str]:
    """What appeared in ``parent`` other than the model folder."""
    return sorted({p.name for p in parent.iterdir()} - before - {model})


@pytest.fixture(scope="module")
def corpus_dir(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus.save(tmp_path_factory.mktemp("in") / "corpus")


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("wandb") is None, reason="wandb is not installed"
)
def test_train_writes_nothing_beside_the_model_folder(tmp_path: Path, corpus_dir: Path) -> None:
    """W&B on (offline) and checkpoints kept: every file of the run is inside MODEL."""
    from tweetgen.model.files import model_files
    from tweetgen.model.hub import upload_operations

    parent = tmp_path / "parent"
    parent.mkdir()
    (parent / "someone-elses.txt").write_text("here before")
    before = {p.name for p in parent.iterdir()}
    keep = ["--set", "keep_checkpoints=true", "--set", "checkpoint_every=2"]
    for attempt in ("first", "again"):  # a second run replaces the model, keeping its work
        done = _train_cli(corpus_dir, parent, "--out", "model", "--wandb", *keep)
        assert done.returncode == 0, (attempt, done.stderr[-3000:])
        assert beside(parent, before) == [], attempt
    assert not any(parent.with_name("parent-home").rglob("*"))
    model = parent / "model"
    work = model / WORK_DIR_NAME
    assert sorted(p.name for p in model.iterdir() if p.name.startswith(".")) == [
        OWNER_MARKER,
        WORK_DIR_NAME,
    ]
    assert list((work / "checkpoints").glob("step-*"))
    assert len(list((work / "wandb").glob("offline-run-*"))) == 2  # both runs' W&B files
    shipped = [p.relative_to(model).as_posix() for p in model_files(model)]
    assert "model.safetensors" in shipped and not [n for n in shipped if n.startswith(".")]
    uploaded = [op.path_in_repo for op in upload_operations(model, "me/voice")]
    assert sorted(uploaded) == sorted(shipped)
    import transformers

    generator = transformers.pipeline("text-generation", model=str(model), device="cpu")
    assert generator("", max_new_tokens=4, do_sample=False)[0]["generated_text"] is not None


def test_the_scan_sees_a_work_folder_beside_the_model(tmp_path: Path, corpus_dir: Path) -> None:
    """Guard: the scan above fails when a run writes beside MODEL (the old ``MODEL.work``)."""
    parent = tmp_path / "parent"
    parent.mkdir()
    before = {p.name for p in parent.iterdir()}
    old_place = ["--set", "work_dir=model.work", "--set", "keep_checkpoints=true"]
    done = _train_cli(corpus_dir, parent, "--out", "model", *old_place)
    assert done.returncode == 0, done.stderr[-3000:]
    assert beside(parent, before) == ["model.work"]


def test_a_plain_train_leaves_the_model_and_the_marker(tmp_path: Path, corpus: Corpus) -> None:
    model = Trainer(tiny_config(tmp_path / "model", max_steps=2, checkpoint_every=1)).train(corpus)
    names = {p.name for p in model.path.iterdir()}
    assert OWNER_MARKER in names and "model.safetensors" in names
    assert [n for n in names if n.startswith(".")] == [OWNER_MARKER]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def _unfinished_first_run(model: Path) -> Path:
    """What a first run killed before its final save leaves: marker and work folder only."""
    work = claim_dir(model) / WORK_DIR_NAME
    claim_dir(work / "checkpoints")
    return work


def test_a_model_folder_without_a_model_yet_is_ours_to_resume(tmp_path: Path) -> None:
    from tweetgen.training.places import check_places

    model = tmp_path / "model"
    _unfinished_first_run(model)
    check_places(tiny_config(model, resume=True))  # an earlier output of this kind
    (model / "notes.txt").write_text("the user's")
    with pytest.raises(TrainingError, match="not an earlier output"):
        check_places(tiny_config(model, resume=True))
    (model / "notes.txt").unlink()
    (model / OWNER_MARKER).unlink()  # not made by tweetgen: not replaced either
    with pytest.raises(TrainingError, match="not an earlier output"):
        check_places(tiny_config(model, resume=True))


def test_generate_on_a_model_folder_without_a_model_is_one_line(tmp_path: Path) -> None:
    model = tmp_path / "model"
    _unfinished_first_run(model)
    command = [sys.executable, "-m", "tweetgen", "generate", str(model), "hi"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert "no config.json" in lines[0] and "Traceback" not in done.stderr


def test_a_file_where_the_work_folder_goes_is_refused(tmp_path: Path) -> None:
    from tweetgen.training.places import check_places

    model = claim_dir(tmp_path / "model")
    (model / WORK_DIR_NAME).write_text("a file")
    with pytest.raises(TrainingError, match="not a directory"):
        check_places(tiny_config(model))


def test_work_dir_may_not_be_the_model_folder(tmp_path: Path) -> None:
    from tweetgen.training.places import check_places

    with pytest.raises(TrainingError, match="must not be out_dir"):
        check_places(tiny_config(tmp_path / "m", work_dir=tmp_path / "m"))
    assert list(tmp_path.iterdir()) == []


def test_a_work_dir_set_inside_the_model_folder_is_carried_too(
    tmp_path: Path, corpus: Corpus
) -> None:
    model = tmp_path / "model"
    config = tiny_config(
        model, max_steps=2, checkpoint_every=1, keep_checkpoints=True, work_dir=model / "w" / "x"
    )
    assert config.carried() == (WORK_DIR_NAME, "w")
    Trainer(config).train(corpus)
    Trainer(config).train(corpus)  # replaces the model: the checkpoints stay
    assert list((model / "w" / "x" / "checkpoints").glob("step-*"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
