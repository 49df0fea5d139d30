"""Pushing to the Hub, offline: HfApi is patched, and the token must never leak."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from huggingface_hub import HfApi, RepoUrl

from tweetgen.cli import main
from tweetgen.errors import HubError
from tweetgen.model.finish import CARD_FILE
from tweetgen.model.hub import push

TOKEN = "hf_NeverShowThisToken42"


@pytest.fixture
def model(trained_model: Path, tmp_path: Path) -> Path:
    path = shutil.copytree(trained_model, tmp_path / "model")
    (path / "checkpoint-10").mkdir()
    (path / "checkpoint-10" / "optimizer.pt").write_bytes(b"x")
    (path / ".tweetgen-work" / "checkpoints").mkdir(parents=True)  # hidden: never uploaded
    (path / ".tweetgen-work" / "checkpoints" / "state.pt").write_bytes(b"x")
    (path / ".README.md.123.abc.tmp").write_text("a temporary a killed write left")
    return path


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Record HfApi calls instead of making them."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def init(self: HfApi, token: str | None = None, **kwargs: Any) -> None:
        seen.append(("init", {"token": token}))

    def create_repo(self: HfApi, repo_id: str, **kwargs: Any) -> RepoUrl:
        seen.append(("create_repo", {"repo_id": repo_id, **kwargs}))
        return RepoUrl(f"https://huggingface.co/{repo_id}")

    def create_commit(self: HfApi, **kwargs: Any) -> None:
        seen.append(("create_commit", kwargs))

    monkeypatch.setattr(HfApi, "__init__", init)
    monkeypatch.setattr(HfApi, "create_repo", create_repo)
    monkeypatch.setattr(HfApi, "create_commit", create_commit)
    return seen


def _no_token_anywhere(path: Path) -> None:
    for file in path.rglob("*"):
        if file.is_file():
            assert TOKEN.encode() not in file.read_bytes(), file


def test_push_creates_the_repo_and_uploads_without_checkpoints(
    model: Path, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    url = push(model, "alice/alice-bot", token=TOKEN, private=True)
    assert url == "https://huggingface.co/alice/alice-bot"
    kinds = [c[0] for c in calls]
    assert kinds == ["init", "create_repo", "create_commit"]
    assert calls[0][1]["token"] == TOKEN
    assert calls[1][1]["private"] is True and calls[1][1]["exist_ok"] is True
    commit = calls[2][1]
    assert commit["repo_id"] == "alice/alice-bot"
    uploaded = {op.path_in_repo: op.path_or_fileobj for op in commit["operations"]}
    assert {"config.json", "model.safetensors", CARD_FILE} <= set(uploaded)
    assert not any(name.startswith(("checkpoint-", ".")) for name in uploaded)
    assert Path(uploaded["config.json"]) == model / "config.json"
    card = uploaded[CARD_FILE].decode()
    assert "model='alice/alice-bot'" in card
    assert "hf download alice/alice-bot --local-dir alice-bot" in card
    _no_token_anywhere(model)


def test_a_failed_push_leaves_the_local_card_unchanged(
    model: Path, calls: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = (model / CARD_FILE).read_bytes()

    def fail(self: HfApi, **kwargs: Any) -> None:
        raise OSError("connection reset")

    monkeypatch.setattr(HfApi, "create_commit", fail)
    with pytest.raises(HubError, match="connection reset"):
        push(model, "alice/bot", token=TOKEN)
    assert (model / CARD_FILE).read_bytes() == before
    assert "alice/bot" not in before.decode()


def test_a_successful_push_leaves_the_local_card_unchanged(
    model: Path, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    before = (model / CARD_FILE).read_bytes()
    push(model, "alice/bot", token=TOKEN)
    assert (model / CARD_FILE).read_bytes() == before


def test_token_comes_from_the_environment(
    model: Path, calls: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    push(model, "alice/bot")
    assert calls[0][1]["token"] == TOKEN


def test_no_token_is_a_clear_error(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    with pytest.raises(HubError, match="HF_TOKEN"):
        push(model, "alice/bot")


def test_failures_become_hub_errors_without_the_token(
    model: Path, calls: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(self: HfApi, **kwargs: Any) -> None:
        raise OSError(f"401 Unauthorized for token {TOKEN}\nmore detail")

    monkeypatch.setattr(HfApi, "create_commit", fail)
    with pytest.raises(HubError) as info:
        push(model, "alice/bot", token=TOKEN)
    assert TOKEN not in str(info.value) and "401 Unauthorized" in str(info.value)


def test_not_a_model_directory(tmp_path: Path) -> None:
    with pytest.raises(HubError, match="not a model directory"):
        push(tmp_path, "alice/bot", token=TOKEN)


def test_cli_push_never_prints_the_token(
    model: Path, calls: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    result = CliRunner().invoke(main, ["push", str(model), "alice/bot"])
    assert result.exit_code == 0, result.output
    assert "https://huggingface.co/alice/bot" in result.output
    assert TOKEN not in result.output


def test_cli_push_failure_is_one_line(
    model: Path, calls: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(self: HfApi, repo_id: str, **kwargs: Any) -> None:
        raise RuntimeError(f"connection refused ({TOKEN})")

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setattr(HfApi, "create_repo", fail)
    result = CliRunner().invoke(main, ["push", str(model), "alice/bot"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and TOKEN not in result.output
    assert result.output.strip().startswith("Error: pushing to alice/bot failed")
