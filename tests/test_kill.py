"""SIGKILL at chosen points of ``train``, ``prepare`` and the final save (issue 9).

Each point: an earlier output is in place; a child process runs the command and kills itself
(SIGKILL: no cleanup, like the OOM killer) at that point. Then: the user's path holds the old
or the new output (after the next start's recovery for the one point that needs it: the
fallback without an atomic exchange); the next run finishes the job (``train --resume`` to
the same final weights as an uninterrupted run); and no debris is left beside the output or in
it. The work folder (checkpoints) lives inside the model folder and is carried into each new
one just before the swap: the ``*-after-carry`` points kill in that window, and the resumed
run must still find its checkpoints. ``fresh-*`` points train into a new folder (no earlier
model: the folder holds only the marker and the work folder until the final save).

All points are ``slow`` (``make test-slow`` runs them); two also run in the default suite.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tweetgen.base import atomic
from tweetgen.corpus.corpus import Corpus
from tweetgen.training.config import WORK_DIR_NAME
from tweetgen.training.testing import corpus_from_texts, synthetic_texts, tiny_config
from tweetgen.training.trainer import Trainer

SETTINGS = {"epochs": 2, "checkpoint_every": 4}

_CHILD = textwrap.dedent(
    """
    import json, os, signal, sys
    from pathlib import Path

    point, out, data = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    calls = {}

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def after(owner, name, when=lambda *a, **k: True, nth=1):
        original = getattr(owner, name)
        def wrapper(*args, **kwargs):
            result = original(*args, **kwargs)
            if when(*args, **kwargs):
                calls[name] = calls.get(name, 0) + 1
                if calls[name] == nth:
                    die()
            return result
        setattr(owner, name, wrapper)

    def before(owner, name, when):
        original = getattr(owner, name)
        def wrapper(*args, **kwargs):
            if when(*args, **kwargs):
                die()
            return original(*args, **kwargs)
        setattr(owner, name, wrapper)

    from tweetgen.base import atomic
    from tweetgen.model import base as base_model
    from tweetgen.training import checkpoint, trainer

    is_out = lambda *a, **k: Path(a[-1]).name == out.name
    if point.endswith("between-renames"):  # the fallback where no atomic exchange exists
        atomic.exchange = lambda a, b: False
        after(Path, "rename", when=lambda src, dst: Path(src).name == out.name)
    elif point.endswith("after-exchange"):
        after(atomic, "exchange", when=is_out)
    elif point.endswith("after-carry"):  # the work folder is in the temporary, not swapped yet
        after(atomic, "_carry_into", when=lambda tmp, target, *a: Path(target).name == out.name)
    elif point.endswith("before-swap"):  # before the carry and the swap
        before(atomic, "_swap_in", when=lambda tmp, target, *a: Path(target).name == out.name)
    elif point == "tiny-base":
        after(base_model, "write_json")
    elif point == "mid-checkpoint":
        after(checkpoint, "write_json", nth=2)  # the second checkpoint, inside its temporary
    elif point == "final-model-written":
        after(trainer.FullFineTune, "save")
    elif point == "clean-work":
        before(trainer, "clear_work", lambda *a, **k: True)  # the checkpoints cleared
    elif point == "prepare-posts-written":
        import datasets
        after(datasets.Dataset, "save_to_disk")

    steps = {"first-evaluate": 0, "after-checkpoint": 9, "mid-train": 2, "fresh-mid-train": 9}
    def progress(event):
        if point in steps and event.step == steps[point] and event.stage in ("train", "evaluate"):
            die()

    if point.startswith("prepare"):
        from tweetgen.pipeline import prepare
        counted = (lambda n: die()) if point == "prepare-reading" else None
        prepare("jsonl", data, out, progress=counted)
    else:
        from tweetgen.corpus.corpus import Corpus
        from tweetgen.training.testing import tiny_config
        settings = json.loads(sys.argv[4])
        trainer.Trainer(tiny_config(out, **settings)).train(Corpus.load(data), progress=progress)
    sys.exit(3)  # the point was never reached
    """
)

TRAIN_POINTS = [
    "tiny-base",
    "first-evaluate",
    "mid-train",
    "mid-checkpoint",
    "after-checkpoint",
    "final-model-written",
    "final-before-swap",
    "final-after-exchange",
    "final-between-renames",
    "final-after-carry",
    "clean-work",
    "fresh-mid-train",
    "fresh-after-carry",
]
PREPARE_POINTS = [
    "prepare-reading",
    "prepare-posts-written",
    "prepare-before-swap",
    "prepare-after-exchange",
    "prepare-between-renames",
]
CARRY = (WORK_DIR_NAME,)
#: Points killed before the first checkpoint, or after clearing them: nothing to resume from.
EARLY = {"tiny-base", "first-evaluate", "mid-train", "clean-work"}
#: The two that also run in the default suite: the crash-safe swap of a model and of a corpus.
DEFAULT = {"final-between-renames", "prepare-after-exchange"}


def points(names: list[str]) -> list[object]:
    return [
        pytest.param(n, marks=()) if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow)
        for n in names
    ]


def kill_at(point: str, out: Path, data: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, point, str(out), str(data), json.dumps(SETTINGS)],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | {"PYTHONHASHSEED": "0"},
    )
    assert child.returncode == -signal.SIGKILL, (point, child.returncode, child.stderr[-2000:])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def debris(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kill")
    return corpus_from_texts(synthetic_texts(300)).save(root / "corpus")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> dict[str, Path]:
    """An earlier model (another seed) and the model an uninterrupted run makes."""
    root = tmp_path_factory.mktemp("models")
    corpus = Corpus.load(corpus_dir)
    old = Trainer(tiny_config(root / "old", **SETTINGS, seed=1)).train(corpus).path
    straight = Trainer(tiny_config(root / "straight", **SETTINGS)).train(corpus).path
    return {"old": old, "straight": straight}


@pytest.mark.parametrize("point", points(TRAIN_POINTS))
def test_train_killed_keeps_the_old_model_and_resumes_to_the_same_weights(
    tmp_path: Path, point: str, corpus_dir: Path, models: dict[str, Path]
) -> None:
    out = tmp_path / "model"
    fresh = point.startswith("fresh")
    if not fresh:
        shutil.copytree(models["old"], out)
    old, new = (
        digest(models["old"] / "model.safetensors"),
        digest(models["straight"] / "model.safetensors"),
    )
    kill_at(point, out, corpus_dir)
    if point == "final-between-renames":  # the user's path is empty until the next start
        assert not out.exists()
        atomic.recover(out, carry=CARRY)
    checkpoints = list((out / WORK_DIR_NAME / "checkpoints").glob("step-*"))
    if point.endswith("after-carry"):  # the checkpoints are in the dead writer's temporary
        assert not (out / WORK_DIR_NAME).exists()
    else:
        assert bool(checkpoints) == (point not in EARLY)
    if fresh:  # no model yet: the folder holds only what the run made for itself
        assert {p.name for p in out.iterdir()} <= {atomic.OWNER_MARKER, WORK_DIR_NAME}
    else:
        assert digest(out / "model.safetensors") in {old, new}, "neither the old nor the new"
    if not fresh and digest(out / "model.safetensors") == old:
        assert (out / "tweetgen.json").read_bytes() == (
            models["old"] / "tweetgen.json"
        ).read_bytes()
    config = tiny_config(out, **SETTINGS, resume=True)
    events: list[str] = []
    Trainer(config).train(Corpus.load(corpus_dir), progress=lambda e: events.append(e.message))
    assert digest(out / "model.safetensors") == new, "resumed to other weights"
    resumed = [m for m in events if m.startswith("resumed from step")]
    assert bool(resumed) == (point not in EARLY), "the checkpoints were lost"
    assert debris(tmp_path, {"model"}) == []
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [atomic.OWNER_MARKER]


def _jsonl(path: Path, texts: list[str]) -> Path:
    rows = [
        {"id": str(i), "author": "me", "text": t, "created_at": "2026-01-01T00:00:00Z"}
        for i, t in enumerate(texts)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("point", points(PREPARE_POINTS))
def test_prepare_killed_keeps_the_old_corpus(tmp_path: Path, point: str) -> None:
    from tweetgen.pipeline import prepare

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    old_data = _jsonl(inputs / "old.jsonl", synthetic_texts(120, seed=1))
    new_data = _jsonl(inputs / "new.jsonl", synthetic_texts(300, seed=2))
    out = tmp_path / "corpus"
    old = len(prepare("jsonl", str(old_data), out))
    new = len(prepare("jsonl", str(new_data), tmp_path / "reference"))
    shutil.rmtree(tmp_path / "reference")
    assert old != new
    kill_at(point, out, new_data)
    if point == "prepare-between-renames":
        assert not out.exists()
        atomic.recover(out)
    assert len(Corpus.load(out)) in {old, new}
    assert len(prepare("jsonl", str(new_data), out)) == new
    assert len(Corpus.load(out)) == new
    assert debris(tmp_path, {"corpus", "inputs"}) == []
