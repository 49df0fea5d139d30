"""The functions behind ``prepare`` and ``run``: filter specs, base models, early failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tweetgen import FilterError, NotEnoughDataError, PluginError, TrainingError, pipeline
from tweetgen.model import base as base_model


def test_filter_spec_values_may_hold_colons() -> None:
    f: Any = pipeline.parse_filter_spec("scrub-contacts:email=<at:home>:phone=[tel]")
    assert (f.email, f.phone) == ("<at:home>", "[tel]")
    langs: Any = pipeline.parse_filter_spec('keep-languages:languages=["en","de"]')
    assert sorted(langs.languages) == ["de", "en"]


def test_filter_spec_errors_are_typed() -> None:
    with pytest.raises(FilterError, match="bad option"):
        pipeline.parse_filter_spec("drop-short:oops")
    with pytest.raises(FilterError, match="known: by_script, min_words"):
        pipeline.parse_filter_spec("drop-short:bogus=1")
    with pytest.raises(PluginError, match="unknown filter"):
        pipeline.parse_filter_spec("no-such-filter")


@pytest.mark.parametrize("name", ["", "  ", "bad id!", "/nonexistent/model"])
def test_bad_base_model_names_are_one_line_errors(name: str) -> None:
    with pytest.raises(TrainingError):
        base_model.resolve_base_model(name)


def test_local_directory_and_tiny_pass_unchanged(tmp_path: Path) -> None:
    assert base_model.resolve_base_model(str(tmp_path)) == str(tmp_path)
    assert base_model.resolve_base_model("tiny") == "tiny"


def test_run_fails_before_writing_on_unknown_trainer_or_too_little_text(
    sample_archive: Path, tmp_path: Path
) -> None:
    from tweetgen.training.testing import tiny_config

    config = tiny_config(tmp_path / "m", max_steps=1)
    with pytest.raises(PluginError, match="unknown trainer 'nope'"):
        pipeline.run_chain("x-archive", str(sample_archive), tmp_path / "a", config=config,
                           trainer="nope")  # fmt: skip
    few = [pipeline.parse_filter_spec("max-length:max_chars=20")]
    with pytest.raises(NotEnoughDataError, match="characters"):
        pipeline.run_chain("x-archive", str(sample_archive), tmp_path / "b", config=config,
                           filters=few)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_library_is_imported_while_the_block_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The block runs at once (the import is in a thread); the module is there after it, and
    a module that fails to import leaves the error to the caller's own import."""
    import sys
    import time

    from tweetgen.pipeline import imported_meanwhile

    (tmp_path / "slow_library.py").write_text("import time\ntime.sleep(0.3)\nVALUE = 42\n")
    (tmp_path / "broken_library.py").write_text("raise RuntimeError('broken on import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    start = time.monotonic()
    with imported_meanwhile("slow_library"):
        entered = time.monotonic() - start
    assert entered < 0.3
    assert sys.modules["slow_library"].VALUE == 42
    with imported_meanwhile("broken_library"):
        pass
    assert "broken_library" not in sys.modules
    with pytest.raises(RuntimeError, match="broken on import"):
        __import__("broken_library")
    for name in ("slow_library", "broken_library"):
        sys.modules.pop(name, None)
