"""Reading what ``snscrape --jsonl twitter-user NAME`` wrote (no snscrape needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from tweetgen_snscrape import SnscrapeSource

from tweetgen import InputFormatError, Post, PostKind, SourceError, Url
from tweetgen.testing import SourceContract


def read(path: Path) -> list[Post]:
    return list(SnscrapeSource().read(str(path)))


class TestSnscrapeContract(SourceContract):
    @pytest.fixture
    def source_name(self) -> str:
        return "snscrape"

    @pytest.fixture(params=["alice.jsonl", "alice-0.4.jsonl"])
    def posts(self, fixtures: Path, request: pytest.FixtureRequest) -> list[Post]:
        return read(fixtures / request.param)


def test_current_format(fixtures: Path) -> None:
    posts = {p.id[-1]: p for p in read(fixtures / "alice.jsonl")}
    assert len(posts) == 7
    assert {p.author for p in posts.values()} == {"alice_writes"}
    first = posts["7"]
    assert first.text == "Writing a novel one tweet at a time & loving it #amwriting"
    assert first.created_at == datetime(2023, 5, 20, 9, tzinfo=timezone.utc)
    assert first.hashtags == ("amwriting",)
    assert first.extra["url"] == "https://twitter.com/alice_writes/status/1660000000000000007"
    assert (posts["6"].kind, posts["6"].reply_to) == (PostKind.REPLY, "1659999999999999000")
    assert posts["6"].mentions == ("bob",)
    assert posts["5"].kind is PostKind.RETWEET
    assert posts["5"].text == "RT @carol: Libraries are the best <3"
    assert posts["5"].extra["retweeted_id"] == "1650000000000000001"
    assert posts["4"].kind is PostKind.QUOTE
    assert posts["4"].extra["quoted_id"] == "1650000000000000002"
    assert posts["3"].urls == (
        Url("https://t.co/z9x8c7v6b5", "https://example.org/blog/chapter-notes"),
    )
    assert (posts["2"].lang, posts["2"].text[:20]) == ("de", "Guten Morgen > gute ")


def test_older_format(fixtures: Path) -> None:
    posts = read(fixtures / "alice-0.4.jsonl")
    assert [p.kind for p in posts] == [PostKind.ORIGINAL, PostKind.REPLY, PostKind.RETWEET]
    assert posts[0].text.startswith("Draft three is done & I am")
    assert posts[0].urls == (Url("https://t.co/a1b2c3d4e5", "https://example.org/draft3"),)
    assert posts[2].hashtags == ("libraries",)


def test_blank_lines_and_tombstones_are_skipped(fixtures: Path, tmp_path: Path) -> None:
    lines = (fixtures / "alice.jsonl").read_text(encoding="utf-8").splitlines()
    tombstone = {"_type": "snscrape.modules.twitter.Tombstone", "text": "This Tweet was deleted"}
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join([lines[0], "", json.dumps(tombstone), lines[1], ""]), "utf-8")
    assert len(read(path)) == 2


GOOD = json.dumps(
    {"id": 1, "date": "2023-05-20T09:00:00+00:00", "rawContent": "hi", "user": {"username": "a"}}
)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"id": 2, "date": ', "bad JSON"),
        ('["a list"]', "expected a JSON object, got list"),
        ('{"id": 2, "rawContent": "hi", "user": {"username": "a"}}', "tweet without 'date'"),
        ('{"id": 2, "date": "May 20", "rawContent": "hi", "user": {"username": "a"}}', "bad date"),
        ('{"id": 2, "date": "2023-05-20T09:00:00", "rawContent": "x", "user": {}}', "username"),
        ('{"id": 2, "date": "2023-05-20T09:00", "rawContent": "x", "username": "a"}', "time zone"),
    ],
)
def test_bad_line_names_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "tweets.jsonl"
    path.write_text(f"{GOOD}\n{line}\n{GOOD}\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=f"line 2: .*{problem}") as error:
        read(path)
    assert error.value.path == str(path)
    assert str(error.value).startswith(f"{path}: line 2: ")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(GOOD.replace("hi", "caf\xe9").encode("latin-1"))
    with pytest.raises(InputFormatError, match="not UTF-8") as error:
        read(path)
    assert error.value.path == str(path)


@pytest.mark.parametrize(
    ("location", "options", "error", "message"),
    [
        ("missing/x.jsonl", {}, SourceError, "no such file"),
        (".", {}, InputFormatError, "is a directory"),
        ("alice", {"limit": "5"}, SourceError, "takes no options"),
    ],
)
def test_bad_arguments(
    location: str, options: dict[str, str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        SnscrapeSource().read(location, **options)


def test_jsonl_needs_no_snscrape(fixtures: Path) -> None:
    """Run where snscrape cannot be imported, as on Python 3.12+ or without the extra."""
    code = (
        "import sys; sys.modules['snscrape'] = None\n"
        "from tweetgen_snscrape import SnscrapeSource\n"
        f"print(len(list(SnscrapeSource().read({str(fixtures / 'alice.jsonl')!r}))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "7"
