"""Documentation that runs: hooks are documented and tested, the tutorial's code works."""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tweetgen import SourceError, hookspecs
from tweetgen.plugins import get_plugin_manager

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HOOKS = [
    name
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("register_")
]


def test_there_are_hooks() -> None:
    assert HOOKS == ["register_filters", "register_sources", "register_trainers"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_its_signature(hook: str) -> None:
    text = (DOCS / "plugins.md").read_text()
    params = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert f"### {hook}({params})" in text, f"docs/plugins.md lacks a heading for {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook: str) -> None:
    tests = "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))
    assert f"def test_hook_{hook}(" in tests, f"no test named test_hook_{hook}"


def test_docs_nav_lists_every_page() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {p.name for p in DOCS.glob("*.md")}
    missing = [p for p in pages if p not in nav]
    assert not missing, f"pages missing from mkdocs.yml nav: {missing}"


def _tutorial_files() -> dict[str, str]:
    text = (DOCS / "tutorial-plugin.md").read_text()
    pattern = re.compile(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", re.S)
    return {name: body for name, body in pattern.findall(text)}


def test_tutorial_plugin_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _tutorial_files()
    assert set(files) == {"tweetgen_fortune.py", "pyproject.toml", "test_fortune.py"}
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads(files["pyproject.toml"])
    assert project["project"]["entry-points"]["tweetgen"] == {"fortune": "tweetgen_fortune"}

    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.util.spec_from_file_location(
        "tweetgen_fortune", tmp_path / "tweetgen_fortune.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pm = get_plugin_manager()
    pm.register(module, name="tweetgen_fortune")
    try:
        from tweetgen.corpus import Corpus

        fortunes = tmp_path / "wisdom"
        fortunes.write_text("A penny saved is a penny earned.\n%\nLook before you leap.\n%\n")
        corpus = Corpus.from_source("fortune", str(fortunes))
        assert [p.text for p in corpus] == [
            "A penny saved is a penny earned.",
            "Look before you leap.",
        ]
        assert {p.author for p in corpus} == {"wisdom"}
        assert {p.author for p in Corpus.from_source("fortune", str(fortunes), author="me")} == {
            "me"
        }
        with pytest.raises(SourceError, match=r"unknown option.*autor.*did you mean author"):
            Corpus.from_source("fortune", str(fortunes), autor="me")
    finally:
        pm.unregister(module)

    result = _pytest_in(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    # the contract can fail: the same plugin with its hook misspelled does
    plugin_file = tmp_path / "tweetgen_fortune.py"
    plugin_file.write_text(
        files["tweetgen_fortune.py"].replace("register_sources", "register_source")
    )
    result = _pytest_in(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "register_source is not a tweetgen hook" in result.stdout


def _pytest_in(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_fortune.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(folder)},
    )


def test_quickstart_python_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (DOCS / "quickstart.md").read_text()
    [code] = re.findall(r"```python\n(.*?)```", text, re.S)
    (tmp_path / "sample").symlink_to(ROOT / "sample")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "quickstart.md", "exec"), {})
    from tweetgen.corpus import Corpus

    saved = Corpus.load(tmp_path / "build" / "quickstart-corpus")
    table = dict(saved.report.table())
    assert table["downloaded"] > table["kept"] == len(saved) > 0
