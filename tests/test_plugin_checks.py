"""Plugins with hooks tweetgen would ignore are reported, never accepted in silence."""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, ClassVar

import pytest

from tweetgen import PluginError, Post, hookimpl
from tweetgen.plugins import (
    PROBLEMS,
    check_plugin,
    get_plugin_manager,
    hook_problems,
    provided_by,
)
from tweetgen.testing import plugin_problems


class Good:
    name = "good"
    description = "One post."

    def read(self, location: str, **options: Any) -> list[Post]:
        when = datetime(2026, 1, 1, tzinfo=timezone.utc)
        return [Post("1", "me", location, when, self.name)]


def _module(name: str, **functions: Callable[..., Any]) -> types.ModuleType:
    module = types.ModuleType(name)
    for attr, func in functions.items():
        func.__module__ = name
        setattr(module, attr, func)
    return module


def _marked_register_sources(register: Callable[[type], None]) -> None:
    register(Good)


def _misspelled() -> types.ModuleType:
    @hookimpl
    def register_source(register: Callable[[type], None]) -> None:
        register(Good)

    return _module("tweetgen_typo", register_source=register_source)


def _unmarked() -> types.ModuleType:
    def register_sources(register: Callable[[type], None]) -> None:
        register(Good)

    return _module("tweetgen_unmarked", register_sources=register_sources)


def test_a_correct_plugin_has_no_problems() -> None:
    module = _module("tweetgen_good", register_sources=hookimpl(_marked_register_sources))
    assert hook_problems(module) == []
    check_plugin(module)
    assert provided_by(module)["source"] == [Good]


def test_a_misspelled_hook_is_named_with_a_suggestion() -> None:
    [problem] = hook_problems(_misspelled())
    assert "register_source is not a tweetgen hook" in problem
    assert "did you mean register_sources?" in problem
    with pytest.raises(PluginError, match=r"plugin tweetgen_typo: register_source is not"):
        check_plugin(_misspelled())


def test_a_missing_marker_is_named() -> None:
    assert hook_problems(_unmarked()) == [
        "register_sources is not marked @tweetgen.hookimpl, so it is never called"
    ]


def test_an_unmarked_misspelling_is_named_too() -> None:
    def register_trainer(register: Callable[[type], None]) -> None:
        pass

    [problem] = hook_problems(_module("m", register_trainer=register_trainer))
    assert problem.startswith("register_trainer is neither a hook nor marked")
    assert "did you mean register_trainers?" in problem


def test_imported_helpers_and_methods_of_classes_are_not_flagged() -> None:
    class Plugin:
        @hookimpl
        def register_sources(self, register: Callable[[type], None]) -> None:
            register(Good)

        def helper(self) -> None:
            pass

    module = _module("tweetgen_ok", register_sources=hookimpl(_marked_register_sources))
    module.__dict__["register_imported"] = check_plugin  # imported: not its own
    assert hook_problems(Plugin()) == []
    assert hook_problems(module) == []


def test_a_hook_taking_an_unknown_argument_is_reported() -> None:
    class Plugin:
        @hookimpl
        def register_sources(self, register: Callable[[type], None], extra: int) -> None:
            pass

    [problem] = hook_problems(Plugin())
    assert "extra" in problem and "register_sources" in problem


def test_entry_point_plugins_with_problems_warn_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    module = _misspelled()

    class EP:
        name, group, value = "typo", "tweetgen", "tweetgen_typo"

        def load(self) -> object:
            return module

    class Dist:
        entry_points = (EP(),)
        metadata: ClassVar[dict[str, str]] = {"name": "tweetgen-typo"}
        version = "1.0"

    monkeypatch.setattr(metadata, "distributions", lambda: [Dist()])
    monkeypatch.delenv("TWEETGEN_LOAD_PLUGINS", raising=False)
    monkeypatch.setattr("tweetgen.plugins.PROBLEMS", {})
    with pytest.warns(UserWarning, match=r"plugin 'typo': register_source is not a tweetgen hook"):
        get_plugin_manager.__wrapped__()
    from tweetgen import plugins

    assert list(plugins.PROBLEMS) == ["typo"]


def test_source_contract_fails_on_a_misspelled_or_unmarked_plugin() -> None:
    assert plugin_problems(_misspelled(), "good")  # the typo, and no source registered
    assert any(
        "registers no source named 'good'" in p for p in plugin_problems(_unmarked(), "good")
    )
    good = _module("tweetgen_good", register_sources=hookimpl(_marked_register_sources))
    assert plugin_problems(good, "good") == []
    assert plugin_problems(None, "x-archive") == []  # installed: checks the built-in module
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        [missing] = plugin_problems(None, "no-such-source")
    assert "no loaded plugin registers a source named 'no-such-source'" in missing
    assert isinstance(PROBLEMS, dict)
