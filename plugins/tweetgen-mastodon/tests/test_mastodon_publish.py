"""The Mastodon publisher against a loopback Mastodon server: statuses, labels, errors, crashes.

The fake server keeps Mastodon's documented behaviour that matters here: ``verify_credentials``
with the ``bot`` flag, ``/api/v2/instance``'s length limit, and ``Idempotency-Key`` (a second
POST with a key it has seen returns the first status instead of making another).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from tweetgen_mastodon.publish import TOKEN_ENV

from tweetgen.bot.ledger import POSTED, Ledger
from tweetgen.bot.run import ledger_folder
from tweetgen.cli import main
from tweetgen.testing import Request, loopback_app

TOKEN = "s3cr3t-mastodon-token-for-tests"
Reply = tuple[int, Any, dict[str, str]]


@dataclass
class FakeMastodon:
    bot: bool = True
    max_characters: int = 500
    statuses: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Replies to send, in order, to the next POSTs (429s, 5xx...), before real ones.
    script: list[Reply] = field(default_factory=list)
    #: A pid to SIGKILL right after the status number ``kill_after`` is made, before replying.
    kill: tuple[int, int] | None = None
    base_url: str = ""

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {"error": "The access token is invalid"}, {}
        if request.path == "/api/v1/accounts/verify_credentials":
            return 200, {"id": "1", "username": "voicebot", "bot": self.bot}, {}
        if request.path == "/api/v2/instance":
            limits = {"statuses": {"max_characters": self.max_characters}}
            return 200, {"configuration": limits}, {}
        if request.method == "POST" and request.path == "/api/v1/statuses":
            if self.script:
                return self.script.pop(0)
            return 200, self._create(request), {}
        return 404, {"error": "Record not found"}, {}

    def _create(self, request: Request) -> dict[str, Any]:
        key = request.headers.get("idempotency-key", "")
        if key in self.by_key:
            return self.by_key[key]
        number = len(self.statuses) + 1
        status = {"id": str(number), "url": f"https://example.social/@voicebot/{number}"}
        status["content"] = request.json()["status"]
        self.statuses.append(status)
        self.by_key[key] = status
        if self.kill and self.kill[1] == number:
            os.kill(self.kill[0], signal.SIGKILL)  # the post is made; the client never hears
        return status


@pytest.fixture(scope="session")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model trained for a few steps (seconds), with its novelty index."""
    from tweetgen.training.testing import corpus_from_texts, synthetic_texts, tiny_config
    from tweetgen.training.trainer import Trainer

    out = tmp_path_factory.mktemp("bot") / "model"
    config = tiny_config(out, epochs=1, max_steps=6)
    return Trainer(config).train(corpus_from_texts(synthetic_texts(300))).path


@pytest.fixture
def fresh_model(model: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(model, tmp_path / "model"))


@pytest.fixture
def server() -> Iterator[FakeMastodon]:
    fake = FakeMastodon()
    with loopback_app(fake) as url:
        fake.base_url = url
        yield fake


@pytest.fixture(autouse=True)
def token_and_plugin(this_plugin_only: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


def post(model: Path, url: str, *more: str) -> Result:
    args = ["post", str(model), "--to", "mastodon", "-o", f"instance={url}", "--device", "cpu"]
    return CliRunner().invoke(main, [*args, "--seed", "3", *more])


def test_dry_run_is_the_default_and_prints_the_posts(fresh_model: Path) -> None:
    result = post(fresh_model, "https://nowhere.invalid", "--count", "3", "--every", "6h")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("dry run: nothing is posted (add --yes")
    drafts = [line for line in lines if line.startswith("  +")]
    assert [d.split()[0] for d in drafts] == ["+0s", "+6h", "+12h"]
    assert all(len(d.split(None, 1)[1]) <= 500 for d in drafts)
    assert not ledger_folder(fresh_model).exists()  # a dry run writes nothing


def test_posting_run_creates_exactly_the_asked_statuses(
    fresh_model: Path, server: FakeMastodon
) -> None:
    result = post(fresh_model, server.base_url, "--count", "3", "--every", "1s", "--yes")
    assert result.exit_code == 0, result.output
    assert len(server.statuses) == 3
    texts = [s["content"] for s in server.statuses]
    assert len(set(texts)) == 3 and "@" not in "".join(texts)
    assert TOKEN not in result.output
    ledger = Ledger.load(ledger_folder(fresh_model), "mastodon:@voicebot@127.0.0.1")
    assert [e.state for e in ledger.entries.values()] == [POSTED] * 3
    assert TOKEN not in ledger.path.read_text()
    again = post(fresh_model, server.base_url, "--count", "3", "--every", "1s", "--yes")
    assert again.exit_code == 0 and len(server.statuses) == 6  # a finished plan: a new one


def test_an_account_without_the_bot_flag_is_warned_about(
    fresh_model: Path, server: FakeMastodon
) -> None:
    server.bot = False
    result = post(fresh_model, server.base_url, "--yes")
    assert result.exit_code == 0
    assert "warning: @voicebot@127.0.0.1 is not marked as automated" in result.output
    assert len(server.statuses) == 1


def test_a_bad_token_is_one_line(
    fresh_model: Path, server: FakeMastodon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "wrong-token-value-123456")
    result = post(fresh_model, server.base_url, "--yes")
    assert result.exit_code != 0 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert "HTTP 401" in line and "token was refused" in line
    assert "wrong-token-value-123456" not in result.output
    monkeypatch.setenv(TOKEN_ENV, "two words")
    (line,) = post(fresh_model, server.base_url, "--yes").output.strip().splitlines()
    assert line == f"Error: mastodon: the token in {TOKEN_ENV} is malformed (spaces or line breaks)"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ((429, {"error": "Too many requests"}, {"Retry-After": "7200"}), "rate limited"),
        ((503, {"error": "down"}, {}), "HTTP 503 after 4 tries"),
        ((422, {"error": "Validation failed: Text too long"}, {}), "HTTP 422: Validation"),
    ],
)
def test_refusals_are_one_line(
    fresh_model: Path,
    server: FakeMastodon,
    monkeypatch: pytest.MonkeyPatch,
    reply: Reply,
    expected: str,
) -> None:
    monkeypatch.setattr(time, "sleep", lambda s: None)  # the retries' backoff
    server.script = [reply] * 5
    result = post(fresh_model, server.base_url, "--yes")
    assert result.exit_code != 0 and "Traceback" not in result.output
    (line,) = [x for x in result.output.strip().splitlines() if x.startswith("Error:")]
    assert expected in line
    assert server.statuses == []


def test_a_short_rate_limit_is_waited_out(
    fresh_model: Path, server: FakeMastodon, monkeypatch: pytest.MonkeyPatch
) -> None:
    waited: list[float] = []
    monkeypatch.setattr(time, "sleep", waited.append)
    server.script = [(429, {"error": "Too many requests"}, {"Retry-After": "30"})]
    result = post(fresh_model, server.base_url, "--yes")
    assert result.exit_code == 0, result.output
    assert 30.0 in waited and len(server.statuses) == 1


def test_sigkill_mid_schedule_then_restart_posts_no_duplicate(
    fresh_model: Path, server: FakeMastodon
) -> None:
    """Killed right after the server made status 2 (before the client heard of it)."""
    args = [sys.executable, "-m", "tweetgen", "post", str(fresh_model), "--to", "mastodon"]
    args += ["-o", f"instance={server.base_url}", "--count", "4", "--every", "1s"]
    args += ["--yes", "--seed", "3", "--device", "cpu"]
    env = os.environ | {TOKEN_ENV: TOKEN, "TWEETGEN_LOAD_PLUGINS": "mastodon"}
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server.kill = (first.pid, 2)
    first.communicate(timeout=300)
    assert first.returncode == -signal.SIGKILL
    assert len(server.statuses) == 2
    server.kill = None
    second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "resuming: 1 of 4 already posted" in second.stdout
    assert len(server.statuses) == 4  # status 2 was re-sent with its key: answered, not made
    assert len({s["content"] for s in server.statuses}) == 4
