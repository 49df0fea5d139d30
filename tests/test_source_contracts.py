"""Meta-test: every installed source, built-in or plugin, runs the shared contract tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tweetgen

ROOT = Path(__file__).resolve().parents[1]
_CONTRACT_CLASS = re.compile(
    r"class \w+\(SourceContract\):.*?def source_name\(.*?\).*?return \"([\w-]+)\"", re.S
)


def _contract_names() -> set[str]:
    files = [*ROOT.glob("tests/test_*.py"), *ROOT.glob("plugins/*/tests/test_*.py")]
    return {name for f in files for name in _CONTRACT_CLASS.findall(f.read_text())}


@pytest.mark.parametrize("source", sorted(tweetgen.get_sources()))
def test_every_source_has_contract_tests(source: str) -> None:
    assert source in _contract_names(), f"no SourceContract test class for source {source!r}"


def test_the_five_plugin_sources_and_trainer_are_installed() -> None:
    """The README's set-up installs every plugin under plugins/; `tweetgen plugins` shows them."""
    infos = {i.distribution: i for i in tweetgen.list_plugins() if not i.builtin}
    expected = {
        p.name: re.search(r'^version = "(.+)"', (p / "pyproject.toml").read_text(), re.M)
        for p in ROOT.glob("plugins/*")
        if (p / "pyproject.toml").is_file()
    }
    assert set(expected) <= set(infos), f"not installed: {set(expected) - set(infos)}"
    for name, match in expected.items():
        assert match and infos[name].version == match.group(1), name
