"""Weights & Biases tracking, as the seed did it: a preprocess run and a train run.

Tracking is off unless asked for (``TrainConfig(wandb=True)``, CLI ``--wandb``). When on:

* ``log_preprocess`` starts a run with ``job_type="preprocess"`` that logs the raw and the
  training posts as ``dataset`` artifacts (JSONL of the posts plus the data table), or only
  the data table with ``TrainConfig(wandb_posts=False)`` (CLI ``--wandb-no-posts``).
* ``start_train_run`` starts a ``job_type="train"`` run that logs the config (secrets
  filtered out), metrics per step and epoch, an ``examples`` table of generated posts, and the
  model directory as a ``model`` artifact, declaring the training dataset artifact as its
  input when it exists. An online run's links are added to the model card.

Everything wandb writes (run folders, artifact staging, its cache) goes under
:func:`wandb_root`, inside the run's work folder, never to ``./wandb`` or the home folder.
The command line is hidden from wandb (it would record ``--set token=...``). ``WANDB_MODE`` is
respected; without it, runs are online only with an API key. An online run whose server cannot
be reached within seconds falls back to offline with a warning (``wandb sync`` uploads later).
"""

from __future__ import annotations

import contextlib
import netrc
import os
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

from tweetgen.base.secrets import redact
from tweetgen.errors import MissingDependencyError, TrackingError, first_line
from tweetgen.model.files import model_files

if TYPE_CHECKING:
    from tweetgen.corpus.corpus import Corpus
    from tweetgen.training.config import TrainConfig

RAW_ARTIFACT = "raw-posts"
TRAIN_ARTIFACT = "training-posts"
MODEL_ARTIFACT = "model"
EXAMPLES_TABLE = "examples"
#: Generated posts logged in the ``examples`` table at the end of training.
EXAMPLES = 10
#: Folder under the work folder that holds every file wandb writes.
WANDB_FOLDER = "wandb"
DEFAULT_BASE_URL = "https://api.wandb.ai"
#: How long an online run may take to reach the W&B server before going offline instead.
PROBE_SECONDS = 5.0
#: wandb.init's own limit (its default is 90 s), for a server that answers but stalls.
INIT_SECONDS = 30.0


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
    try:
        return netrc.netrc().authenticators(_host()[0]) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def _host() -> tuple[str, int]:
    url = urlparse(os.environ.get("WANDB_BASE_URL", DEFAULT_BASE_URL))
    return url.hostname or "", url.port or (80 if url.scheme == "http" else 443)


def wandb_mode() -> str:
    """``WANDB_MODE`` if set; otherwise online with a key and offline without one."""
    mode = os.environ.get("WANDB_MODE")
    if mode:
        return mode
    return "online" if has_api_key() else "offline"


def wandb_root(config: TrainConfig) -> Path:
    """The folder that holds every file wandb writes for runs of ``config``."""
    return config.work_path / WANDB_FOLDER


@dataclass(frozen=True)
class TrackingPlan:
    """What tracking will do, for the CLI to say before anything is uploaded."""

    mode: str  # "off", "online", "offline" or "disabled"
    directory: Path | None
    posts: bool  # whether the preprocess run logs the posts themselves
    #: Online was wanted but the server does not answer: the runs go offline.
    unreachable: bool = False

    @property
    def uploads(self) -> bool:
        return self.mode == "online"


def plan(config: TrainConfig) -> TrackingPlan:
    """Where the runs of ``config`` will go (asking the server, when online is wanted)."""
    if not config.wandb:
        return TrackingPlan("off", None, False)
    mode = wandb_mode()
    if mode == "online" and not server_answers()[0]:
        return TrackingPlan("offline", wandb_root(config), config.wandb_posts, unreachable=True)
    return TrackingPlan(mode, wandb_root(config), config.wandb_posts)


#: Answers of :func:`reachable` by base URL: (time asked, answered), kept a minute so the
#: runs of one command ask once and warn once.
_ANSWERS: dict[str, tuple[float, bool]] = {}
ANSWER_SECONDS = 60.0


def server_answers() -> tuple[bool, bool]:
    """(whether the W&B server answers, whether that was just asked rather than remembered)."""
    url = os.environ.get("WANDB_BASE_URL", DEFAULT_BASE_URL)
    now = time.monotonic()
    known = _ANSWERS.get(url)
    if known is not None and now - known[0] < ANSWER_SECONDS:
        return known[1], False
    answered = reachable()
    _ANSWERS[url] = (now, answered)
    return answered, True


def reachable(timeout: float | None = None) -> bool:
    """Whether the W&B server answers an HTTP request within ``timeout`` seconds.

    Any HTTP answer counts (even an error status); no answer, a refused connection, a DNS or
    TLS failure do not. A bare TCP connect is not enough: some sandboxes accept every one.
    """
    import urllib.error
    import urllib.request

    timeout = PROBE_SECONDS if timeout is None else timeout
    url = os.environ.get("WANDB_BASE_URL", DEFAULT_BASE_URL).rstrip("/") + "/healthz"
    answer: list[bool] = []

    def probe() -> None:
        try:
            with urllib.request.urlopen(url, timeout=timeout):
                answer.append(True)
        except urllib.error.HTTPError:
            answer.append(True)
        except (OSError, ValueError):
            pass

    thread = threading.Thread(target=probe, daemon=True)  # getaddrinfo has no timeout
    thread.start()
    thread.join(timeout)
    return bool(answer)


def _wandb() -> Any:
    try:
        import wandb
    except ImportError:
        raise MissingDependencyError(
            "W&B tracking needs the wandb package: pip install 'tweetgen[wandb]'"
        ) from None
    return wandb


@contextlib.contextmanager
def contained(root: Path) -> Iterator[None]:
    """wandb's folders under ``root`` and the command line out of its sight, for one call.

    wandb reads these variables when it stages or caches a file, and records ``sys.argv`` in
    its settings (run file, debug log), so both are in place around every call into it.
    """
    folders = {
        "WANDB_DIR": root.parent,  # wandb puts its run folders in WANDB_DIR/wandb
        "WANDB_CACHE_DIR": root / "cache",
        "WANDB_DATA_DIR": root / "data",  # artifact staging: copies of every logged file
        "WANDB_ARTIFACT_DIR": root / "artifacts",
    }
    saved = {name: os.environ.get(name) for name in folders}
    argv = sys.argv
    for path in folders.values():
        path.mkdir(parents=True, exist_ok=True)
    os.environ.update({name: str(path) for name, path in folders.items()})
    sys.argv = argv[:1]
    try:
        yield
    finally:
        sys.argv = argv
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _mode() -> str:
    mode = wandb_mode()
    if mode != "online":
        return mode
    answered, fresh = server_answers()
    if answered:
        return mode
    if fresh:  # once per command: the CLI's notice (or an earlier run) already said so
        warnings.warn(
            f"W&B server {_host()[0]} cannot be reached: logging offline "
            "(upload later with `wandb sync`)",
            stacklevel=3,
        )
    return "offline"


def settings(wandb: Any, root: Path) -> Any:
    """wandb settings that keep it quiet, local to ``root`` and blind to the command line."""
    return wandb.Settings(
        silent=True,
        console="off",
        disable_git=True,
        disable_code=True,
        save_code=False,
        x_disable_meta=True,  # no command line, host or program in wandb-metadata.json
        init_timeout=INIT_SECONDS,
        root_dir=str(root.parent),
        program="tweetgen",
    )


def _init(cfg: TrainConfig, job_type: str, **kwargs: Any) -> Any:
    """A wandb run of ``job_type`` in ``cfg``'s project, its files under :func:`wandb_root`."""
    wandb = _wandb()
    root = wandb_root(cfg)
    os.environ.setdefault("WANDB_SILENT", "true")  # its artifact messages bypass `silent`
    try:
        return wandb.init(
            project=cfg.wandb_project,
            entity=cfg.wandb_entity,
            job_type=job_type,
            dir=str(root.parent),
            mode=_mode(),
            settings=settings(wandb, root),
            reinit="create_new",
            **kwargs,
        )
    except Exception as exc:  # wandb raises many kinds (CommError, UsageError, timeouts)
        raise TrackingError(f"W&B could not start a run: {first_line(exc)}") from None


def data_table(wandb: Any, corpus: Corpus) -> Any:
    """The data table (the seed's rows) as a ``wandb.Table``."""
    from tweetgen.corpus.datatable import table_rows

    return wandb.Table(columns=["", "count"], data=[list(r) for r in table_rows(corpus)])


def _dataset_artifact(
    wandb: Any, name: str, corpus: Corpus, description: str, *, posts: bool
) -> Any:
    artifact = wandb.Artifact(
        name,
        type="dataset",
        description=description if posts else f"{description} (data table only)",
        metadata={"posts": len(corpus), "fingerprint": corpus.fingerprint()},
    )
    if posts:
        with tempfile.TemporaryDirectory() as tmp:
            path = corpus.to_jsonl(Path(tmp) / "posts.jsonl")
            artifact.add_file(str(path), name="posts.jsonl")  # copied to staging here
    artifact.add(data_table(wandb, corpus), "data_table")
    return artifact


def log_preprocess(raw: Corpus | None, train: Corpus, config: TrainConfig) -> str:
    """Log the raw and the training posts (or only their data table); return the run's id.

    The files go into the run's work folder, inside ``out_dir`` by default: that folder is
    checked, locked and claimed first, as for training (a no-op inside ``run``'s own guard).
    """
    from tweetgen.training.places import guard_places

    wandb = _wandb()
    posts = config.wandb_posts
    with guard_places(config), contained(wandb_root(config)):
        run = _init(config, "preprocess")
        try:
            if raw is not None:
                raw_artifact = _dataset_artifact(
                    wandb, RAW_ARTIFACT, raw, "posts as read", posts=posts
                )
                run.log_artifact(raw_artifact)
            artifact = _dataset_artifact(
                wandb, TRAIN_ARTIFACT, train, "posts after filtering", posts=posts
            )
            run.log_artifact(artifact)
            run.log({"data_table": data_table(wandb, train)})
            run.summary["posts_raw"] = len(raw) if raw is not None else None
            run.summary["posts_train"] = len(train)
            return str(run.id)
        finally:
            run.finish()


class WandbTracker:
    """A ``job_type="train"`` run."""

    def __init__(self, config: TrainConfig, *, fingerprint: str, name: str | None = None) -> None:
        self._wandb = _wandb()
        self.root = wandb_root(config)
        self.seed = config.seed
        self.device = config.device
        safe = redact(config.to_dict()) | {"corpus_fingerprint": fingerprint}
        for local in ("out_dir", "work_dir"):  # where files went is nobody's business
            safe.pop(local, None)
        with contained(self.root):
            self.run = _init(config, "train", config=safe, name=name)
            # no preprocess run in this project (yet), or offline without one: fine
            with contextlib.suppress(Exception):
                self.run.use_artifact(f"{TRAIN_ARTIFACT}:latest")
        offline = self.run.settings.mode == "offline"
        self.location: str | None = str(self.run.settings.sync_dir) if offline else self.run.url

    def log(self, metrics: Mapping[str, float], step: int) -> None:
        self.run.log(dict(metrics), step=step)

    def log_model(self, path: Path, metadata: Mapping[str, Any]) -> None:
        """Examples table, links on the card (online), then the model directory as artifact."""
        safe = redact(dict(metadata))
        with contained(self.root):
            self.log_examples(path)
            links = run_links(self.run)
            if links:
                from tweetgen.model.finish import add_tracking_links

                add_tracking_links(path, links)
            artifact = self._wandb.Artifact(MODEL_ARTIFACT, type="model", metadata=safe)
            for file in model_files(path):  # not the work folder (checkpoints, W&B's own files)
                artifact.add_file(str(file), name=file.relative_to(path).as_posix())
            self.run.log_artifact(artifact)
        for key, value in safe.items():
            self.run.summary[key] = value

    def log_examples(self, path: Path) -> None:
        """The seed's ``examples`` table: posts the trained model writes, from no prompt."""
        from tweetgen.errors import TweetgenError
        from tweetgen.generation.generator import Generator

        try:
            result = Generator(path, device=self.device).generate("", EXAMPLES, seed=self.seed)
        except TweetgenError as exc:  # the model is saved; a missing table is no reason to fail
            warnings.warn(f"W&B examples table not logged: {exc}", stacklevel=2)
            return
        rows = [[s.text, s.tokens] for s in result.samples]
        self.run.log({EXAMPLES_TABLE: self._wandb.Table(columns=["post", "tokens"], data=rows)})

    def finish(self) -> None:
        with contained(self.root):
            self.run.finish()


def run_links(run: Any) -> dict[str, str]:
    """Links for the model card: the run, its artifacts, the model artifact; {} offline."""
    url = getattr(run, "url", None)
    if not url or getattr(run.settings, "mode", "offline") != "online":
        return {}
    project_url = url.split("/runs/", 1)[0]
    return {
        "run": url,
        "artifacts": f"{url}/artifacts",
        "model": f"{project_url}/artifacts/model/{MODEL_ARTIFACT}",
        "posts": f"{project_url}/artifacts/dataset/{TRAIN_ARTIFACT}",
    }


def start_train_run(config: TrainConfig, *, fingerprint: str) -> Tracker:
    """A tracker for ``config``: W&B when ``config.wandb`` is on, else one that does nothing.

    Raises :class:`MissingDependencyError` when tracking is on but wandb is not installed,
    :class:`TrackingError` (one line) when wandb cannot start a run.
    """
    if not config.wandb or os.environ.get("WANDB_MODE") == "disabled":
        return NullTracker()
    return WandbTracker(config, fingerprint=fingerprint)
