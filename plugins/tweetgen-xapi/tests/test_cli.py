"""``tweetgen prepare x-api HANDLE`` end to end, in-process, against the cassettes."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from vcr.cassette import Cassette

from tweetgen import Corpus
from tweetgen.cli import main

Play = Callable[[str], AbstractContextManager[Cassette]]
pytestmark = pytest.mark.usefixtures("this_plugin_only")


def prepare(play: Play, cassette: str, *args: str) -> Result:
    with play(cassette):
        return CliRunner().invoke(main, ["prepare", "x-api", *args])


def test_prepare_saves_a_corpus(play: Play, token: str, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    result = prepare(play, "timeline", "alice", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "saved" in result.output
    corpus = Corpus.load(out)
    assert corpus.authors == {"Alice"}
    assert 0 < len(corpus) < 9  # the default filters dropped the retweet and the short posts
    assert token not in result.output


def test_rejected_token_is_one_line_without_traceback(
    play: Play, token: str, tmp_path: Path
) -> None:
    out = tmp_path / "corpus"
    result = prepare(play, "unauthorized", "alice", "--out", str(out))
    assert result.exit_code == 1
    assert "bearer token rejected" in result.output
    assert "Traceback" not in result.output
    assert token not in result.output
    assert not out.exists()


def test_ceiling_is_shown(play: Play, token: str, tmp_path: Path) -> None:
    args = ["alice", "--out", str(tmp_path / "c"), "-o", "exclude=retweets,replies"]
    result = prepare(play, "big_account", *args)
    assert result.exit_code == 0, result.output
    assert "warning: @Alice has 5,210 posts but the X API returns only the newest 800" in (
        result.output
    )
