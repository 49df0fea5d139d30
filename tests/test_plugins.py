"""The plugin manager: built-ins through the same hooks, entry points, clear errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any, ClassVar

import pytest

import tweetgen
from tweetgen import FilterError, PluginError, Post, hookimpl
from tweetgen.corpus.corpus import Corpus
from tweetgen.plugins import (
    DEFAULT_PLUGINS,
    get_filter,
    get_plugin_manager,
    get_source,
    list_plugins,
    registrations,
)


class EchoSource:
    name = "echo"
    description = "One post whose text is the location."

    def read(self, location: str, **options: Any) -> Iterator[Post]:
        yield Post(
            id="1",
            author=options.get("author", "me"),
            text=location,
            created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
            source=self.name,
        )


class KeepFirst:
    name = "keep-first"
    reason = "not first"

    def __init__(self, n: int = 1) -> None:
        self.n = int(n)

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        for i, p in enumerate(posts):
            if i < self.n:
                yield p


class DummyTrainer:
    name = "dummy"
    description = "Does nothing."


class ThirdParty:
    @hookimpl
    def register_sources(self, register: Callable[[type], None]) -> None:
        register(EchoSource)

    @hookimpl
    def register_filters(self, register: Callable[[type], None]) -> None:
        register(KeepFirst)

    @hookimpl
    def register_trainers(self, register: Callable[[type], None]) -> None:
        register(DummyTrainer)


@pytest.fixture
def third_party() -> Iterator[ThirdParty]:
    pm = get_plugin_manager()
    plugin = ThirdParty()
    pm.register(plugin, name="third-party")
    yield plugin
    pm.unregister(plugin)


def test_builtins_register_through_the_hooks() -> None:
    pm = get_plugin_manager()
    for name in DEFAULT_PLUGINS:
        assert pm.get_plugin(name) is not None
    impls = {impl.plugin_name for impl in pm.hook.register_sources.get_hookimpls()}
    assert "tweetgen.sources.x_archive" in impls


def test_hook_register_sources(third_party: ThirdParty) -> None:
    assert tweetgen.get_sources()["echo"] is EchoSource
    assert registrations("source")["echo"].plugin == "third-party"
    corpus = Corpus.from_source("echo", "hello from a plugin", author="zoe")
    assert [(p.author, p.text) for p in corpus] == [("zoe", "hello from a plugin")]


def test_hook_register_filters(third_party: ThirdParty) -> None:
    assert tweetgen.get_filters()["keep-first"] is KeepFirst
    f = get_filter("keep-first", n=2)
    assert f.n == 2
    with pytest.raises(
        FilterError, match=r"unknown option\(s\) nope for filter 'keep-first' \(known: n\)"
    ):
        get_filter("keep-first", nope=1)


def test_hook_register_trainers(third_party: ThirdParty) -> None:
    assert tweetgen.get_trainers()["dummy"] is DummyTrainer


def test_duplicate_names_are_a_clear_error(third_party: ThirdParty) -> None:
    class Clash:
        @hookimpl
        def register_sources(self, register: Callable[[type], None]) -> None:
            register(EchoSource)

    pm = get_plugin_manager()
    clash = Clash()
    pm.register(clash, name="clash")
    try:
        with pytest.raises(PluginError, match="'echo' is registered by both"):
            tweetgen.get_sources()
    finally:
        pm.unregister(clash)


def test_nameless_registration_is_refused() -> None:
    class Nameless:
        pass

    class Bad:
        @hookimpl
        def register_sources(self, register: Callable[[type], None]) -> None:
            register(Nameless)

    pm = get_plugin_manager()
    bad = Bad()
    pm.register(bad, name="bad")
    try:
        with pytest.raises(PluginError, match="without a name"):
            tweetgen.get_sources()
    finally:
        pm.unregister(bad)


def test_unknown_source_lists_what_is_installed() -> None:
    with pytest.raises(PluginError, match=r"unknown source 'nope' \(installed: .*x-archive"):
        get_source("nope")


def test_list_plugins_has_versions_and_provides(third_party: ThirdParty) -> None:
    infos = {i.name: i for i in list_plugins()}
    assert infos["third-party"].sources == ["echo"]
    assert infos["third-party"].filters == ["keep-first"]
    builtin = infos["tweetgen.sources.x_archive"]
    assert builtin.builtin and builtin.version == tweetgen.plugins.tweetgen_version()


def _fake_distributions(module: object) -> list[object]:
    class FakeEP:
        name = "fake"
        group = "tweetgen"
        value = "fake_module"

        def load(self) -> object:
            return module

    class FakeDist:
        entry_points = (FakeEP(),)
        metadata: ClassVar[dict[str, str]] = {"name": "tweetgen-fake"}
        version = "9.9"

    return [FakeDist()]


def test_entry_point_plugins_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """A distribution exposing the ``tweetgen`` entry-point group is picked up, with its version."""
    from importlib import metadata

    module = type("M", (), {"register_sources": ThirdParty().register_sources})
    monkeypatch.setattr(metadata, "distributions", lambda: _fake_distributions(module))
    monkeypatch.delenv("TWEETGEN_LOAD_PLUGINS", raising=False)
    fresh = get_plugin_manager.__wrapped__()
    assert fresh.get_plugin("fake") is module
    assert any(dist.version == "9.9" for _, dist in fresh.list_plugin_distinfo())


def test_load_plugins_env_restricts_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    module = type("M", (), {"register_sources": ThirdParty().register_sources})
    monkeypatch.setattr(metadata, "distributions", lambda: _fake_distributions(module))
    monkeypatch.setenv("TWEETGEN_LOAD_PLUGINS", "")
    fresh = get_plugin_manager.__wrapped__()
    assert fresh.get_plugin("fake") is None
    assert all(fresh.get_plugin(name) is not None for name in DEFAULT_PLUGINS)


def test_a_broken_plugin_warns_and_the_rest_still_load(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    from tweetgen import plugins

    class Broken:
        def load(self) -> object:
            raise ImportError("No module named 'missing_dependency'")

    def dists() -> list[object]:
        [dist] = _fake_distributions(object())
        ep = dist.entry_points[0]  # type: ignore[attr-defined]
        ep.load = Broken().load
        return [dist]

    monkeypatch.setattr(metadata, "distributions", dists)
    monkeypatch.delenv("TWEETGEN_LOAD_PLUGINS", raising=False)
    monkeypatch.setattr(plugins, "BROKEN", {})
    with pytest.warns(UserWarning, match="plugin 'fake' failed to load: ImportError"):
        fresh = get_plugin_manager.__wrapped__()
    assert plugins.BROKEN == {"fake": "ImportError: No module named 'missing_dependency'"}
    assert all(fresh.get_plugin(name) is not None for name in DEFAULT_PLUGINS)
