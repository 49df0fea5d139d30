"""W&B tracking, offline: the run files hold the metrics and the three kinds of artifact."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tweetgen.training import tracking
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
        elif kind == "artifact":
            files = [m.path for m in record.artifact.manifest.contents]
            artifacts.append((record.artifact.type, record.artifact.name, files))
    return config, keys, artifacts


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("WANDB_MODE", "offline")
    for var, sub in [("WANDB_DIR", ""), ("WANDB_DATA_DIR", "data")]:
        (tmp_path / sub).mkdir(exist_ok=True)
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WANDB_API_KEY", "secret-key-never-logged")
    import wandb

    wandb.teardown()  # wandb keeps its first settings (the run dir) per process: start afresh
    yield tmp_path / "wandb"
    wandb.teardown()


def test_preprocess_and_train_runs_hold_datasets_metrics_and_model(
    offline: Path, tmp_path: Path
) -> None:
    from tweetgen.training.trainer import Trainer

    raw = corpus_from_texts(synthetic_texts(320))
    train = corpus_from_texts(synthetic_texts(300))
    tracking.log_preprocess(raw, train, project="tg-test")
    config = tiny_config(tmp_path / "model", max_steps=3, wandb=True, wandb_project="tg-test")
    config.extra["hub_token"] = "hf_secret"
    Trainer(config).train(train)

    runs = sorted(offline.glob("offline-run-*"))
    assert len(runs) == 2
    summaries = [summarize(r) for r in runs]
    pre = next(s for s in summaries if any(a[1] == tracking.RAW_ARTIFACT for a in s[2]))
    run = next(s for s in summaries if s is not pre)

    assert {(a[0], a[1]) for a in pre[2]} == {
        ("dataset", tracking.RAW_ARTIFACT),
        ("dataset", tracking.TRAIN_ARTIFACT),
    }
    assert all("posts.jsonl" in a[2] for a in pre[2])
    config_logged, keys, artifacts = run
    assert {"train/loss", "train/learning_rate", "eval/loss", "eval/perplexity"} <= keys
    assert [(a[0], a[1]) for a in artifacts] == [("model", tracking.MODEL_ARTIFACT)]
    assert "config.json" in artifacts[0][2] and "model.safetensors" in artifacts[0][2]
    assert config_logged["base_model"] == '"tiny"'
    assert "hf_secret" not in str(config_logged) and "hub_token" not in str(config_logged)
    assert "secret-key-never-logged" not in "".join(
        p.read_text(errors="ignore") for p in offline.rglob("*") if p.is_file()
    )


def test_redact_drops_secret_keys_at_any_depth() -> None:
    cleaned = tracking.redact({"lr": 1, "api_key": "x", "extra": {"HF_TOKEN": "y", "ok": 2}})
    assert cleaned == {"lr": 1, "extra": {"ok": 2}}


_SECRETS = ("hf_token", "api_key", "WANDB_API_KEY", "password", "secret", "bearer_token")
_ORDINARY = ("tokens_per_second", "train_tokens", "author", "max_tokens", "keyboard", "steps")


def test_redact_keeps_ordinary_metrics_and_drops_credentials() -> None:
    cleaned = tracking.redact({key: 1.0 for key in _SECRETS + _ORDINARY})
    assert sorted(cleaned) == sorted(_ORDINARY)


def test_one_redaction_rule_for_tracking_and_card() -> None:
    from tweetgen import card, secrets

    assert tracking.redact is secrets.redact and card.scrub is secrets.redact


def test_model_artifact_metadata_keeps_throughput(monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[Any] = []

    class FakeArtifact:
        def __init__(self, name: str, type: str, metadata: dict[str, Any]) -> None:
            self.metadata = metadata

        def add_dir(self, path: str) -> None:
            pass

    tracker = object.__new__(tracking.WandbTracker)
    tracker._wandb = type("W", (), {"Artifact": FakeArtifact})
    summary: dict[str, Any] = {}
    tracker.run = type("R", (), {"log_artifact": logged.append, "summary": summary})()
    metrics = {"tokens_per_second": 12.5, "train_tokens": 300.0, "hf_token": "x"}
    tracker.log_model(Path("."), metrics)
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
    """``tweetgen run`` logs like the seed: raw and training posts, then metrics and model."""
    from click.testing import CliRunner

    from tweetgen.cli import main

    args = ["run", "x-archive", str(sample_archive), "--out", str(tmp_path / "o"), "-n", "1"]
    tiny = ["--base-model", "tiny", "--max-steps", "2", "--epochs", "1", "--device", "cpu"]
    small = ["--set", "tiny_n_layer=1", "--set", "tiny_n_embd=32", "--set", "tiny_n_head=2"]
    result = CliRunner().invoke(main, [*args, *tiny, *small])  # W&B on: wandb is installed
    assert result.exit_code == 0, result.output
    assert f"W&B offline run: {offline}" in result.output.replace("\n", "")
    kinds = sorted(a[:2] for r in sorted(offline.glob("offline-run-*")) for a in summarize(r)[2])
    assert kinds == [
        ("dataset", tracking.RAW_ARTIFACT),
        ("dataset", tracking.TRAIN_ARTIFACT),
        ("model", tracking.MODEL_ARTIFACT),
    ]
