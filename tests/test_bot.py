"""Publishing (tweetgen.bot): the hook, the schedule, the ledger, drafting rules, HTTP errors."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tweetgen
from tweetgen import PublishError, hookimpl
from tweetgen.bot import Publisher, Receipt
from tweetgen.bot.drafts import refusal
from tweetgen.bot.http import Api, reset_time, retry_after
from tweetgen.bot.ledger import POSTED, SENDING, UNSURE, Ledger, Plan
from tweetgen.bot.run import Request, dry_run, ledger_folder, post
from tweetgen.cli.post import parse_every
from tweetgen.plugins import get_plugin_manager, get_publisher_class, registrations
from tweetgen.testing import Request as HttpRequest
from tweetgen.testing import loopback_app


class Crash(Exception):
    """Stands for the process dying in the middle of a post."""


class MemoryPublisher(Publisher):
    """Posts into a list; can crash after the network made post number ``crash_after``."""

    name = "memory"
    description = "Posts into a list (tests)."
    max_chars = 280
    idempotent = True
    made: list[tuple[str, str]] = []  # noqa: RUF012 - shared across instances on purpose
    crash_after: int | None = None

    def connect(self) -> list[str]:
        return ["the memory account is not labelled (a test warning)"]

    def publish(self, text: str, key: str) -> Receipt:
        done = {k: i for i, (k, _) in enumerate(self.made)}
        if key not in done:  # idempotent: the same key is answered, not posted again
            self.made.append((key, text))
        number = done.get(key, len(self.made) - 1) + 1
        if self.crash_after == number:
            raise Crash
        return Receipt(str(number), f"memory://{number}")


class Plugin:
    @hookimpl
    def register_publishers(self, register: Callable[[type[Any]], None]) -> None:
        register(MemoryPublisher)


@pytest.fixture
def plugin() -> Iterator[None]:
    pm = get_plugin_manager()
    plugin = Plugin()
    pm.register(plugin, name="memory-plugin")
    MemoryPublisher.made = []
    MemoryPublisher.crash_after = None
    yield
    pm.unregister(plugin)


@pytest.fixture
def model(trained_model: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(trained_model, tmp_path / "model"))


def test_hook_register_publishers(plugin: None, model: Path) -> None:
    assert get_publisher_class("memory") is MemoryPublisher
    assert registrations("publisher")["memory"].plugin == "memory-plugin"
    assert tweetgen.plugins.get_publishers()["memory"] is MemoryPublisher
    lines: list[str] = []
    outcome = post(
        model,
        MemoryPublisher(),
        Request(count=2, every=1, seed=1),
        echo=lines.append,
        sleep=lambda s: None,
    )
    assert len(MemoryPublisher.made) == 2 and len(outcome.posted) == 2
    assert lines[0] == "warning: the memory account is not labelled (a test warning)"


def test_dry_run_posts_nothing_and_writes_nothing(plugin: None, model: Path) -> None:
    outcome = dry_run(model, MemoryPublisher(), Request(count=3, every=3600, seed=2))
    assert [delay for delay, _ in outcome.drafts] == [0, 3600, 7200]
    assert all(0 < len(text) <= 280 for _, text in outcome.drafts)
    assert MemoryPublisher.made == [] and not ledger_folder(model).exists()


def test_a_crash_mid_schedule_resumes_without_a_duplicate(plugin: None, model: Path) -> None:
    MemoryPublisher.crash_after = 2  # the network made post 2, the runner never heard
    request = Request(count=4, every=1, seed=5)
    with pytest.raises(Crash):
        post(model, MemoryPublisher(), request, sleep=lambda s: None)
    ledger = Ledger.load(ledger_folder(model), "memory")
    assert [e.state for e in ledger.entries.values()] == [POSTED, SENDING]
    MemoryPublisher.crash_after = None
    lines: list[str] = []
    post(model, MemoryPublisher(), request, echo=lines.append, sleep=lambda s: None)
    assert "resuming: 1 of 4 already posted" in lines
    assert len(MemoryPublisher.made) == 4
    assert len({text for _, text in MemoryPublisher.made}) == 4


def test_a_non_idempotent_network_never_resends_an_unsure_post(plugin: None, model: Path) -> None:
    class Once(MemoryPublisher):
        idempotent = False

    Once.crash_after = 1
    with pytest.raises(Crash):
        post(model, Once(), Request(count=2, every=1, seed=5), sleep=lambda s: None)
    Once.crash_after = None
    post(model, Once(), Request(count=2, every=1, seed=5), sleep=lambda s: None)
    states = [e.state for e in Ledger.load(ledger_folder(model), "memory").entries.values()]
    assert states == [UNSURE, POSTED] and len(Once.made) == 2


def test_the_schedule_waits_between_posts(plugin: None, model: Path) -> None:
    now = [1000.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    post(
        model,
        MemoryPublisher(),
        Request(count=3, every=21600, seed=1),
        clock=lambda: now[0],
        sleep=sleep,
    )
    assert waits == [21600, 21600]


def test_a_different_unfinished_schedule_is_refused(tmp_path: Path) -> None:
    ledger = Ledger.load(tmp_path, "memory")
    ledger.begin_plan(Plan(3, 60, "", 0))
    ledger.mark(ledger.begin(0, "first", "k0"), POSTED, id="1")
    again = Ledger.load(tmp_path, "memory")
    assert again.entries[0].text == "first" and again.done_count() == 1
    with pytest.raises(PublishError, match=r"unfinished schedule \(1 of 3 posted"):
        again.begin_plan(Plan(5, 60, "", 10))
    fresh = again.begin_plan(Plan(5, 60, "", 10), new=True)
    assert fresh.count == 5 and again.entries == {} and again.history == ["first"]


def test_a_damaged_ledger_is_one_line(tmp_path: Path) -> None:
    Ledger.load(tmp_path, "memory").save()
    next(tmp_path.glob("memory-*.json")).write_text("{not json")
    with pytest.raises(PublishError, match="damaged ledger"):
        Ledger.load(tmp_path, "memory")


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("6h", 21600), ("1d", 86400), ("1.5h", 5400)]
)
def test_every(text: str, seconds: float) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["6", "h", "-1h", "0s", "40d", "6 hours"])
def test_bad_every(text: str) -> None:
    with pytest.raises(PublishError, match="--every"):
        parse_every(text)


def _refusal(
    text: str, length: int = 10, seen: frozenset[str] = frozenset(), copy: bool = False
) -> str | None:
    return refusal(text, length=length, limit=280, seen=set(seen), is_copy=copy)


def test_drafting_rules() -> None:
    assert _refusal("a new post") is None
    assert _refusal("x", copy=True) == "a near-copy of a training post"
    assert _refusal("x", length=281) == "over the network's limit (281 > 280)"
    assert _refusal("hi @alice") == "mentions an account"
    assert _refusal("mail me@example.org") is None
    assert _refusal("seen", seen=frozenset({"seen"})) == "already posted to this account"
    assert _refusal("  ") == "empty"


def test_retry_after_and_reset_headers() -> None:
    assert retry_after({"retry-after": "120"}, 0) == 120
    assert retry_after({"retry-after": "Thu, 01 Jan 1970 00:02:00 GMT"}, 60) == 60
    assert retry_after({"x-ratelimit-reset": "1970-01-01T00:05:00.000Z"}, 0) == 300
    assert retry_after({"ratelimit-reset": "500"}, 100) == 400
    assert retry_after({}, 0) is None and reset_time({"ratelimit-reset": "soon"}) is None


def _api(url: str, slept: list[float], secret: str = "tok-abcdefghijklmnop") -> Api:
    return Api(url, what="net", secrets=(secret,), sleep=slept.append, clock=lambda: 0.0)


def test_api_retries_server_errors_then_succeeds() -> None:
    replies: list[tuple[int, Any, dict[str, str]]] = [
        (502, {"error": "bad gateway"}, {}),
        (200, {"id": "9"}, {}),
    ]
    with loopback_app(lambda r: replies.pop(0)) as url:
        slept: list[float] = []
        assert _api(url, slept).call("POST", "/post", json={}) == {"id": "9"}
    assert slept == [1.0]


def test_api_waits_for_an_exhausted_rate_limit_before_the_next_call() -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1970-01-01T00:01:00Z"}
    with loopback_app(lambda r: (200, {}, headers)) as url:
        slept: list[float] = []
        api = _api(url, slept)
        api.call("GET", "/a")
        api.call("GET", "/b")
    assert slept == [60.0]


def test_api_errors_are_one_line_without_the_secret() -> None:
    secret = "tok-abcdefghijklmnop"

    def app(request: HttpRequest) -> tuple[int, Any, dict[str, str]]:
        if request.path == "/long":
            return 429, {"error": "slow down"}, {"Retry-After": "3600"}
        return 401, {"error": f"bad token {secret}\nsecond line"}, {}

    with loopback_app(app) as url:
        with pytest.raises(PublishError) as refused:
            _api(url, []).call("GET", "/me")
        with pytest.raises(PublishError, match="rate limited: try again in 60 minutes"):
            _api(url, []).call("GET", "/long")
    message = str(refused.value)
    assert "\n" not in message and secret not in message
    assert message.startswith("net: HTTP 401, the token was refused: bad token [redacted]")


def test_publisher_options_are_checked_and_settings_never_shown() -> None:
    from tweetgen import Option

    class WithOptions(Publisher):
        name = "opts"
        options = (Option("instance", str, None, "server"),)

    with pytest.raises(PublishError, match="did you mean instance"):
        WithOptions(instanse="x")
    assert repr(WithOptions(instance="secret-ish")) == "<WithOptions opts>"


def test_a_model_without_its_novelty_index_is_refused(plugin: None, model: Path) -> None:
    (model / "novelty.json").unlink()
    with pytest.raises(PublishError, match=r"no novelty\.json: tweetgen post publishes only"):
        dry_run(model, MemoryPublisher(), Request(count=1, seed=1))


def test_cli_errors_are_one_line(plugin: None, model: Path) -> None:
    from click.testing import CliRunner

    from tweetgen.cli import main

    cases = {
        ("--to", "nowhere"): "unknown publisher 'nowhere'",
        ("--to", "memory", "--count", "3"): "--count above 1 needs --every",
        ("--to", "memory", "--count", "2", "--every", "soon"): "--every 'soon': expected",
        ("--to", "memory", "-o", "x=1"): "unknown option",
    }
    for args, expected in cases.items():
        result = CliRunner().invoke(main, ["post", str(model), *args])
        assert result.exit_code != 0 and "Traceback" not in result.output, args
        (line,) = result.output.strip().splitlines()
        assert expected in line, (args, line)
