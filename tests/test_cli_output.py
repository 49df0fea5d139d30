"""What the commands print: posts for pipes, JSON for programs, progress and the data table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from tweetgen.cli import main
from tweetgen.cli import progress as progress_module
from tweetgen.cli.output import HEADER, one_line
from tweetgen.cli.progress import PLAIN_INTERVAL, ChainProgress, Eta, PlainDisplay, clock

GENERATE = ["-n", "3", "--seed", "7", "--max-new-tokens", "12", "--allow-copies"]


def _invoke(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))  # stdout is not a terminal here
    assert result.exit_code == 0, result.output
    return result


def test_generate_into_a_pipe_writes_one_post_per_line_and_nothing_else(
    trained_model: Path,
) -> None:
    text = _invoke("generate", str(trained_model), *GENERATE)
    machine = _invoke("generate", str(trained_model), *GENERATE, "--jsonl")
    posts = [json.loads(line)["text"] for line in machine.stdout.splitlines()]
    assert len(posts) == 3
    assert text.stdout.splitlines() == [one_line(p) for p in posts]
    assert HEADER in text.stderr and HEADER not in text.stdout


def test_posts_with_line_breaks_stay_on_one_line(trained_model: Path) -> None:
    args = ["generate", str(trained_model), *GENERATE, "--keep-newlines"]
    samples = json.loads(_invoke(*args, "--json").stdout)["samples"]
    lines = _invoke(*args).stdout.splitlines()
    assert len(lines) == len(samples) == 3
    assert one_line("a\nb\r\nc") == "a b c"


def test_json_is_one_document(trained_model: Path) -> None:
    data = json.loads(_invoke("generate", str(trained_model), *GENERATE, "--json").stdout)
    assert len(data["samples"]) == 3 and data["drawn"] >= 3


def test_n_means_the_same_in_run_and_generate() -> None:
    for command in ("run", "generate"):
        help_text = _invoke(command, "--help").stdout
        assert "-n, --num INTEGER" in help_text
        assert "How many posts to write" in " ".join(help_text.split())


def test_run_prints_the_data_table_before_training(
    sample_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress_module, "PLAIN_DELAY", 0.0)  # lines from the first second
    tiny = ["--base-model", "tiny", "--max-steps", "2", "--epochs", "1", "--device", "cpu"]
    small = ["--set", "tiny.n_layer=1", "--set", "tiny.n_embd=32", "--set", "tiny.n_head=2"]
    out = str(tmp_path / "o")
    result = _invoke(
        "run", "x-archive", str(sample_archive), "--out", out, "-n", "2", *tiny, *small
    )
    output = result.output  # stdout and stderr as they came
    stages = ["reading", "filtering", "saving the corpus", "loading the base model"]
    stages += ["training, epoch 1: step 2/2 (100%)", "saving the model", "sampling"]
    positions = [output.index(f"] {stage}") for stage in stages]
    assert positions == sorted(positions), output
    table = output.index("Tweets downloaded")
    assert positions[1] < table < positions[3]  # after filtering, before training
    assert "ETA" in output
    assert "reading: 511 posts read" in output  # the final count of the reading stage


def test_eta_from_the_pace_so_far() -> None:
    now = [100.0]
    eta = Eta(lambda: now[0])
    assert eta.update(10, 110) is None  # first step seen (a resumed run starts at 10)
    now[0] += 20.0
    assert eta.update(20, 110) == pytest.approx(180.0)  # 2 s a step, 90 steps left
    assert clock(180.0) == "3:00" and clock(3725) == "1:02:05"


def test_plain_lines_per_stage_and_interval(tmp_path: Path) -> None:
    now = [0.0]
    log = tmp_path / "log.txt"
    with log.open("w") as handle:
        display = PlainDisplay(Console(file=handle, width=200), lambda: now[0], delay=0.0)
        progress = ChainProgress(display)
        for count in range(1, 101):
            progress.reading(count)
            now[0] += PLAIN_INTERVAL / 40  # 100 posts in 2.5 intervals
        progress.stage("filtering")
    lines = log.read_text().splitlines()
    assert lines == [
        "[0:00] reading",
        "[0:10] reading: 41 posts read",
        "[0:20] reading: 81 posts read",
        "[0:25] reading: 100 posts read",
        "[0:25] filtering",
    ]


def test_a_quick_failure_prints_no_progress_lines(tmp_path: Path) -> None:
    now = [0.0]
    log = tmp_path / "log.txt"
    with log.open("w") as handle:
        progress = ChainProgress(PlainDisplay(Console(file=handle), lambda: now[0], delay=2.0))
        progress.reading(1)
        now[0] = 1.0
        progress.stage("filtering")  # still quiet
        now[0] = 3.0
        progress.stage("saving the corpus")
        progress.reading  # noqa: B018 - nothing else happens
    assert log.read_text().splitlines() == ["[0:03] saving the corpus"]


def test_a_silent_stage_is_announced_and_repeated(tmp_path: Path) -> None:
    """A stage begun in the quiet time, then silent (saving, uploading), still shows in a log."""
    now = [0.0]
    log = tmp_path / "log.txt"
    with log.open("w") as handle:
        display = PlainDisplay(Console(file=handle, width=200), lambda: now[0], delay=2.0)
        ChainProgress(display).stage("logging the data to W&B")
        for second in range(1, 26):
            now[0] = float(second)
            display.tick()
    assert log.read_text().splitlines() == [
        "[0:02] logging the data to W&B",
        "[0:12] logging the data to W&B",
        "[0:22] logging the data to W&B",
    ]


def test_the_ticker_thread_stops(tmp_path: Path) -> None:
    import threading

    with (tmp_path / "log.txt").open("w") as handle:
        display = PlainDisplay(Console(file=handle), delay=0.0)
        with progress_module.ticking(display, every=0.01):
            display.show("working")
        assert not any(t.name == "tweetgen-progress" for t in threading.enumerate())
