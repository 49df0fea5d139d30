"""A trained directory is an ordinary transformers model: pipeline() and the card's snippet work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tweetgen.model.finish import CARD_FILE


def test_transformers_pipeline_loads_and_samples(trained_model: Path) -> None:
    from transformers import pipeline, set_seed

    generator = pipeline("text-generation", model=str(trained_model), device="cpu")
    set_seed(0)
    out = generator("the cat", num_return_sequences=2, max_new_tokens=8)
    assert len(out) == 2
    assert all(o["generated_text"].startswith("the cat") for o in out)


def test_the_cards_usage_snippet_runs(
    trained_model: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    card = (trained_model / CARD_FILE).read_text()
    snippet = re.search(r"```python\n(.*?)```", card, re.S)
    assert snippet is not None
    code = snippet.group(1).replace("max_new_tokens=40", "max_new_tokens=4")
    monkeypatch.chdir(trained_model.parent)  # the snippet names the directory as trained
    exec(compile(code, "card-snippet", "exec"), {})
    assert "My dream is" in capsys.readouterr().out
