"""W&B tracking, offline: the run files hold the metrics and the three kinds of artifact."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tweetgen.errors import TrackingError
from tweetgen.training import tracking
from tweetgen.training.config import WORK_DIR_NAME
from tweetgen.training.testing import corpus_from_texts, synthetic_texts, tiny_config

wandb = pytest.importorskip("wandb")
pytest.importorskip("torch")


def read_records(path: Path) -> Iterator[Any]:
    """Protobuf records of a ``run-*.wandb`` file (a LevelDB-style log after a 7-byte header)."""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, block, chunks = 7, 32 * 1024, []
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # block trailer too short for a header: skip it
            pos += block - pos % block
            continue
        length, kind = struct.unpack("<HB", data[pos + 4 : pos + 7])
        if kind == 0:
            break
        chunks.append(data[pos + 7 : pos + 7 + length])
        pos += 7 + length
        if kind in (1, 4):  # FULL or LAST: a whole record
            record = wandb_internal_pb2.Record()  # type: ignore[attr-defined]
            record.ParseFromString(b"".join(chunks))
            chunks = []
            yield record


def summarize(run_dir: Path) -> tuple[dict[str, Any], set[str], list[tuple[str, str, list[str]]]]:
    """(config, history keys, artifacts as (type, name, files)) of one offline run."""
    config: dict[str, Any] = {}
    keys: set[str] = set()
    artifacts: list[tuple[str, str, list[str]]] = []
    for record in read_records(next(run_dir.glob("run-*.wandb"))):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            config |= {u.key: u.value_json for u in record.run.config.update}
        elif kind == "config":
            config |= {u.key: u.value_json for u in record.config.update}
        elif kind == "history":
            keys |= {"/".join(i.nested_key) or i.key for i in record.history.item}
        elif kind == "artifact" and record.artifact.type != "run_table":  # logged tables
            files = [m.path for m in record.artifact.manifest.contents]
            artifacts.append((record.artifact.type, record.artifact.name, files))
    return config, keys, artifacts


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Offline W&B with a home and a working folder that must stay empty."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    for var in ("WANDB_DIR", "WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_ARTIFACT_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WANDB_API_KEY", "secret-key-never-logged")
    for name in ("home", "cwd"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home" / ".cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))
    monkeypatch.chdir(tmp_path / "cwd")
    import wandb

    wandb.teardown()  # wandb keeps its first settings (the run dir) per process: start afresh
    yield tmp_path
    wandb.teardown()
    assert not any((tmp_path / "cwd").iterdir()), "wandb wrote into the working folder"
    assert not any((tmp_path / "home").rglob("*")), "wandb wrote into the home folder"


def _runs(config: Any) -> list[Path]:
    """The offline runs of ``config``, once wandb has flushed them (its service writes late)."""
    import wandb

    wandb.teardown()
    return sorted(tracking.wandb_root(config).glob("offline-run-*"))


def _everything(root: Path) -> str:
    return "".join(p.read_text(errors="ignore") for p in root.rglob("*") if p.is_file())


def test_preprocess_and_train_runs_hold_datasets_metrics_and_model(
    offline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tweetgen.training.trainer import Trainer

    raw = corpus_from_texts(synthetic_texts(320))
    train = corpus_from_texts(synthetic_texts(300))
    config = tiny_config(tmp_path / "model", max_steps=3, wandb=True, wandb_project="tg-test")
    config.extra["hub_token"] = "hf_secret"
    # what a user typed: wandb records sys.argv unless it is hidden from it
    monkeypatch.setattr("sys.argv", ["tweetgen", "train", "--set", "hfToken=hf_typed_secret"])
    tracking.log_preprocess(raw, train, config)
    Trainer(config).train(train)

    runs = _runs(config)
    assert len(runs) == 2
    summaries = [summarize(r) for r in runs]
    pre = next(s for s in summaries if any(a[1] == tracking.RAW_ARTIFACT for a in s[2]))
    run = next(s for s in summaries if s is not pre)

    assert {(a[0], a[1]) for a in pre[2]} == {
        ("dataset", tracking.RAW_ARTIFACT),
        ("dataset", tracking.TRAIN_ARTIFACT),
    }
    assert all("posts.jsonl" in a[2] and "data_table.table.json" in a[2] for a in pre[2])
    config_logged, keys, artifacts = run
    assert {"train/loss", "train/learning_rate", "eval/loss", "eval/perplexity"} <= keys
    assert f"{tracking.EXAMPLES_TABLE}/_type" in keys  # a logged wandb.Table
    train_run = runs[summaries.index(run)]
    (table,) = train_run.glob(f"files/media/table/{tracking.EXAMPLES_TABLE}_*.table.json")
    examples = json.loads(table.read_text())
    assert examples["columns"] == ["post", "tokens"] and len(examples["data"]) >= 1
    assert [(a[0], a[1]) for a in artifacts] == [("model", tracking.MODEL_ARTIFACT)]
    assert "config.json" in artifacts[0][2] and "model.safetensors" in artifacts[0][2]
    # the work folder (W&B's own files, checkpoints) is inside the model folder: not logged
    assert (config.out_dir / WORK_DIR_NAME / "wandb").is_dir()
    assert [f for f in artifacts[0][2] if f.startswith(".")] == []
    assert config_logged["base_model"] == '"tiny"'
    assert "hf_secret" not in str(config_logged) and "hub_token" not in str(config_logged)
    assert "out_dir" not in config_logged  # no local paths in the run config
    written = _everything(tmp_path)
    assert "secret-key-never-logged" not in written
    assert "hf_typed_secret" not in written and "hfToken" not in written


def test_the_command_line_would_leak_without_hiding_it(
    offline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard for the test above: wandb does record sys.argv when nothing hides it."""
    monkeypatch.setattr("sys.argv", ["tweetgen", "--set", "hfToken=hf_typed_secret"])
    config = tiny_config(tmp_path / "model", wandb=True)
    chosen = tracking.settings
    monkeypatch.setattr(
        tracking,
        "settings",
        lambda w, root: chosen(w, root).model_copy(update={"x_disable_meta": False}),
    )

    @contextlib.contextmanager
    def argv_visible(root: Path) -> Iterator[None]:
        with original(root):
            sys.argv = ["tweetgen", "--set", "hfToken=hf_typed_secret"]
            yield

    original = tracking.contained
    monkeypatch.setattr(tracking, "contained", argv_visible)
    tracking.log_preprocess(None, corpus_from_texts(synthetic_texts(20)), config)
    _runs(config)  # flushed
    assert "hf_typed_secret" in _everything(tracking.wandb_root(config))


def test_only_the_data_table_without_posts(offline: Path, tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "model", wandb=True, wandb_posts=False)
    posts = synthetic_texts(30)
    tracking.log_preprocess(corpus_from_texts(posts), corpus_from_texts(posts), config)
    (run,) = _runs(config)
    artifacts = summarize(run)[2]
    assert len(artifacts) == 2
    assert all(files == ["data_table.table.json"] for _, _, files in artifacts)
    root = tracking.wandb_root(config)
    assert not any(p in _everything(root) for p in posts[:5])
    assert "Posts downloaded" in _everything(root)  # the table has the shared wording


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers (a stalled proxy or firewall)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_reachable_gives_up_within_its_timeout(
    monkeypatch: pytest.MonkeyPatch, silent_server: str
) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", silent_server)
    began = time.monotonic()
    assert tracking.reachable(timeout=0.5) is False
    assert time.monotonic() - began < 3
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # refused at once
    assert tracking.reachable(timeout=0.5) is False


@pytest.mark.parametrize("stalled", [False, True], ids=["refused", "stalled"])
def test_an_unreachable_server_falls_back_to_offline_in_seconds(
    offline: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    stalled: bool,
) -> None:
    # refused: nothing listens on port 9; stalled: a server that accepts and never answers
    url = request.getfixturevalue("silent_server") if stalled else "http://127.0.0.1:9"
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)  # online, as with a key
    monkeypatch.setenv("WANDB_BASE_URL", url)
    monkeypatch.setattr(tracking, "PROBE_SECONDS", 1.0)
    config = tiny_config(tmp_path / "model", wandb=True)
    began = time.monotonic()
    with pytest.warns(UserWarning, match="cannot be reached: logging offline"):
        tracking.log_preprocess(None, corpus_from_texts(synthetic_texts(20)), config)
    assert time.monotonic() - began < 30
    assert len(_runs(config)) == 1


def test_a_run_that_cannot_start_is_one_line(
    offline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wandb as wandb_module

    def fail(**kwargs: Any) -> None:
        raise wandb_module.errors.CommError("Network error (ConnectTimeout)\n" + "x\n" * 50)

    monkeypatch.setattr(wandb_module, "init", fail)
    config = tiny_config(tmp_path / "model", wandb=True)
    with pytest.raises(TrackingError) as caught:
        tracking.log_preprocess(None, corpus_from_texts(synthetic_texts(20)), config)
    assert str(caught.value) == "W&B could not start a run: Network error (ConnectTimeout)"


def test_links_only_for_online_runs() -> None:
    online = type("S", (), {"mode": "online"})()
    run = type("R", (), {"url": "https://wandb.ai/me/p/runs/abc", "settings": online})()
    links = tracking.run_links(run)
    assert links["run"] == "https://wandb.ai/me/p/runs/abc"
    assert links["model"] == "https://wandb.ai/me/p/artifacts/model/model"
    offline_run = type("R", (), {"url": None, "settings": type("S", (), {"mode": "offline"})()})
    assert tracking.run_links(offline_run) == {}


def test_redact_drops_secret_keys_at_any_depth() -> None:
    cleaned = tracking.redact({"lr": 1, "api_key": "x", "extra": {"HF_TOKEN": "y", "ok": 2}})
    assert cleaned == {"lr": 1, "extra": {"ok": 2}}


_SECRETS = ("hf_token", "api_key", "WANDB_API_KEY", "password", "secret", "bearer_token")
_ORDINARY = ("tokens_per_second", "train_tokens", "author", "max_tokens", "keyboard", "steps")


def test_redact_keeps_ordinary_metrics_and_drops_credentials() -> None:
    cleaned = tracking.redact({key: 1.0 for key in _SECRETS + _ORDINARY})
    assert sorted(cleaned) == sorted(_ORDINARY)


def test_one_redaction_rule_for_tracking_and_card() -> None:
    from tweetgen.base import secrets
    from tweetgen.model import card

    assert tracking.redact is secrets.redact and card.redact is secrets.redact


def test_model_artifact_metadata_keeps_throughput(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    logged: list[Any] = []

    class FakeArtifact:
        def __init__(self, name: str, type: str, metadata: dict[str, Any]) -> None:
            self.metadata = metadata

        def add_file(self, path: str, name: str) -> None:
            pass

    tracker = object.__new__(tracking.WandbTracker)
    tracker._wandb = type("W", (), {"Artifact": FakeArtifact})
    tracker.root = tmp_path / "wandb"
    monkeypatch.setattr(tracker, "log_examples", lambda path: None, raising=False)
    summary: dict[str, Any] = {}
    offline = type("S", (), {"mode": "offline"})()
    tracker.run = type(
        "R", (), {"log_artifact": logged.append, "summary": summary, "settings": offline}
    )()
    metrics = {"tokens_per_second": 12.5, "train_tokens": 300.0, "hf_token": "x"}
    tracker.log_model(tmp_path, metrics)
    assert logged[0].metadata == {"tokens_per_second": 12.5, "train_tokens": 300.0}
    assert summary == logged[0].metadata


def test_offline_without_an_api_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    assert tracking.wandb_mode() == "offline"
    monkeypatch.setenv("WANDB_API_KEY", "k")
    assert tracking.wandb_mode() == "online"
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert tracking.wandb_mode() == "disabled"


def test_tracking_off_needs_no_wandb(tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "m", wandb=False)
    assert isinstance(tracking.start_train_run(config, fingerprint="x"), tracking.NullTracker)


def test_missing_wandb_becomes_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tweetgen.errors import MissingDependencyError
    from tweetgen.training.trainer import Trainer

    def missing() -> None:
        raise MissingDependencyError("W&B tracking needs the wandb package")

    monkeypatch.setattr(tracking, "_wandb", missing)
    monkeypatch.setenv("WANDB_MODE", "offline")  # tracking on, as without the test's default
    config = tiny_config(tmp_path / "m", max_steps=1, wandb=True)
    result = Trainer(config).train(corpus_from_texts(synthetic_texts(300)))
    assert any("wandb package" in w for w in result.warnings)
    assert result.path.is_dir()


def test_run_command_logs_a_preprocess_and_a_train_run(
    offline: Path, tmp_path: Path, sample_archive: Path
) -> None:
    """``tweetgen run --wandb`` logs like the seed: raw and training posts, metrics, model."""
    from click.testing import CliRunner

    from tweetgen.cli import main

    out = tmp_path / "o"
    args = ["run", "x-archive", str(sample_archive), "--out", str(out), "-n", "1", "--wandb"]
    tiny = ["--base-model", "tiny", "--max-steps", "2", "--epochs", "1", "--device", "cpu"]
    small = ["--set", "tiny.n_layer=1", "--set", "tiny.n_embd=32", "--set", "tiny.n_head=2"]
    result = CliRunner().invoke(main, [*args, *tiny, *small])
    assert result.exit_code == 0, result.output
    root = out / "model" / WORK_DIR_NAME / "wandb"
    wandb.teardown()
    assert sorted(p.name for p in out.iterdir()) == ["corpus", "model"]  # no model.work
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "home", "o"]
    assert f"W&B: logging offline under {root}" in result.output
    assert f"W&B offline run: {root}" in result.output.replace("\n", "")
    kinds = sorted(a[:2] for r in sorted(root.glob("offline-run-*")) for a in summarize(r)[2])
    assert kinds == [
        ("dataset", tracking.RAW_ARTIFACT),
        ("dataset", tracking.TRAIN_ARTIFACT),
        ("model", tracking.MODEL_ARTIFACT),
    ]


def test_wandb_is_off_unless_asked(offline: Path, tmp_path: Path, sample_archive: Path) -> None:
    from click.testing import CliRunner

    from tweetgen.cli import main

    out = tmp_path / "o"
    args = ["run", "x-archive", str(sample_archive), "--out", str(out), "-n", "1"]
    tiny = ["--base-model", "tiny", "--max-steps", "1", "--epochs", "1", "--device", "cpu"]
    small = ["--set", "tiny.n_layer=1", "--set", "tiny.n_embd=32", "--set", "tiny.n_head=2"]
    result = CliRunner().invoke(main, [*args, *tiny, *small])  # wandb is installed
    assert result.exit_code == 0, result.output
    assert "W&B" not in result.output
    assert not list(tmp_path.rglob("*wandb*"))


def test_an_online_run_links_the_card_before_the_model_is_logged(
    trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """log_model puts the run's links into tweetgen.json and README.md, then logs the dir."""
    import shutil

    from tweetgen.model.finish import CARD_FILE, read_metadata

    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    cards: list[str] = []

    class FakeArtifact:
        def __init__(self, name: str, type: str, metadata: dict[str, Any]) -> None:
            pass

        def add_file(self, path: str, name: str) -> None:
            if name == CARD_FILE:
                cards.append(Path(path).read_text())

    online = type("S", (), {"mode": "online"})()
    url = "https://wandb.ai/me/tweetgen/runs/abc123"
    tracker = object.__new__(tracking.WandbTracker)
    tracker._wandb = type("W", (), {"Artifact": FakeArtifact})
    tracker.root = tmp_path / "wandb"
    monkeypatch.setattr(tracker, "log_examples", lambda path: None, raising=False)
    tracker.run = type(
        "R",
        (),
        {"log_artifact": lambda self, a: None, "summary": {}, "settings": online, "url": url},
    )()
    tracker.log_model(model, {})
    meta = read_metadata(model)
    assert meta is not None and meta["wandb"]["run"] == url
    assert f"[W&B training run]({url})" in cards[0]  # the logged model has the linked card
    assert "https://wandb.ai/me/tweetgen/artifacts/model/model" in cards[0]


def test_the_plan_says_offline_when_the_server_is_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, silent_server: str
) -> None:
    from tweetgen.cli.output import tracking_notice

    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", silent_server)
    monkeypatch.setattr(tracking, "PROBE_SECONDS", 0.5)
    config = tiny_config(tmp_path / "model", wandb=True)
    chosen = tracking.plan(config)
    assert (chosen.mode, chosen.unreachable) == ("offline", True)
    notice = tracking_notice(chosen, posts=True)
    assert notice is not None and "cannot be reached: logging offline" in notice
    assert "uploading" not in notice
    assert tracking.server_answers() == (False, False)  # remembered: the runs warn no more
    answering = tracking_notice(tracking.TrackingPlan("online", None, True), posts=True)
    assert answering is not None and "uploading the raw and training posts" in answering
