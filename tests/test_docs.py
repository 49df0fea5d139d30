"""Documentation that runs: hooks are documented and tested, the tutorial's code works."""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tweetgen import SourceError
from tweetgen.plugins import get_plugin_manager, hookspecs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: Every hook spec (marked with the hookspec marker, whatever its name).
HOOKS = sorted(
    name
    for name, fn in vars(hookspecs).items()
    if hasattr(fn, f"{hookspecs.hookspec.project_name}_spec")
)


def test_there_are_hooks() -> None:
    assert HOOKS == [
        "register_filters",
        "register_publishers",
        "register_sources",
        "register_trainers",
    ]


def hook_signature(hook: Callable[..., Any]) -> str:
    """``def register_sources(register: Callable[[type[Any]], None]) -> None: ...``"""
    return f"def {hook.__name__}{inspect.signature(hook)}: ...".replace("'", "")


def hook_problems(hook: Callable[..., Any], docs: str, tests: str) -> list[str]:
    """What docs/plugins.md and the tests lack for ``hook`` (datasette's rule: both, always)."""
    problems = []
    params = ", ".join(inspect.signature(hook).parameters)
    if f"### {hook.__name__}({params})" not in docs:
        problems.append(f"docs/plugins.md has no heading '### {hook.__name__}({params})'")
    if hook_signature(hook) not in docs:
        problems.append(f"docs/plugins.md does not show the signature {hook_signature(hook)}")
    if f"def test_hook_{hook.__name__}(" not in tests:
        problems.append(f"no test named test_hook_{hook.__name__}")
    return problems


def _plugin_docs() -> str:
    return (DOCS / "plugins.md").read_text()


def _all_tests() -> str:
    return "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_its_exact_signature_and_tested(hook: str) -> None:
    problems = hook_problems(getattr(hookspecs, hook), _plugin_docs(), _all_tests())
    assert not problems, "\n".join(problems)


def test_an_undocumented_untested_hook_is_caught() -> None:
    def register_widgets(register: Callable[[type[Any]], None], *, strict: bool) -> None:
        """A hook nobody documented or tested."""

    assert hook_problems(register_widgets, _plugin_docs(), _all_tests()) == [
        "docs/plugins.md has no heading '### register_widgets(register, strict)'",
        "docs/plugins.md does not show the signature "
        "def register_widgets(register: Callable[[type[Any]], None], *, strict: bool) -> None: ...",
        "no test named test_hook_register_widgets",
    ]


def test_docs_nav_lists_every_page() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {p.name for p in DOCS.glob("*.md")}
    missing = [p for p in pages if p not in nav]
    assert not missing, f"pages missing from mkdocs.yml nav: {missing}"


def _page_files(page: str) -> dict[str, str]:
    """The ``<!-- file: NAME -->`` code blocks of a docs page, by file name."""
    text = (DOCS / page).read_text()
    pattern = re.compile(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", re.S)
    return {name: body for name, body in pattern.findall(text)}


def _tutorial_files() -> dict[str, str]:
    return _page_files("tutorial-plugin.md")


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
        from tweetgen.corpus.corpus import Corpus

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

    result = _pytest_in(tmp_path, "test_fortune.py")
    assert result.returncode == 0, result.stdout + result.stderr

    # the contract can fail: the same plugin with its hook misspelled does
    plugin_file = tmp_path / "tweetgen_fortune.py"
    plugin_file.write_text(
        files["tweetgen_fortune.py"].replace("register_sources", "register_source")
    )
    result = _pytest_in(tmp_path, "test_fortune.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "register_source is not a tweetgen hook" in result.stdout


def _pytest_in(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(folder), **(env or {})},
    )


def test_quickstart_python_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (DOCS / "quickstart.md").read_text()
    [code] = re.findall(r"```python\n(.*?)```", text, re.S)
    (tmp_path / "sample").symlink_to(ROOT / "sample")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "quickstart.md", "exec"), {})
    from tweetgen.corpus.corpus import Corpus

    saved = Corpus.load(tmp_path / "build" / "quickstart-corpus")
    table = dict(saved.report.table())
    assert table["downloaded"] > table["kept"] == len(saved) > 0


def test_testing_page_examples_pass_and_can_fail(tmp_path: Path) -> None:
    """The page's test files run as a plugin author would run them (pytest, outside the repo)."""
    files = _page_files("testing.md")
    assert set(files) == {"test_no_links.py", "test_fixtures.py"}
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    env_examples = {"TWEETGEN_HYPOTHESIS_EXAMPLES": "15"}
    result = _pytest_in(tmp_path, env=env_examples)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout, result.stdout  # 3 contract checks, 1 property, 2 fixtures
    # a filter that keeps link posts fails the page's own property
    broken = files["test_no_links.py"].replace("return None if", "return post if")
    (tmp_path / "test_no_links.py").write_text(broken)
    result = _pytest_in(tmp_path, "test_no_links.py", env=env_examples)
    assert result.returncode == 1, result.stdout + result.stderr


# option tables: generated from the declarations ---------------------------------------------

OPTION_BLOCK = re.compile(r"<!-- options: (\S+) -->\n(.*?)<!-- /options -->", re.S)


def _options_table(name: str) -> str:
    """A Markdown table of the options ``name`` declares (empty when it declares none)."""
    from tweetgen.plugins import describe

    [found] = [d for d in describe(name) if d.kind in ("source", "trainer")]
    assert found.options is not None, f"{name} declares no options"
    rows = ["| option | type | default | meaning |", "| --- | --- | --- | --- |"]
    for o in found.options:
        default = "" if o.default is None else f"`{o.default!r}`"
        meaning = o.help.replace("|", "\\|")
        rows.append(f"| `{o.name}` | {o.type_name} | {default} | {meaning} |")
    return "\n".join(rows) + "\n" if found.options else ""


def _option_blocks() -> dict[str, str]:
    return {
        name: body
        for page in sorted(DOCS.glob("*.md"))
        for name, body in OPTION_BLOCK.findall(page.read_text(encoding="utf-8"))
    }


def rewrite_option_tables() -> None:
    """``python tests/test_docs.py`` regenerates every option table in docs/."""
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        new = OPTION_BLOCK.sub(
            lambda m: f"<!-- options: {m[1]} -->\n{_options_table(m[1])}<!-- /options -->", text
        )
        if new != text:
            page.write_text(new, encoding="utf-8")


def test_option_tables_equal_the_declarations() -> None:
    blocks = _option_blocks()
    stale = [name for name, body in blocks.items() if body != _options_table(name)]
    assert not stale, f"option tables out of date (run python tests/test_docs.py): {stale}"


def test_every_source_and_trainer_declares_and_documents_its_options() -> None:
    from tweetgen.plugins import describe_all

    ours = [
        d
        for d in describe_all()
        if d.kind in ("source", "trainer") and d.distribution.startswith("tweetgen")
    ]
    assert {"x-archive", "jsonl", "csv", "full"} <= {d.name for d in ours}
    undeclared = [d.name for d in ours if d.options is None]
    assert not undeclared, f"no options declared: {undeclared}"
    blocks = _option_blocks()
    undocumented = [d.name for d in ours if d.options and d.name not in blocks]
    assert not undocumented, f"no <!-- options: NAME --> table in docs/: {undocumented}"


def test_a_stale_option_table_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from tweetgen.plugins.options import Option
    from tweetgen.sources.x_archive import XArchiveSource

    extra = Option("new_option", int, 1, "added without updating the docs")
    monkeypatch.setattr(XArchiveSource, "options", {**XArchiveSource.options, "new_option": extra})
    with pytest.raises(AssertionError, match=r"out of date.*x-archive"):
        test_option_tables_equal_the_declarations()


# the site: material, offline highlighting, strict, edit links on main -------------------------


def test_site_config() -> None:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *a: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)
    assert config["theme"]["name"] == "material"
    assert config["theme"]["font"] is False  # no Google Fonts: the site works offline
    assert config["strict"] is True
    assert config["edit_uri"].startswith("edit/main/")
    extensions = {
        (e if isinstance(e, str) else next(iter(e))): e for e in config["markdown_extensions"]
    }
    assert extensions["pymdownx.highlight"]["pymdownx.highlight"]["use_pygments"] is True
    assert any("mkdocstrings" in p for p in config["plugins"])  # a name, or {name: options}
    docs_rule = (ROOT / "Makefile").read_text().split("\ndocs:")[1].split("\n\n")[0]
    assert "--strict" in docs_rule and "--quiet" not in docs_rule
    assert "master" not in (ROOT / "mkdocs.yml").read_text()


def test_install_page_matches_the_project() -> None:
    tomllib = pytest.importorskip("tomllib")
    text = (DOCS / "install.md").read_text()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    section = text.split("## Extras")[1].split("## Plugins")[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    assert documented == set(extras), (documented, set(extras))
    for plugin in sorted((ROOT / "plugins").glob("*/pyproject.toml")):
        name = plugin.parent.name
        assert f"### {name}" in text and f"plugins/{name}" in text, f"{name} missing"
    assert "mkdocs-material" in " ".join(extras["dev"])
    assert any(d.startswith("mkdocstrings") for d in extras["dev"])


if __name__ == "__main__":
    rewrite_option_tables()


#: Pages whose code runs whole in the tests above (it imports the modules it writes).
RUN_WHOLE = {"tutorial-plugin.md", "testing.md", "quickstart.md"}


def _python_blocks() -> list[tuple[str, str]]:
    return [
        (page.name, body)
        for page in sorted(DOCS.glob("*.md"))
        if page.name not in RUN_WHOLE
        for body in re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    ]


def example_problems(blocks: list[tuple[str, str]]) -> list[str]:
    """Blocks that do not parse, or whose imports fail."""
    import ast

    problems = []
    for page, body in blocks:
        try:
            tree = ast.parse(body)
        except SyntaxError as exc:
            problems.append(f"{page}: {exc}")
            continue
        imports: list[ast.stmt] = [
            n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)
        ]
        try:
            exec(compile(ast.Module(body=imports, type_ignores=[]), page, "exec"), {})
        except ImportError as exc:
            problems.append(f"{page}: {exc}")
    return problems


def test_every_python_example_parses_and_its_imports_exist() -> None:
    """Examples that need the reader's own data run elsewhere; their imports must work here."""
    blocks = _python_blocks()
    assert len(blocks) >= 10
    problems = example_problems(blocks)
    assert not problems, "\n".join(problems)
    assert example_problems([("x.md", "from tweetgen import NoSuchName\n")]) != []
    assert example_problems([("x.md", "def broken(:\n")]) != []
