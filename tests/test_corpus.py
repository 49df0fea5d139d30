from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tweetgen import CorpusError, Post, PostKind
from tweetgen.corpus.corpus import Corpus


def posts(n: int, author: str = "ada", retweet_every: int = 0) -> list[Post]:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [
        Post(
            id=f"{author}-{i}",
            author=author,
            text=f"post number {i} from {author}",
            created_at=start + timedelta(minutes=i),
            source="test",
            kind=PostKind.RETWEET
            if retweet_every and i % retweet_every == 0
            else PostKind.ORIGINAL,
        )
        for i in range(n)
    ]


class DropRetweets:
    name = "drop-retweets"
    reason = "retweets"

    def __call__(self, ps: Iterable[Post]) -> Iterator[Post]:
        return (p for p in ps if p.kind is not PostKind.RETWEET)


class Upper:
    name = "upper"
    reason = "cleaned"

    def __call__(self, ps: Iterable[Post]) -> Iterator[Post]:
        for p in ps:
            yield p.with_text(p.text.upper()) if p.id.endswith("1") else p


def test_posts_live_in_a_dataset() -> None:
    import datasets

    corpus = Corpus.from_posts(posts(5))
    assert isinstance(corpus.dataset, datasets.Dataset)
    assert len(corpus) == 5
    assert [p.id for p in corpus] == [f"ada-{i}" for i in range(5)]


def test_filter_reports_dropped_and_changed_in_order() -> None:
    corpus = Corpus.from_posts(posts(12, retweet_every=4))  # 0, 4, 8 are retweets
    filtered = corpus.filter(DropRetweets(), Upper())
    report = filtered.report
    assert [(s.name, s.seen, s.dropped, s.changed) for s in report.steps] == [
        ("drop-retweets", 12, 3, 0),
        ("upper", 9, 0, 2),  # ada-1 and ada-11
    ]
    assert len(filtered) == 9
    assert report.table() == [
        ("downloaded", 12),
        ("retweets", 3),
        ("short tweets", 0),
        ("kept", 9),
    ]
    assert len(corpus) == 12, "filter must not change the original corpus"


def test_reports_accumulate_across_filter_calls() -> None:
    corpus = Corpus.from_posts(posts(12, retweet_every=4))
    once = corpus.filter(DropRetweets())
    twice = once.filter(Upper())
    assert [s.seen for s in twice.report.steps] == [12, 9]
    assert twice.report.table()[0] == ("downloaded", 12)
    assert twice.report.dropped_by_step("retweets") == {"drop-retweets": 3}


def test_split_is_seeded_and_disjoint() -> None:
    corpus = Corpus.from_posts(posts(50))
    a = corpus.split(0.2, seed=3)
    b = corpus.split(0.2, seed=3)
    assert len(a.validation) == 10 and len(a.train) == 40
    assert [p.id for p in a.validation] == [p.id for p in b.validation]
    assert not {p.id for p in a.train} & {p.id for p in a.validation}
    assert [p.id for p in corpus.split(0.2, seed=4).validation] != [p.id for p in a.validation]


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_split_rejects_bad_fraction(fraction: float) -> None:
    with pytest.raises(CorpusError):
        Corpus.from_posts(posts(10)).split(fraction)


def test_merge_balances_authors_by_oversampling() -> None:
    big = Corpus.from_posts(posts(30, "big"))
    small = Corpus.from_posts(posts(7, "small"))
    merged = Corpus.merge([big, small], balance=True, seed=1)
    counts = merged.stats().authors
    assert counts == {"big": 30, "small": 30}
    small_ids = [p.id for p in merged if p.author == "small"]
    assert set(small_ids) == {f"small-{i}" for i in range(7)}  # every post at least 4 times
    plain = Corpus.merge([big, small])
    assert plain.stats().authors == {"big": 30, "small": 7}


def test_save_load_round_trip(tmp_path: Path) -> None:
    corpus = Corpus.from_posts(posts(12, retweet_every=4), meta={"source": "t"}).filter(
        DropRetweets()
    )
    corpus.save(tmp_path / "c")
    loaded = Corpus.load(tmp_path / "c")
    assert [p for p in loaded] == [p for p in corpus]
    assert loaded.report.table() == corpus.report.table()
    assert loaded.meta == {"source": "t"}
    assert loaded.fingerprint() == corpus.fingerprint()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"], "no temp dirs left"


def test_save_is_atomic_when_writing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    def boom(self: object, *a: object, **k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(datasets.Dataset, "save_to_disk", boom)
    with pytest.raises(OSError):
        Corpus.from_posts(posts(3)).save(tmp_path / "c")
    assert list(tmp_path.iterdir()) == []


def test_load_errors_name_the_directory(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"no corpus\.json") as info:
        Corpus.load(tmp_path)
    assert str(tmp_path) in str(info.value)
    (tmp_path / "corpus.json").write_text("{not json")
    with pytest.raises(CorpusError, match="damaged"):
        Corpus.load(tmp_path)


def test_to_jsonl_writes_one_post_per_line(tmp_path: Path) -> None:
    path = Corpus.from_posts(posts(3)).to_jsonl(tmp_path / "p.jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["ada-0", "ada-1", "ada-2"]
    assert rows[0]["created_at"] == "2026-01-01T00:00:00+00:00"


def test_stats_and_fingerprint() -> None:
    corpus = Corpus.from_posts(posts(4, retweet_every=2))
    stats = corpus.stats()
    assert stats.posts == 4 and stats.kinds == {"retweet": 2, "original": 2}
    assert stats.words == sum(len(t.split()) for t in corpus.texts)
    other = Corpus.from_posts(posts(4, "bob"))
    assert corpus.fingerprint() != other.fingerprint()


def test_a_saved_corpus_is_written_in_big_batches_and_datasets_is_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datasets

    from tweetgen.corpus import corpus as corpus_module

    before = datasets.config.DEFAULT_MAX_BATCH_SIZE
    monkeypatch.setattr(corpus_module, "SAVE_BATCH_ROWS", 3)
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    posts = [Post(str(i), "me", f"post number {i}", when, "test") for i in range(7)]
    Corpus.from_posts(posts).save(tmp_path / "c")
    loaded = Corpus.load(tmp_path / "c")
    assert [b.num_rows for b in loaded.dataset.data.table.to_batches()] == [3, 3, 1]
    assert loaded.texts == [p.text for p in posts]
    assert before == datasets.config.DEFAULT_MAX_BATCH_SIZE  # restored

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(datasets.Dataset, "save_to_disk", fail)
    with pytest.raises(OSError):
        Corpus.from_posts(posts).save(tmp_path / "d")
    assert before == datasets.config.DEFAULT_MAX_BATCH_SIZE  # restored after a failure too
