"""The jsonl and csv sources: column mapping, generated ids, fallbacks, and the round trip."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tweetgen.corpus.corpus import Corpus
from tweetgen.errors import InputFormatError, SourceError
from tweetgen.records.post import Post, PostKind, Url
from tweetgen.sources.files import CsvSource, JsonlSource
from tweetgen.testing import SourceContract

FIXTURES = Path(__file__).parent / "fixtures"
CSV_MAP = {
    "id_column": "tweet_id",
    "text_column": "content",
    "created_at_column": "posted",
    "reply_to_column": "in_reply_to",
    "hashtags_column": "tags",
}


def jsonl(path: Path | str, **options: object) -> list[Post]:
    return list(JsonlSource().read(str(path), **options))


def csv_posts(path: Path | str, **options: object) -> list[Post]:
    return list(CsvSource().read(str(path), **options))


class TestJsonlContract(SourceContract):
    @pytest.fixture
    def source_name(self) -> str:
        return "jsonl"

    @pytest.fixture
    def posts(self) -> list[Post]:
        return jsonl(FIXTURES / "posts.jsonl")


class TestCsvContract(SourceContract):
    @pytest.fixture
    def source_name(self) -> str:
        return "csv"

    @pytest.fixture
    def posts(self) -> list[Post]:
        return csv_posts(FIXTURES / "posts.csv", **CSV_MAP)


def test_jsonl_fields() -> None:
    a1, a2, a3, a4 = jsonl(FIXTURES / "posts.jsonl")
    assert a1.hashtags == ("files",) and a1.extra == {"likes": 3}
    assert (a2.kind, a2.reply_to, a2.mentions) == (PostKind.REPLY, "b7", ("bob",))
    assert a3.kind is PostKind.RETWEET
    assert a3.author == "posts"  # no author column: the file's stem
    assert a3.created_at == datetime(2024, 5, 1, 11, 0, tzinfo=timezone.utc)  # epoch seconds
    assert a4.created_at.tzinfo is timezone.utc  # naive ISO is taken as UTC
    assert a4.urls == (Url("https://t.co/x1", "https://example.org"),)
    assert a4.extra == {"source": "elsewhere"}  # unmapped keys are kept in extra


def test_csv_mapping_and_generated_ids() -> None:
    first, reply, repost = csv_posts(FIXTURES / "posts.csv", author="ada", **CSV_MAP)
    assert first.text == "A CSV row, with a comma"
    assert first.hashtags == ("one", "two")
    assert first.extra == {"likes": "5"}
    assert (reply.kind, reply.reply_to) == (PostKind.REPLY, "9")
    assert reply.text == "@carol a reply\nover two lines"
    assert repost.kind is PostKind.RETWEET and {p.author for p in (first, repost)} == {"ada"}
    assert repost.id and repost.id == csv_posts(FIXTURES / "posts.csv", **CSV_MAP)[2].id


def test_generated_ids_are_unique_for_repeated_rows(tmp_path: Path) -> None:
    path = tmp_path / "same.csv"
    path.write_text("text,created_at\nhello,1\nhello,1\nhello,2\n")
    ids = [p.id for p in csv_posts(path)]
    assert len(set(ids)) == 3 and ids[1] == f"{ids[0]}-2"


def test_missing_dates_fail_unless_a_date_is_given(tmp_path: Path) -> None:
    path = tmp_path / "undated.jsonl"
    path.write_text('{"text": "no date here"}\n')
    with pytest.raises(InputFormatError, match=r"line 1: no 'created_at'"):
        jsonl(path)
    (post,) = jsonl(path, date="2020-01-02")
    assert post.created_at == datetime(2020, 1, 2, tzinfo=timezone.utc)
    csv_path = tmp_path / "undated.csv"
    csv_path.write_text("text\nhello\n")
    assert csv_posts(csv_path, date="1577923200")[0].created_at.year == 2020
    with pytest.raises(SourceError, match="option date"):
        jsonl(path, date="whenever")


def test_tsv_and_delimiter_option(tmp_path: Path) -> None:
    tsv = tmp_path / "p.tsv"
    tsv.write_text("text\tcreated_at\nsemi;colon, comma\t1\n")
    assert csv_posts(tsv)[0].text == "semi;colon, comma"
    semi = tmp_path / "p.csv"
    semi.write_text("text;created_at\na, b;1\n")
    assert csv_posts(semi, delimiter=";")[0].text == "a, b"
    with pytest.raises(SourceError, match="delimiter"):
        csv_posts(semi, delimiter=";;")


def test_bad_kind_and_reply_without_target(tmp_path: Path) -> None:
    path = tmp_path / "k.jsonl"
    path.write_text('{"text": "x", "created_at": 1, "kind": "boost"}\n')
    with pytest.raises(InputFormatError, match="unknown kind 'boost'"):
        jsonl(path)
    path.write_text('{"text": "x", "created_at": 1, "kind": "reply"}\n')
    with pytest.raises(InputFormatError, match="reply_to"):
        jsonl(path)


def test_corpus_jsonl_round_trip(tmp_path: Path, sample_archive: Path) -> None:
    """``Corpus.to_jsonl`` then the jsonl source gives the same posts (source aside)."""
    corpus = Corpus.from_source("x-archive", str(sample_archive))
    back = jsonl(corpus.to_jsonl(tmp_path / "corpus.jsonl"))
    originals = list(corpus)
    assert len(back) == len(originals) == 511
    for before, after in zip(originals, back, strict=True):
        assert after == replace(before, source="jsonl")
        assert after.extra == {**before.extra, "source": "x-archive"}
    again = jsonl(Corpus.from_posts(back).to_jsonl(tmp_path / "again.jsonl"))
    assert again == back


def test_corpus_export_round_trips_through_csv_columns(tmp_path: Path) -> None:
    """The default CSV column names are the JSONL ones, so a spreadsheet export reads back."""
    path = tmp_path / "export.csv"
    path.write_text(
        "id,author,text,created_at,kind,lang,reply_to,urls,mentions,hashtags,extra\n"
        '1,ada,hi @bob,2024-01-01T00:00:00+00:00,reply,en,7,[],"[""bob""]",[],"{""k"": 1}"\n'
    )
    (post,) = csv_posts(path)
    assert (post.kind, post.reply_to, post.mentions, post.extra) == (
        PostKind.REPLY, "7", ("bob",), {"k": 1},
    )  # fmt: skip
