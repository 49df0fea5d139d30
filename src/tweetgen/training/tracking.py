"""Weights & Biases tracking, as the seed did it: a preprocess run and a train run.

* ``log_preprocess`` starts a run with ``job_type="preprocess"`` that logs the raw and the
  training posts as ``dataset`` artifacts (JSONL of the posts plus the data table).
* ``start_train_run`` starts a ``job_type="train"`` run that logs the config (secrets
  filtered out), metrics per step and epoch, and the model directory as a ``model`` artifact,
  declaring the training dataset artifact as its input when it exists.

When ``wandb`` is not installed or tracking is off, a :class:`NullTracker` does nothing.
``WANDB_MODE`` is respected; without it, and with no API key configured, runs are written
offline (``wandb sync`` uploads them later) instead of prompting for a login.
"""

from __future__ import annotations

import contextlib
import netrc
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

from tweetgen.errors import MissingDependencyError
from tweetgen.secrets import redact

if TYPE_CHECKING:
    from tweetgen.corpus import Corpus
    from tweetgen.training.config import TrainConfig

RAW_ARTIFACT = "raw-posts"
TRAIN_ARTIFACT = "training-posts"
MODEL_ARTIFACT = "model"


class Tracker(Protocol):
    #: Where the run can be seen: its URL online, ``wandb sync`` directory offline; else None.
    location: str | None

    def log(self, metrics: Mapping[str, float], step: int) -> None: ...

    def log_model(self, path: Path, metadata: Mapping[str, Any]) -> None: ...

    def finish(self) -> None: ...


class NullTracker:
    """Tracking switched off."""

    location: str | None = None

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        pass

    def log_model(self, path: Path, metadata: Mapping[str, Any]) -> None:
        pass

    def finish(self) -> None:
        pass


def has_api_key() -> bool:
    """Whether a W&B key is configured (environment or ~/.netrc), without asking for one."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname or ""
    try:
        return netrc.netrc().authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def wandb_mode() -> str:
    """``WANDB_MODE`` if set; otherwise online with a key and offline without one."""
    mode = os.environ.get("WANDB_MODE")
    if mode:
        return mode
    return "online" if has_api_key() else "offline"


def _wandb() -> Any:
    try:
        import wandb
    except ImportError:
        raise MissingDependencyError(
            "W&B tracking needs the wandb package: pip install 'tweetgen[wandb]'"
        ) from None
    return wandb


def _init(project: str, entity: str | None, job_type: str, **kwargs: Any) -> Any:
    wandb = _wandb()
    os.environ.setdefault("WANDB_SILENT", "true")  # its artifact messages bypass `silent`
    settings = wandb.Settings(silent=True, console="off", disable_git=True, save_code=False)
    return wandb.init(
        project=project,
        entity=entity,
        job_type=job_type,
        mode=wandb_mode(),
        settings=settings,
        reinit="create_new",
        **kwargs,
    )


def _dataset_artifact(wandb: Any, name: str, corpus: Corpus, description: str) -> Any:
    artifact = wandb.Artifact(
        name,
        type="dataset",
        description=description,
        metadata={"posts": len(corpus), "fingerprint": corpus.fingerprint()},
    )
    with tempfile.TemporaryDirectory() as tmp:
        posts = corpus.to_jsonl(Path(tmp) / "posts.jsonl")
        artifact.add_file(str(posts), name="posts.jsonl")
    table = wandb.Table(columns=["step", "posts"], data=[list(r) for r in corpus.report.table()])
    artifact.add(table, "data_table")
    return artifact


def log_preprocess(
    raw: Corpus | None,
    train: Corpus,
    *,
    project: str = "tweetgen",
    entity: str | None = None,
    name: str | None = None,
) -> str:
    """Log the raw and the training posts as dataset artifacts; return the run's id."""
    wandb = _wandb()
    run = _init(project, entity, "preprocess", name=name)
    try:
        if raw is not None:
            run.log_artifact(_dataset_artifact(wandb, RAW_ARTIFACT, raw, "posts as read"))
        run.log_artifact(_dataset_artifact(wandb, TRAIN_ARTIFACT, train, "posts after filtering"))
        run.summary["posts_raw"] = len(raw) if raw is not None else None
        run.summary["posts_train"] = len(train)
        return str(run.id)
    finally:
        run.finish()


class WandbTracker:
    """A ``job_type="train"`` run."""

    def __init__(self, config: TrainConfig, *, fingerprint: str, name: str | None = None) -> None:
        self._wandb = _wandb()
        safe = redact(config.to_dict()) | {"corpus_fingerprint": fingerprint}
        self.run = _init(config.wandb_project, config.wandb_entity, "train", config=safe, name=name)
        # no preprocess run in this project (yet), or offline without one: fine
        with contextlib.suppress(Exception):
            self.run.use_artifact(f"{TRAIN_ARTIFACT}:latest")
        self.location: str | None = (
            str(self.run.settings.sync_dir) if self.run.settings.mode == "offline" else self.run.url
        )

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        self.run.log(dict(metrics), step=step)

    def log_model(self, path: Path, metadata: Mapping[str, Any]) -> None:
        safe = redact(dict(metadata))
        artifact = self._wandb.Artifact(MODEL_ARTIFACT, type="model", metadata=safe)
        artifact.add_dir(str(path))
        self.run.log_artifact(artifact)
        for key, value in safe.items():
            self.run.summary[key] = value

    def finish(self) -> None:
        self.run.finish()


def start_train_run(config: TrainConfig, *, fingerprint: str) -> Tracker:
    """A tracker for ``config``: W&B when ``config.wandb`` is on, else one that does nothing.

    Raises :class:`MissingDependencyError` when tracking is on but wandb is not installed.
    """
    if not config.wandb or os.environ.get("WANDB_MODE") == "disabled":
        return NullTracker()
    return WandbTracker(config, fingerprint=fingerprint)


__all__ = [
    "NullTracker",
    "Tracker",
    "WandbTracker",
    "has_api_key",
    "log_preprocess",
    "redact",
    "start_train_run",
]
