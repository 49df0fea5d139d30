"""The X archive reader: the same posts whether its typed decoder streams a file or
``json.loads`` reads it whole, field for field, on every archive we have; pieces, streaming and
odd input do not change the result."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tweetgen.corpus.corpus import Corpus
from tweetgen.errors import ArchiveError
from tweetgen.filters import builtin as b
from tweetgen.pipeline import default_filters
from tweetgen.sources import jsfile, x_dates
from tweetgen.sources import x_tweets as xt
from tweetgen.sources.safezip import ZipLimits
from tweetgen.sources.values import parse_datetime
from tweetgen.sources.x_archive import XArchiveSource

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample" / "x-archive-sample.zip"

#: The data table and text digests of the bundled sample before the columnar rewrite
#: (per-post reader and filters, main at 17ee9d2): the new path must give the same.
SAMPLE_TABLE = [("downloaded", 511), ("retweets", 72), ("short tweets", 11), ("kept", 428)]
SAMPLE_RAW_FINGERPRINT = "5dee4f97055f3949"
SAMPLE_KEPT_FINGERPRINT = "e7ba30247fa213f3"
MILAHU_TABLE = [("downloaded", 2045), ("retweets", 239), ("short tweets", 138), ("kept", 1668)]
MILAHU_RAW_FINGERPRINT = "5ddbdbd5a5d86f0f"
MILAHU_KEPT_FINGERPRINT = "8696b5d2fbe2836f"


def records(location: Path | str, **options: Any) -> list[dict[str, Any]]:
    return [
        p.to_record() | {"extra": p.extra} for p in XArchiveSource().read(str(location), **options)
    ]


def careful_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the typed decoder decline every file, so ``json.loads`` reads all."""

    def decline(*args: Any, **kwargs: Any) -> Any:
        raise xt.Unusual("test")

    monkeypatch.setattr(xt, "file_batches", decline)


ARCHIVES = [SAMPLE, FIXTURES / "x-archive-mini", FIXTURES / "x-archive-old"]


@pytest.mark.parametrize("location", ARCHIVES, ids=lambda p: p.name)
@pytest.mark.parametrize("deleted", [False, True])
def test_fast_and_careful_paths_agree(
    location: Path, deleted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = records(location, include_deleted=deleted)
    careful_only(monkeypatch)
    careful = records(location, include_deleted=deleted)
    assert fast == careful
    assert len(fast) > 0


def test_the_fast_path_really_runs_on_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = xt.read_file

    def counting(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        calls.append(sum(b.num_rows for b in out.batches))
        return out

    monkeypatch.setattr(xt, "read_file", counting)
    records(SAMPLE)
    assert calls == [300, 211]


def seed_chain() -> list[Any]:
    """The default chain as it was before the columnar rewrite. Issue 7 has since changed
    it (``strip-reply-mentions``, plain-text sources left unescaped, CJK-aware counting),
    so the old texts are checked with the old chain, the new chain against per-post runs."""
    return [
        b.DropRetweets(),
        b.UnescapeHtml(all_sources=True),
        b.RemoveUrls(),
        b.CollapseWhitespace(),
        b.DropShort(by_script=False),
    ]


def per_post(corpus: Corpus, filters: list[Any]) -> list[str]:
    """The texts the filters keep when every step runs post by post."""
    from tweetgen.filters.apply import run_per_post

    table = corpus.table
    for f in filters:
        table, _, _ = run_per_post(table, f)
    texts: list[str] = table.column("text").to_pylist()
    return texts


def test_sample_gives_the_same_table_and_texts_as_before() -> None:
    raw = Corpus.from_source("x-archive", str(SAMPLE))
    kept = raw.filter(*seed_chain())
    assert kept.report.table() == SAMPLE_TABLE
    assert raw.fingerprint() == SAMPLE_RAW_FINGERPRINT
    assert kept.fingerprint() == SAMPLE_KEPT_FINGERPRINT
    assert raw.filter(*default_filters()).texts == per_post(raw, default_filters())


def test_fingerprints_catch_one_changed_text() -> None:
    raw = Corpus.from_source("x-archive", str(SAMPLE))
    changed = raw.filter(lambda p: p.with_text(p.text + "!") if p.id.endswith("5") else p)
    assert changed.fingerprint() != SAMPLE_RAW_FINGERPRINT


def test_real_archive_same_table_and_texts_as_before(milahu_archive: Path) -> None:
    raw = Corpus.from_source("x-archive", str(milahu_archive))
    kept = raw.filter(*seed_chain())
    assert kept.report.table() == MILAHU_TABLE
    assert raw.fingerprint() == MILAHU_RAW_FINGERPRINT
    assert kept.fingerprint() == MILAHU_KEPT_FINGERPRINT
    assert raw.filter(*default_filters()).texts == per_post(raw, default_filters())


def test_small_pieces_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = records(SAMPLE)
    monkeypatch.setattr(jsfile, "PIECE_BYTES", 3000)
    assert records(SAMPLE) == whole


def test_one_line_files_read_the_same(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    tweets = json.loads((FIXTURES / "x-archive-old" / "data" / "tweet.js").read_text()[25:])
    (data / "tweet.js").write_text("window.YTD.tweet.part0 = " + json.dumps(tweets) + ";")
    assert records(tmp_path) == records(FIXTURES / "x-archive-old")


def test_a_folder_file_over_the_member_limit_is_streamed() -> None:
    old = FIXTURES / "x-archive-old"
    limits = ZipLimits(max_member_bytes=200, max_total_bytes=400)
    assert (old / "data" / "tweet.js").stat().st_size > 3 * limits.max_member_bytes
    posts = list(XArchiveSource(limits).read(str(old)))
    assert len(posts) == 2


def test_zips_keep_their_limits(tmp_path: Path) -> None:
    limits = ZipLimits(max_member_bytes=2000, max_total_bytes=4000)
    with pytest.raises(ArchiveError, match="over the limit"):
        list(XArchiveSource(limits).read(str(SAMPLE)))


def test_lone_surrogates_are_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    tweet = {
        "id_str": "1",
        "full_text": "broken \\ud800 text with words",
        "created_at": "Mon Jan 07 12:00:00 +0000 2019",
    }
    body = json.dumps([{"tweet": tweet}]).replace("\\\\ud800", "\\ud800")
    (data / "tweets.js").write_text("window.YTD.tweets.part0 = " + body)
    corpus = Corpus.from_source("x-archive", str(tmp_path))
    assert corpus.texts == ["broken \ufffd text with words"]
    corpus.save(tmp_path / "out")
    assert Corpus.load(tmp_path / "out").texts == corpus.texts


_OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=200, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9998, 12, 30)),
    offset=_OFFSETS,
    pad=st.booleans(),
)
def test_x_dates_by_arrow_equal_python(when: datetime, offset: timedelta, pad: bool) -> None:
    """X's date form, parsed on columns (ISO rewrite, strptime for a space-padded day), is
    what the careful reader's ``parse_datetime`` makes of it, to the microsecond."""
    text = when.replace(microsecond=0, tzinfo=timezone(offset)).strftime(x_dates.X_DATE_FORMAT)
    if pad and text[8] == "0":
        text = text[:8] + " " + text[9:]  # 'Jan  7', as some exports write it
    assert x_dates.dates([text]).to_pylist() == [parse_datetime(text)]


@pytest.mark.parametrize(
    "text", ["Sat Feb 30 14:41:16 +0000 2024", "Wed Jan 17 23:59:60 +0000 2024"]
)
def test_impossible_dates_go_to_the_careful_reader(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)  # the careful reader refuses it ...
    with pytest.raises(x_dates.CarefulDate):
        x_dates.dates([text])  # ... so the fast path hands the file over


def test_guard_the_date_comparison_sees_one_second() -> None:
    text = "Wed Jan 17 14:41:16 +0000 2024"
    wrong = parse_datetime(text) + timedelta(seconds=1)
    assert x_dates.dates([text]).to_pylist() != [wrong]


_UTC_DATES = st.lists(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    min_size=1,
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(whens=_UTC_DATES)
def test_archive_dates_are_read_exactly_over_the_whole_range(whens: list[datetime]) -> None:
    """Dates as archives write them (+0000, two-digit day), over the whole range Python
    holds, equal ``parse_datetime`` row for row."""
    texts = [w.strftime("%a %b %d %H:%M:%S +0000 ") + f"{w.year:04d}" for w in whens]
    assert x_dates.dates(texts).to_pylist() == [parse_datetime(t) for t in texts]


@pytest.mark.parametrize(
    "odd",
    [
        "Sat Feb 30 14:41:16 +0000 2024",  # no such day
        "Thu Feb 29 14:41:16 +0000 2023",  # not a leap year
        "Wed Jan 17 24:00:00 +0000 2024",  # hour 24
        "Wed Jan 17 23:59:60 +0000 2024",  # second 60
        "Wed Jan 00 23:59:59 +0000 2024",  # day 0
        "Wed Jan 17 23:59:59 +0000 0000",  # year 0
        "Wed Jan 17 23:59:59 +0100 2024",  # another offset
        "Wed Jan  7 23:59:59 +0000 2024",  # a space-padded day
        "Wed Jxn 17 23:59:59 +0000 2024",  # no such month
        "Wex Jan 17 23:59:59 +0000 2024",  # no such weekday
        "Wed Jan 17 23:59:59 +0000 2024 ",  # longer
        "Wed Jan 17 23:5:59 +0000 2024",  # shorter
        "Wed Jan 17 23:59:5é +0000 2024",  # not a digit (and 31 bytes)
        "Wed Jan 17 23:59:5x +0000 2024",  # not a digit
    ],
)
def test_other_dates_keep_their_meaning(odd: str) -> None:
    good = "Wed Jan 17 14:41:16 +0000 2024"
    try:
        expected = [parse_datetime(t) for t in (good, odd, good)]
    except ValueError:
        with pytest.raises(x_dates.CarefulDate):
            x_dates.dates([good, odd, good])
    else:
        assert x_dates.dates([good, odd, good]).to_pylist() == expected


def test_guard_a_leap_day_differs_by_one_second() -> None:
    text = "Thu Feb 29 14:41:16 +0000 2024"
    read = x_dates.dates([text]).to_pylist()
    assert read == [parse_datetime(text)]
    assert read != [parse_datetime(text) + timedelta(seconds=1)]
