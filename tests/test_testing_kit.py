"""tweetgen.testing as plugin authors use it: strategies, FilterContract, pytest fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from tweetgen import Drop, Post, PostKind, Url
from tweetgen.filters import builtin as b
from tweetgen.sources.files import JsonlSource
from tweetgen.testing import FilterContract, SourceContract, contract_problems, filter_problems
from tweetgen.testing.strategies import (
    aware_datetimes,
    corpora,
    jsonl_records,
    post,
    posts,
    tweets_js,
    x_archive_tweets,
)

FEW = settings(max_examples=25, deadline=None)


@FEW
@given(posts(max_size=6))
def test_posts_are_valid_and_meet_the_source_contract(items: list[Post]) -> None:
    assert [p.id for p in items] == [str(i) for i in range(len(items))]
    for p in items:
        assert p.created_at.utcoffset() is not None
        assert (p.reply_to is not None) == (p.kind is PostKind.REPLY)
    if items:
        problems = contract_problems(items, "test")
        # generated text may hold entities or start "RT @" on purpose: only those may complain
        assert all("HTML entities" in x or "RT @" in x for x in problems), problems


def test_every_kind_cjk_emoji_and_entities_are_generated() -> None:
    seen: dict[str, bool] = {}

    @settings(max_examples=150, deadline=None)
    @given(post())
    def look(p: Post) -> None:
        seen[p.kind.value] = True
        seen["cjk"] = seen.get("cjk", False) or any("\u4e00" <= c <= "\u9fff" for c in p.text)
        seen["emoji"] = seen.get("emoji", False) or any(ord(c) >= 0x1F300 for c in p.text)
        seen["mentions"] = seen.get("mentions", False) or bool(p.mentions)
        seen["urls"] = seen.get("urls", False) or bool(p.urls)
        seen["offset"] = seen.get("offset", False) or p.created_at.utcoffset() != timedelta(0)

    look()
    wanted = {k.value for k in PostKind} | {"cjk", "emoji", "mentions", "urls", "offset"}
    assert wanted <= {k for k, v in seen.items() if v}


@FEW
@given(st.from_type(Post), st.builds(Post, created_at=aware_datetimes()))
def test_from_type_and_builds_work(p: Post, q: Post) -> None:
    assert isinstance(p, Post) and p.created_at.tzinfo is not None
    assert isinstance(q, Post)


@FEW
@given(corpora(max_size=4))
def test_corpora(corpus: object) -> None:
    from tweetgen.corpus.corpus import Corpus

    assert isinstance(corpus, Corpus)


@settings(max_examples=15, deadline=None)
@given(st.lists(jsonl_records(), min_size=1, max_size=4, unique_by=lambda r: r["id"]))
def test_jsonl_records_read_back(
    tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, Any]]
) -> None:
    import json

    path = tmp_path_factory.mktemp("jsonl") / "posts.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    read = list(JsonlSource().read(str(path)))
    assert [p.id for p in read] == [r["id"] for r in records]
    assert [p.text for p in read] == [r["text"] for r in records]


@settings(max_examples=15, deadline=None)
@given(st.lists(x_archive_tweets(), min_size=1, max_size=4, unique_by=lambda r: r["tweet"]["id"]))
def test_x_archive_tweets_read_back(
    tmp_path_factory: pytest.TempPathFactory, records: list
) -> None:
    from tweetgen.corpus.corpus import Corpus

    folder = tmp_path_factory.mktemp("archive")
    (folder / "data").mkdir()
    (folder / "data" / "tweets.js").write_text(tweets_js(records), encoding="utf-8")
    corpus = Corpus.from_source("x-archive", str(folder), author="me")
    assert sorted(p.id for p in corpus) == sorted(r["tweet"]["id_str"] for r in records)


# FilterContract: a correct filter passes, broken ones are caught ------------------------


class TestDropShortMeetsTheContract(FilterContract):
    @pytest.fixture
    def filter(self) -> b.DropShort:
        return b.DropShort(min_words=2)


class TestUnescapeHtmlMeetsTheContract(FilterContract):
    idempotent = False

    @pytest.fixture
    def filter(self) -> b.UnescapeHtml:
        return b.UnescapeHtml()


def no_links(post: Post) -> Post | None:
    return None if post.urls else post


class TestAPlainFunctionMeetsTheContract(FilterContract):
    @pytest.fixture
    def filter(self) -> Callable[[Post], Post | None]:
        return no_links


class TestAChainMeetsTheContract(FilterContract):
    @pytest.fixture
    def filter(self) -> object:
        return b.DropRetweets() | b.DropShort(min_words=2)


class Reverse:
    name, reason = "reverse", "reversed"

    def __call__(self, items: Iterable[Post]) -> Iterator[Post]:
        return iter(list(items)[::-1])


class AppendBang:
    name, reason = "bang", "banged"

    def __call__(self, items: Iterable[Post]) -> Iterator[Post]:
        return (p.with_text(p.text + "!") for p in items)


class NewIds:
    name, reason = "new-ids", "renumbered"

    def __call__(self, items: Iterable[Post]) -> Iterator[Post]:
        for p in items:
            yield Post("x" + p.id, p.author, p.text, p.created_at, p.source)


class TableDisagrees(Drop):
    """Its table path keeps every row; its stream path drops short posts."""

    name, reason = "table-disagrees", "short"

    def __init__(self, min_words: int) -> None:
        self.min_words = min_words

    def drops(self, post: Post) -> bool:
        return len(post.text.split()) < self.min_words

    def filter_table(self, table: Any) -> Any:
        from tweetgen.filters.base import TableStep

        return TableStep(None)


def _some(n: int) -> list[Post]:
    when = datetime.fromisoformat("2024-01-01T00:00:00+09:00")
    return [Post(str(i), "me", f"post number {i}", when, "test") for i in range(n)]


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (Reverse(), "order changed"),
        (AppendBang(), "not idempotent"),
        (NewIds(), "not a subset of the input ids"),
        (TableDisagrees(min_words=5), "the table path (filter_table) and the post stream"),
    ],
)
def test_filter_problems_catch_broken_filters(broken: object, message: str) -> None:
    problems = filter_problems(broken, _some(3))
    assert any(message in p for p in problems), problems
    assert filter_problems(b.DropShort(min_words=2), _some(3)) == []


def test_filter_contract_fails_a_broken_filter() -> None:
    class TestReverse(FilterContract):
        hypothesis_settings: ClassVar[dict[str, Any]] = {"phases": [Phase.generate]}

    with pytest.raises(AssertionError, match="order changed"):
        TestReverse().test_filter_keeps_ids_order_and_counts(Reverse())


# the pytest plugin's fixtures ------------------------------------------------------------


def test_fixture_posts_cover_every_kind(tweetgen_posts: list[Post]) -> None:
    assert {p.kind for p in tweetgen_posts} == set(PostKind)
    assert any(p.urls and isinstance(p.urls[0], Url) for p in tweetgen_posts)
    assert any(p.mentions for p in tweetgen_posts)


def test_fixture_register_checks_and_registers(
    tweetgen_register: Callable[..., object],
) -> None:
    from tweetgen import PluginError, hookimpl
    from tweetgen.corpus.corpus import Corpus

    class One:
        name, description = "one-post", "one post"

        def read(self, location: str) -> list[Post]:
            return _some(1)

    class Plugin:
        @hookimpl
        def register_sources(self, register: Callable[[type], None]) -> None:
            register(One)

    class Typo:
        @hookimpl
        def register_source(self, register: Callable[[type], None]) -> None:
            register(One)

    with pytest.raises(PluginError, match="register_source is not a tweetgen hook"):
        tweetgen_register(Typo())
    tweetgen_register(Plugin())
    assert len(Corpus.from_source("one-post", "anywhere")) == 1


class TestStrategyPostsAsASource(SourceContract):
    """SourceContract with the plugin fixture: the built-in jsonl plugin module."""

    @pytest.fixture
    def plugin(self) -> object:
        from tweetgen.sources import files

        return files

    @pytest.fixture
    def source_name(self) -> str:
        return "jsonl"

    @pytest.fixture
    def posts(self, tmp_path: object, tweetgen_posts: list[Post]) -> list[Post]:
        from pathlib import Path

        from tweetgen.corpus.corpus import Corpus

        path = Path(str(tmp_path)) / "p.jsonl"
        unique = [p for p in tweetgen_posts if p.id not in ("6", "9")]  # no entities, no repeat
        Corpus.from_posts(unique).to_jsonl(path)
        return list(JsonlSource().read(str(path)))


def test_fixture_only_plugins_loads_the_named_entry_points_only(
    tweetgen_only_plugins: Callable[[str], None],
) -> None:
    from tweetgen.plugins import DEFAULT_PLUGINS, get_plugin_manager, get_sources

    tweetgen_only_plugins("")
    pm = get_plugin_manager()
    assert all(pm.get_plugin(name) is not None for name in DEFAULT_PLUGINS)
    assert "bluesky" not in get_sources()  # installed here, but not named
    tweetgen_only_plugins("bluesky")
    assert get_plugin_manager() is not pm and "bluesky" in get_sources()


def test_loopback_server_serves_html_json_and_headers_from_path_and_query() -> None:
    import httpx

    from tweetgen.testing import loopback_server

    def reply(path: str, query: dict[str, str]) -> tuple[int, object, dict[str, str]]:
        if path == "/page":
            return 200, f"<p>{query['q']}</p>", {"X-Seen": path}
        return 404, {"error": path}, {}

    with loopback_server(reply) as url:
        page = httpx.get(f"{url}/page?q=hi")
        missing = httpx.get(f"{url}/nope")
    assert page.text == "<p>hi</p>" and page.headers["content-type"] == "text/html"
    assert page.headers["x-seen"] == "/page"
    assert missing.status_code == 404 and missing.json() == {"error": "/nope"}
