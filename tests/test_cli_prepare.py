"""``tweetgen prepare`` on real and bundled archives, and ``tweetgen plugins`` for the sources."""

from __future__ import annotations

import json
import re
import shutil
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tweetgen.cli import main
from tweetgen.corpus.corpus import Corpus
from tweetgen.plugins import tweetgen_version

MIN_SAMPLE_CHARACTERS = 45_000  # the seed warns under 40,000; the sample keeps a margin


def prepare(*args: str) -> Result:
    result = CliRunner().invoke(main, ["prepare", *args])
    assert result.exit_code == 0, result.output
    return result


#: The data table's wording (the seed's for X sources, "Posts" for others) -> report keys.
KEYS = {
    "Tweets downloaded": "downloaded",
    "Posts downloaded": "downloaded",
    "Retweets": "retweets",
    "Reposts": "retweets",
    "Short tweets": "short tweets",
    "Short posts": "short tweets",
    "Tweets kept": "kept",
    "Posts kept": "kept",
}


def table(output: str) -> dict[str, int]:
    """Rows of the data table (``downloaded``, ``retweets``...) as numbers."""
    rows: dict[str, int] = {}
    for label, number in re.findall(r"│ ([A-Z][a-z ]*?) +│ +([\d,]+) │", output):
        rows.setdefault(KEYS.get(label, label.lower()), int(number.replace(",", "")))
    return rows


def steps(output: str) -> list[tuple[str, int, int]]:
    """``(filter, seen, dropped)`` rows of the filter table."""
    found = re.findall(r"│ ([a-z-]+) +│ +([\d,]+) │ +([\d,]+) │ +[\d,]+ │", output)
    return [(name, int(seen.replace(",", "")), int(drop.replace(",", ""))) for name, seen, drop
            in found]  # fmt: skip


def check_consistent(output: str, out: Path) -> dict[str, int]:
    rows, chain = table(output), steps(output)
    assert chain, output
    assert chain[0][1] == rows["downloaded"]
    for (_, seen, dropped), (_, next_seen, _) in pairwise(chain):
        assert next_seen == seen - dropped
    assert rows["kept"] == chain[-1][1] - chain[-1][2] == len(Corpus.load(out))
    assert rows["kept"] == rows["downloaded"] - sum(d for _, _, d in chain)
    return rows


def test_prepare_real_archive_folder(milahu_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    result = prepare("x-archive", str(milahu_archive), "--out", str(out))
    rows = check_consistent(result.output, out)
    assert rows["downloaded"] == 2045
    assert rows["retweets"] == 239
    assert "Tweets downloaded" in result.output and "Short tweets" in result.output
    assert 1000 < rows["kept"] < 2045 - 239


def test_prepare_real_archive_zip(milahu_archive: Path, tmp_path: Path) -> None:
    zipped = shutil.make_archive(str(tmp_path / "archive"), "zip", milahu_archive)
    out = tmp_path / "corpus"
    rows = check_consistent(prepare("x-archive", zipped, "--out", str(out)).output, out)
    assert (rows["downloaded"], rows["retweets"]) == (2045, 239)


def test_prepare_sample_keeps_enough_text(sample_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    rows = check_consistent(
        prepare("x-archive", str(sample_archive), "--out", str(out)).output, out
    )
    assert (rows["downloaded"], rows["retweets"]) == (511, 72)
    corpus = Corpus.load(out)
    assert corpus.stats().characters >= MIN_SAMPLE_CHARACTERS
    assert not any(t.startswith("RT @") or "https://t.co/" in t for t in corpus.texts)


def test_prepare_with_explicit_filters_and_options(sample_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    result = prepare(
        "x-archive", str(sample_archive), "--out", str(out),
        "-f", "drop-retweets", "-o", "include_deleted=yes",
    )  # fmt: skip
    rows = check_consistent(result.output, out)
    assert rows["downloaded"] == 514 and rows["kept"] == 514 - 72


def test_prepare_jsonl_export(sample_archive: Path, tmp_path: Path) -> None:
    exported = Corpus.from_source("x-archive", str(sample_archive)).to_jsonl(tmp_path / "a.jsonl")
    out = tmp_path / "corpus"
    result = prepare("jsonl", str(exported), "--out", str(out))
    rows = check_consistent(result.output, out)
    assert (rows["downloaded"], rows["retweets"]) == (511, 72)
    assert "Posts downloaded" in result.output and "Tweets" not in result.output


@pytest.fixture
def plugin_list() -> list[dict[str, object]]:
    result = CliRunner().invoke(main, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def test_plugins_lists_the_builtin_sources(plugin_list: list[dict[str, object]]) -> None:
    sources = {
        name: info
        for info in plugin_list
        for name in info["sources"]  # type: ignore[attr-defined]
    }
    for name in ("x-archive", "jsonl", "csv"):
        assert sources[name]["builtin"] is True
        assert sources[name]["version"] == tweetgen_version()
    table_output = CliRunner().invoke(main, ["plugins"]).output
    assert "x-archive" in table_output and "csv, jsonl" in table_output
