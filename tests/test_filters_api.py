"""The filter API for library users: functions as filters, chains reported step by step,
``Corpus.filter`` returning a corpus, and per-post filters run by the core over batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tweetgen import Clean, Drop, FilterError, Post, PostKind
from tweetgen.corpus.corpus import Corpus
from tweetgen.filters import FunctionFilter, post_filter
from tweetgen.filters import builtin as b
from tweetgen.filters.apply import column_method

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def corpus_of(*texts: str, kind: PostKind = PostKind.ORIGINAL) -> Corpus:
    return Corpus.from_posts(
        Post(str(i), "me", t, START + timedelta(minutes=i), "test", kind, lang="en")
        for i, t in enumerate(texts)
    )


def rows(corpus: Corpus) -> list[tuple[str, str, str, int, int, int]]:
    return [(s.name, s.reason, "", s.seen, s.dropped, s.changed) for s in corpus.report.steps]


def test_filter_returns_a_corpus_carrying_its_table() -> None:
    kept = corpus_of("one two three", "RT @x: no", "hi").filter(*b.default_filters())
    assert isinstance(kept, Corpus)
    assert kept.texts == ["one two three"]
    assert kept.report.table() == [
        ("downloaded", 3),
        ("retweets", 1),
        ("short tweets", 1),
        ("kept", 1),
    ]


def test_a_plain_function_is_a_filter() -> None:
    def no_questions(post: Post) -> Post | None:
        return None if post.text.endswith("?") else post

    kept = corpus_of("why?", "because", "how?").filter(no_questions)
    assert kept.texts == ["because"]
    assert rows(kept) == [("no-questions", "no-questions", "", 3, 2, 0)]


def test_lambdas_may_return_bools_and_rewrites_are_counted() -> None:
    corpus = corpus_of("a b c", "d e f", "g")
    kept = corpus.filter(lambda p: len(p.text) > 1, lambda p: p.with_text(p.text.upper()))
    assert kept.texts == ["A B C", "D E F"]
    assert [(s.name, s.dropped, s.changed) for s in kept.report.steps] == [
        ("lambda", 1, 0),
        ("lambda", 0, 2),
    ]


def test_decorator_names_the_step_and_its_reason() -> None:
    @post_filter(name="no-links", reason="links")
    def no_links(post: Post) -> bool:
        return "http" not in post.text

    assert isinstance(no_links, FunctionFilter)
    kept = corpus_of("see http://x", "plain words here").filter(no_links)
    assert dict(kept.report.table())["links"] == 1
    bare = post_filter(lambda p: True)
    assert isinstance(bare, FunctionFilter) and bare.name == "lambda"


def test_a_chain_reports_each_of_its_steps() -> None:
    chain = b.DropRetweets() | b.RemoveUrls() | (lambda p: p if "x" not in p.text else None)
    kept = corpus_of("RT @a: b", "see https://t.co/a", "x marks", "fine words").filter(chain)
    assert [(s.name, s.seen, s.dropped, s.changed) for s in kept.report.steps] == [
        ("drop-retweets", 4, 1, 0),
        ("remove-urls", 3, 0, 1),
        ("lambda", 3, 1, 0),
    ]
    assert dict(kept.report.table())["retweets"] == 1  # not lumped under "filtered"


def test_functions_compose_on_either_side() -> None:
    chain = (lambda p: p) | b.DropShort()
    assert [f.name for f in chain.filters] == ["lambda", "drop-short"]


def test_bad_results_are_filter_errors() -> None:
    with pytest.raises(FilterError, match="returned str"):
        corpus_of("a").filter(lambda p: "nope")
    with pytest.raises(FilterError, match="changed the id"):
        corpus_of("a").filter(lambda p: Post("other", p.author, p.text, p.created_at, p.source))
    with pytest.raises(FilterError, match="not a filter"):
        corpus_of("a").filter(42)


class LongerThan(b.DropShort):
    """A third-party subclass overriding ``drops``: the inherited column path must not run."""

    def drops(self, post: Post) -> bool:
        return len(post.text) < 5


def test_subclass_overriding_per_post_method_runs_per_post() -> None:
    assert column_method(LongerThan()) is None
    assert column_method(b.DropShort()) is not None
    kept = corpus_of("a bc", "abcdef").filter(LongerThan())
    assert kept.texts == ["abcdef"]


class Tagger:
    """A third-party stream filter that rewrites fields other than text."""

    name = "tag"
    reason = "tagged"

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        for p in posts:
            if p.text != "drop me":
                yield Post(p.id, p.author, p.text, p.created_at, p.source, lang="xx")


def test_per_post_filters_keep_every_field_they_set() -> None:
    kept = corpus_of("keep me", "drop me", "me too").filter(Tagger())
    assert [p.lang for p in kept] == ["xx", "xx"]
    assert [(s.dropped, s.changed) for s in kept.report.steps] == [(1, 0)]


class ShortWords(Drop):
    name = "short-words"
    reason = "short words"

    def drops(self, post: Post) -> bool:
        return len(post.text) < 3


def test_drop_subclasses_without_column_code_still_work() -> None:
    kept = corpus_of("ab", "abc").filter(ShortWords())
    assert kept.texts == ["abc"]


class Shout(Clean):
    name = "shout"
    reason = "emptied"

    def clean(self, text: str) -> str:
        return "" if text == "quiet" else text.upper()


def test_clean_subclasses_rewrite_on_the_text_column_and_drop_what_they_empty() -> None:
    kept = corpus_of("quiet", "loud", "LOUD").filter(Shout())
    assert kept.texts == ["LOUD", "LOUD"]
    assert [(s.dropped, s.changed) for s in kept.report.steps] == [(1, 1)]
    assert [p.text for p in Shout()(list(corpus_of("quiet", "loud")))] == ["LOUD"]


def test_lone_surrogates_become_replacement_characters(tmp_path: Path) -> None:
    corpus = corpus_of("bad \ud800 text here", "fine text here")
    assert corpus.texts[0] == "bad \ufffd text here"
    corpus.save(tmp_path / "c")
    assert Corpus.load(tmp_path / "c").texts == corpus.texts


def test_filters_docs_example_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    root = Path(__file__).resolve().parents[1]
    text = (root / "docs" / "filters.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert blocks, "docs/filters.md lost its example"
    monkeypatch.chdir(root)
    for block in blocks:
        if "def filter_table" in block:  # a signature, not a program
            continue
        exec(compile(block, "filters.md", "exec"), {})
    out = capsys.readouterr().out
    assert "no-questions saw 428" in out
