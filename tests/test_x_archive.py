"""The x-archive source on hand-made fixtures, the bundled sample, and the shared real archive."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tweetgen.errors import SourceError
from tweetgen.records.post import Post, PostKind
from tweetgen.sources.values import parse_datetime
from tweetgen.sources.x_archive import XArchiveSource
from tweetgen.sources.x_tweets import Account, parse_tweet
from tweetgen.testing import SourceContract

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "x-archive-mini"
ROOT = Path(__file__).resolve().parents[1]


def read(location: Path | str, **options: object) -> list[Post]:
    return list(XArchiveSource().read(str(location), **options))


def by_id(posts: list[Post]) -> dict[str, Post]:
    return {p.id: p for p in posts}


class TestMiniArchiveContract(SourceContract):
    @pytest.fixture
    def source_name(self) -> str:
        return "x-archive"

    @pytest.fixture
    def posts(self) -> list[Post]:
        return read(MINI, include_deleted=True)


class TestSampleArchiveContract(SourceContract):
    @pytest.fixture
    def source_name(self) -> str:
        return "x-archive"

    @pytest.fixture
    def posts(self, sample_archive: Path) -> list[Post]:
        return read(sample_archive, include_deleted="true")


def test_mini_archive_kinds_and_fields() -> None:
    posts = by_id(read(MINI))
    assert list(posts) == ["1001", "1002", "1003", "1004", "1005", "1006", "1008"]
    assert posts["1001"].text == "Bread & butter <3 and a #tea"  # unescaped once
    assert posts["1001"].hashtags == ("tea",)
    assert posts["1001"].extra == {"display_name": "Mini User", "favorite_count": 3,
                                   "retweet_count": 1}  # fmt: skip
    assert posts["1001"].created_at == datetime(2026, 2, 20, 9, 10, 58, tzinfo=timezone.utc)
    reply = posts["1002"]
    assert (reply.kind, reply.reply_to, reply.mentions) == (PostKind.REPLY, "999", ("old_sage",))
    assert posts["1003"].kind is PostKind.RETWEET
    assert posts["1003"].reply_to is None
    quote = posts["1004"]
    assert quote.kind is PostKind.QUOTE and quote.extra["quoted_id"] == "555"
    assert quote.urls[0].expanded == "https://twitter.com/paradoxum/status/555"
    # bare, older shape; "+01:00" in the file, the same instant in UTC (the corpus stores UTC)
    assert posts["1006"].created_at == datetime(2026, 2, 25, 7, 0, tzinfo=timezone.utc)
    assert {p.author for p in posts.values()} == {"mini_user"}


def test_note_tweet_replaces_truncated_text() -> None:
    post = by_id(read(MINI))["1005"]
    assert post.text.endswith("That is where patience lives.")
    assert "&" in post.text and "…" not in post.text
    assert post.extra["note_tweet_id"] == "1700000000000000042"
    assert post.urls[0].short == "https://t.co/link000001"  # the tweet's links stay


def test_only_the_latest_edit_is_kept() -> None:
    posts = by_id(read(MINI))
    assert "1007" not in posts
    assert posts["1008"].text == "First draft with a typo fixed in it"


def test_deleted_posts_are_optional() -> None:
    assert "1009" not in by_id(read(MINI, include_deleted="false"))
    deleted = by_id(read(MINI, include_deleted="true"))["1009"]
    assert deleted.extra["deleted"] is True
    assert deleted.extra["deleted_at"] == "Thu Feb 26 11:00:00 +0000 2026"


def test_author_option_overrides_account() -> None:
    assert {p.author for p in read(MINI, author="@someone_else")} == {"someone_else"}
    with pytest.raises(SourceError, match="author"):
        read(MINI, author="  ")


def test_data_folder_itself_and_zip_read_the_same(tmp_path: Path) -> None:
    expected = read(MINI)
    assert read(MINI / "data") == expected
    nested = shutil.make_archive(str(tmp_path / "mini"), "zip", FIXTURES, "x-archive-mini")
    with zipfile.ZipFile(nested) as zf:  # X's zips have data/ at the top; people re-zip folders
        assert all(n.startswith("x-archive-mini/") for n in zf.namelist())
    assert read(nested) == expected


def test_without_manifest_parts_are_found_by_name(tmp_path: Path) -> None:
    copy = shutil.copytree(MINI, tmp_path / "archive")
    (copy / "data" / "manifest.js").unlink()
    assert [p.id for p in read(copy)] == [p.id for p in read(MINI)]
    (copy / "data" / "account.js").unlink()
    assert {p.author for p in read(copy)} == {"unknown"}


def test_manifest_lists_the_parts(tmp_path: Path) -> None:
    """A part the manifest does not list is not read (the manifest is X's table of contents)."""
    copy = shutil.copytree(MINI, tmp_path / "archive")
    (copy / "data" / "tweets-part2.js").write_text(
        (copy / "data" / "tweets-part1.js").read_text().replace("part1", "part2")
    )
    assert len(read(copy)) == len(read(MINI))


def test_old_tweet_js_archive() -> None:
    posts = read(FIXTURES / "x-archive-old")
    assert [p.kind for p in posts] == [PostKind.ORIGINAL, PostKind.RETWEET]


def test_unescape_happens_exactly_once() -> None:
    raw = {"id_str": "1", "created_at": "Fri Feb 20 09:10:58 +0000 2026",
           "full_text": "AT&amp;T &amp;amp; &lt;b&gt;"}  # fmt: skip
    post = parse_tweet(raw, Account("me"), index=0, label="x")
    assert post.text == "AT&T &amp; <b>"


def test_ids_may_be_numbers_and_reply_fields_absent() -> None:
    raw = {"id": 7, "created_at": "Fri Feb 20 09:10:58 +0000 2026", "full_text": "hi",
           "in_reply_to_status_id": 3}  # fmt: skip
    post = parse_tweet(raw, Account("me"), index=0, label="x")
    assert (post.id, post.kind, post.reply_to) == ("7", PostKind.REPLY, "3")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fri Feb 20 09:10:58 +0000 2026", datetime(2026, 2, 20, 9, 10, 58, tzinfo=timezone.utc)),
        ("2026-02-20T09:10:58.000Z", datetime(2026, 2, 20, 9, 10, 58, tzinfo=timezone.utc)),
        ("2026-02-20 09:10:58", datetime(2026, 2, 20, 9, 10, 58, tzinfo=timezone.utc)),
        ("1771578658", datetime(2026, 2, 20, 9, 10, 58, tzinfo=timezone.utc)),
        (1771578658000, datetime(2026, 2, 20, 9, 10, 58, tzinfo=timezone.utc)),
    ],
)
def test_dates(text: str | int, expected: datetime) -> None:
    assert parse_datetime(text) == expected


def test_lazy_reading_yields_posts_one_by_one() -> None:
    stream = XArchiveSource().read(str(MINI))
    assert isinstance(next(iter(stream)), Post)


# The bundled sample ---------------------------------------------------------------------------


def test_sample_regenerates_identically(tmp_path: Path, sample_archive: Path) -> None:
    rebuilt = tmp_path / "again.zip"
    script = ROOT / "sample" / "build_sample.py"
    subprocess.run([sys.executable, str(script), "--out", str(rebuilt)], check=True, timeout=60)
    with zipfile.ZipFile(sample_archive) as old, zipfile.ZipFile(rebuilt) as new:
        assert old.namelist() == new.namelist()
        for name in old.namelist():
            assert old.read(name) == new.read(name), name
    assert read(rebuilt) == read(sample_archive)


def test_sample_has_every_case(sample_archive: Path) -> None:
    posts = read(sample_archive)
    kinds = Counter(p.kind for p in posts)
    assert len(posts) == 511
    assert kinds[PostKind.RETWEET] == 72 and kinds[PostKind.REPLY] == 90
    assert kinds[PostKind.QUOTE] > 0 and kinds[PostKind.ORIGINAL] > 300
    assert sum("note_tweet_id" in p.extra for p in posts) == 39
    assert any("&" in p.text for p in posts) and any("<" in p.text for p in posts)
    assert any(p.urls for p in posts) and any(len(p.text) < 10 for p in posts)
    assert {p.author for p in posts} == {"wisdom_sample"}
    with zipfile.ZipFile(sample_archive) as zf:
        assert "data/tweets-part1.js" in zf.namelist()
    assert sample_archive.stat().st_size < 300_000


# The real archive in ../shared ----------------------------------------------------------------


def test_real_archive_counts(milahu_archive: Path) -> None:
    posts = read(milahu_archive)
    kinds = Counter(p.kind for p in posts)
    assert len(posts) == 2045
    assert kinds[PostKind.RETWEET] == 239
    assert kinds[PostKind.REPLY] == 1780
    assert {p.author for p in posts} == {"milahu104"}
    assert all(p.created_at.tzinfo is not None for p in posts)
    assert not any("&amp;" in p.text for p in posts)
    assert len(read(milahu_archive, include_deleted=True)) == 2045 + 47


def test_real_archive_zipped_reads_the_same(milahu_archive: Path, tmp_path: Path) -> None:
    zipped = shutil.make_archive(str(tmp_path / "archive"), "zip", milahu_archive)
    assert read(zipped) == read(milahu_archive)
