"""pytest fixtures for plugin and filter authors, loaded automatically with tweetgen installed.

* ``tweetgen_register``: register a plugin object (e.g. your module) for one test, after checking
  its hooks, so ``Corpus.from_source("my-source", ...)`` works without installing the package.
* ``tweetgen_posts``: a fixed list of posts of every kind (CJK, emoji, URLs, mentions, entities),
  for example-based tests beside :class:`tweetgen.testing.FilterContract`'s generated ones.
* ``tweetgen_loopback``: :func:`tweetgen.testing.loopback_server` as a fixture factory.
* ``tweetgen_only_plugins``: load only the named entry-point plugins (and the built-ins), as an
  installed tweetgen would, whatever else is installed.

With hypothesis installed, ``st.from_type(tweetgen.Post)`` works in every test.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import pytest

from tweetgen.plugins import LOAD_PLUGINS_ENV, check_plugin, get_plugin_manager
from tweetgen.records.post import Post, PostKind, Url
from tweetgen.testing.http import Reply, loopback_server


def pytest_configure(config: pytest.Config) -> None:
    if importlib.util.find_spec("hypothesis") is not None:
        import tweetgen.testing.strategies  # noqa: F401 - registers Post with hypothesis


@pytest.fixture
def tweetgen_register() -> Iterator[Callable[[object], object]]:
    """``tweetgen_register(plugin)``: check and register ``plugin`` until the test ends."""
    pm = get_plugin_manager()
    added: list[object] = []

    def register(plugin: object, name: str | None = None) -> object:
        check_plugin(plugin, name)
        pm.register(plugin, name=name)
        added.append(plugin)
        return plugin

    yield register
    for plugin in reversed(added):
        pm.unregister(plugin)


@pytest.fixture
def tweetgen_only_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """``tweetgen_only_plugins("name,...")``: a plugin manager with the built-ins and these
    entry points only, built afresh; the next test builds its own again."""

    def only(names: str) -> None:
        monkeypatch.setenv(LOAD_PLUGINS_ENV, names)
        get_plugin_manager.cache_clear()

    yield only
    get_plugin_manager.cache_clear()


#: Texts of :func:`sample_posts`: the cases filters most often get wrong.
SAMPLE_TEXTS: tuple[tuple[PostKind, str], ...] = (
    (PostKind.ORIGINAL, "Just shipped a new release! https://t.co/abc123 #python"),
    (PostKind.REPLY, "@alice @bob thanks, that fixed it"),
    (PostKind.RETWEET, "RT @carol: read this thread"),
    (PostKind.QUOTE, "this, exactly https://x.com/dave/status/12345"),
    (PostKind.ORIGINAL, "今日はとても良い天気ですね。散歩に行きます"),
    (PostKind.ORIGINAL, "family 👨\u200d👩\u200d👧 day 🎉🇯🇵"),
    (PostKind.ORIGINAL, "Tom &amp; Jerry &lt;3"),
    (PostKind.ORIGINAL, "ok"),
    (PostKind.ORIGINAL, "line one\n\nline   two\u2028three"),
    (PostKind.ORIGINAL, "Just shipped a new release! https://t.co/abc123 #python"),
)


def sample_posts() -> list[Post]:
    """Posts of every kind with entities filled in; ids ``"0"``... in order, aware dates."""
    start = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=9)))
    out = []
    for i, (kind, text) in enumerate(SAMPLE_TEXTS):
        words = text.split()
        out.append(
            Post(
                id=str(i),
                author="me",
                text=text,
                created_at=start + timedelta(hours=i),
                source="test",
                kind=kind,
                lang="ja" if i == 4 else "en",
                reply_to="99" if kind is PostKind.REPLY else None,
                urls=tuple(Url(w, None) for w in words if w.startswith("https://")),
                mentions=tuple(w[1:].rstrip(":") for w in words if w.startswith("@")),
                hashtags=tuple(w[1:] for w in words if w.startswith("#")),
            )
        )
    return out


@pytest.fixture
def tweetgen_posts() -> list[Post]:
    return sample_posts()


@pytest.fixture
def tweetgen_loopback() -> Iterator[Callable[[Callable[[str, dict[str, str]], Reply]], str]]:
    """``base_url = tweetgen_loopback(reply)``: a local server, stopped when the test ends."""
    with ExitStack() as stack:
        yield lambda reply: stack.enter_context(loopback_server(reply))
