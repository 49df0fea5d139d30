"""The contract every source must meet, as reusable pytest tests.

A source plugin's test module subclasses :class:`SourceContract` and provides two fixtures::

    class TestMySource(SourceContract):
        @pytest.fixture
        def source_name(self) -> str:
            return "my-source"

        @pytest.fixture
        def posts(self) -> list[Post]:
            return list(MySource().read("tests/fixtures/sample.json"))

The fixture data should contain at least one original post, one reply and one repost, so every
check below has something to check.

The contract also checks the plugin itself: its hooks must be ones tweetgen calls (a misspelled
``register_source`` or a missing ``@hookimpl`` fails here) and it must register ``source_name``.
It checks the installed plugin that registers ``source_name``; give a ``plugin`` fixture (the
plugin module) to check one that is not installed, as the tutorial does.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from tweetgen.errors import PluginError
from tweetgen.plugins import (
    PROBLEMS,
    get_plugin_manager,
    hook_problems,
    provided_by,
    registrations,
)
from tweetgen.records.post import Post, PostKind

_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);")


def contract_problems(posts: Sequence[Post], source_name: str) -> list[str]:
    """Every way ``posts`` break the source contract, as readable lines (empty when none)."""
    problems: list[str] = []
    if not posts:
        return ["the source yielded no posts"]
    dupes = [i for i, n in Counter(p.id for p in posts).items() if n > 1]
    if dupes:
        problems.append(f"duplicate ids: {dupes[:5]}")
    for p in posts:
        where = f"post {p.id}"
        if not isinstance(p, Post):
            problems.append(f"{where}: not a tweetgen.Post")
            continue
        if p.source != source_name:
            problems.append(f"{where}: source is {p.source!r}, expected {source_name!r}")
        if not p.id or not p.author:
            problems.append(f"{where}: empty id or author")
        if p.created_at.tzinfo is None or p.created_at.utcoffset() is None:
            problems.append(f"{where}: created_at is naive")
        if not isinstance(p.kind, PostKind):
            problems.append(f"{where}: kind {p.kind!r} is not a PostKind")
        if _ENTITY.search(p.text) and html.unescape(p.text) != p.text:
            problems.append(f"{where}: text still holds HTML entities: {p.text[:60]!r}")
        if p.kind is PostKind.REPLY and not p.reply_to:
            problems.append(f"{where}: a reply without reply_to")
        if p.kind is not PostKind.RETWEET and p.text.startswith("RT @"):
            problems.append(f"{where}: text starts with 'RT @' but kind is {p.kind.value}")
    return problems


def plugin_problems(plugin: object | None, source_name: str) -> list[str]:
    """Why ``plugin`` (else the installed plugin providing ``source_name``) breaks the contract."""
    if plugin is None:
        registration = registrations("source").get(source_name)
        if registration is None:
            ignored = [f"{name}: {p}" for name, found in PROBLEMS.items() for p in found]
            hint = "; ".join(ignored) or "is it installed, with a `tweetgen` entry point?"
            return [f"no loaded plugin registers a source named {source_name!r} ({hint})"]
        plugin = get_plugin_manager().get_plugin(registration.plugin)
    problems = hook_problems(plugin)
    try:
        names = [getattr(cls, "name", None) for cls in provided_by(plugin)["source"]]
    except PluginError as exc:
        return [*problems, str(exc)]
    if source_name not in names:
        problems.append(
            f"the plugin registers no source named {source_name!r} (it registers {names})"
        )
    return problems


class SourceContract:
    """Mix into a pytest class; needs fixtures ``posts`` (list of Post) and ``source_name``.

    An optional ``plugin`` fixture names the plugin object to check instead of the installed one.
    """

    def test_plugin_hooks(self, request: pytest.FixtureRequest, source_name: str) -> None:
        plugin = _optional_fixture(request, "plugin")
        problems = plugin_problems(plugin, source_name)
        assert not problems, "\n".join(problems)

    def test_contract(self, posts: list[Post], source_name: str) -> None:
        problems = contract_problems(posts, source_name)
        assert not problems, "\n".join(problems)

    def test_kinds_present(self, posts: list[Post]) -> None:
        kinds = {p.kind for p in posts}
        assert PostKind.ORIGINAL in kinds, "fixture data should hold an original post"

    def test_ids_are_strings(self, posts: list[Post]) -> None:
        assert all(isinstance(p.id, str) for p in posts)


def _optional_fixture(request: pytest.FixtureRequest, name: str) -> Any:
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        return None
