"""``tweetgen prepare snscrape FILE.jsonl --out DIR`` end to end, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tweetgen import Corpus
from tweetgen.cli import main

pytestmark = pytest.mark.usefixtures("this_plugin_only")


def prepare(*args: str) -> Result:
    return CliRunner().invoke(main, ["prepare", "snscrape", *args])


def test_prepare_from_jsonl(fixtures: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    result = prepare(str(fixtures / "alice.jsonl"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "saved" in result.output
    corpus = Corpus.load(out)
    assert corpus.authors == {"alice_writes"}
    assert "retweet" not in corpus.stats().kinds  # the default filters drop retweets
    assert corpus.report.downloaded == 7


def test_bad_line_is_one_line_and_writes_nothing(fixtures: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = (fixtures / "alice.jsonl").read_text(encoding="utf-8").splitlines()
    bad.write_text(f"{lines[0]}\n{lines[1][:50]}\n", encoding="utf-8")
    out = tmp_path / "corpus"
    result = prepare(str(bad), "--out", str(out))
    assert result.exit_code == 1
    assert f"{bad}: line 2: bad JSON" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
