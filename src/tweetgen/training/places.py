"""Where a run writes, and the guards around it: the output folder and the work folder
(checkpoints, token cache, tiny base) are checked and locked before any work starts, and a run
that fails with nothing to resume from leaves no folder behind."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tweetgen.base.atomic import (
    OWNER_MARKER,
    Replaceable,
    check_output,
    claim_dir,
    output_guard,
    owned,
    remove_if_empty,
    remove_owned,
)
from tweetgen.errors import TrainingError, TweetgenError
from tweetgen.model import base as base_model
from tweetgen.model.files import METADATA_FILE
from tweetgen.training import distributed
from tweetgen.training.checkpoint import CheckpointStore
from tweetgen.training.config import TrainConfig
from tweetgen.training.data import CACHE_SUFFIX

#: Folders inside the work folder.
TINY_BASE_DIR = "tiny-base"
TOKEN_CACHE_DIR = "tokens"
CHECKPOINTS_DIR = "checkpoints"


def checkpoints(config: TrainConfig, fingerprint: str = "") -> CheckpointStore:
    """The run's checkpoint store (``fingerprint``: the corpus's, when saving or resuming)."""
    return CheckpointStore(config.work_path / CHECKPOINTS_DIR, config, fingerprint)


def clear_work(work: Path) -> None:
    """Remove the tiny base and token cache tweetgen made in ``work`` (only those), and
    ``work`` itself if nothing else is left (checkpoints are the store's to clear)."""
    remove_owned(work / TINY_BASE_DIR, marker=base_model.TINY_MARKER)
    for cached in (work / TOKEN_CACHE_DIR).glob(f"*{CACHE_SUFFIX}"):  # only our files
        cached.unlink(missing_ok=True)
    remove_if_empty(work / TOKEN_CACHE_DIR)
    remove_if_empty(work)


def earlier_model(config: TrainConfig) -> Replaceable:
    """What ``out_dir`` may hold to be replaced: an earlier model (``tweetgen.json``), or the
    folder an unfinished first run claimed for its work folder (marker and work folder only)."""
    allowed = {OWNER_MARKER, *config.carried()}

    def earlier(path: Path) -> bool:
        if (path / METADATA_FILE).is_file():
            return True
        return owned(path) and {entry.name for entry in path.iterdir()} <= allowed

    return earlier


@contextmanager
def guard_places(config: TrainConfig) -> Iterator[None]:
    """Hold the output's and the work folder's locks; refuse unusable ones before any work.

    Only the process that writes them (rank 0 under torchrun) takes the locks. A work folder
    inside ``out_dir`` (the default) is covered by the output's lock; ``out_dir`` is created
    (marked as tweetgen's) to hold it, and removed again if the run fails with no checkpoint
    to resume from (a killed run leaves it: the next run resumes or replaces it).
    """
    if distributed.secondary_rank():
        yield
        return
    check_places(config)
    with (
        output_guard(
            config.out_dir,
            replaceable=earlier_model(config),
            error=TrainingError,
            carry=config.carried(),
        ),
        _work_folder(config),
    ):
        checkpoints(config).check()
        yield


@contextmanager
def _work_folder(config: TrainConfig) -> Iterator[None]:
    if config.work_inside() is None:
        with output_guard(config.work_path, replaceable=lambda _: True, error=TrainingError):
            yield
        return
    out = config.out_dir
    made = not out.exists() or not any(out.iterdir())
    if made:
        claim_dir(out, error=TrainingError)
    try:
        yield
    except BaseException:
        store = checkpoints(config)
        if made and not store.paths():  # nothing to resume from: leave no folder behind
            with contextlib.suppress(TweetgenError, OSError):
                store.clear()
                clear_work(config.work_path)
        remove_if_empty(config.work_path)
        if made:
            remove_if_empty(out)
        raise


def check_places(config: TrainConfig) -> None:
    """Refuse an unusable ``out_dir`` or work folder (creates nothing, takes no lock): the CLI
    calls this before reading the corpus."""
    check_output(config.out_dir, replaceable=earlier_model(config), error=TrainingError)
    if os.path.abspath(config.work_path) == os.path.abspath(config.out_dir):
        raise TrainingError("work_dir must not be out_dir itself", path=config.out_dir)
    check_output(config.work_path, replaceable=lambda _: True, error=TrainingError)
    checkpoints(config).check()
