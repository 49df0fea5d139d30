"""The model card: the seed's sections, the data table's numbers, and no secrets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import ModelCard

from tweetgen.base.secrets import redact
from tweetgen.model.base import build_tiny_base
from tweetgen.model.card import render_card
from tweetgen.model.files import METADATA_FILE
from tweetgen.model.finish import CARD_FILE, finalize_model_dir, read_metadata
from tweetgen.training.testing import corpus_from_texts, synthetic_texts, tiny_config

SECRET = "hf_SuperSecretToken123"
SECTIONS = [
    "## How does it work?",
    "## Training data",
    "## Training procedure",
    "## How to use",
    "## Limitations and bias",
    "## Consent and disclosure",
]


def test_trained_model_card_has_every_section_in_order(trained_model: Path) -> None:
    card = (trained_model / CARD_FILE).read_text()
    positions = [card.index(s) for s in SECTIONS]
    assert positions == sorted(positions)
    data = ModelCard(card).data.to_dict()
    assert data["widget"] == [{"text": "My dream is"}] and "tweetgen" in data["tags"]
    assert data["license"] == "mit" and "gpt2" in data["tags"]  # the model's own type
    assert "base_model" not in data  # the tiny base is no hub model
    assert "pipeline('text-generation', model=" in card
    assert "own posts" in card and "consent" in card and "generated" in card


def test_data_table_numbers_come_from_the_corpus_report(trained_model: Path) -> None:
    meta = read_metadata(trained_model)
    assert meta is not None
    card = (trained_model / CARD_FILE).read_text()
    data = card.split("## Training data")[1].split("## ")[0]
    rows = dict(_rows(data))
    table = dict(meta["data"])
    assert rows == {  # synthetic posts: not from X, so "Posts"
        "Posts downloaded": f"{table['downloaded']:,}",
        "Reposts": f"{table['retweets']:,}",
        "Short posts": f"{table['short tweets']:,}",
        "Posts kept": f"{table['kept']:,}",
    }


def test_procedure_shows_base_hyperparameters_and_perplexities(trained_model: Path) -> None:
    meta = read_metadata(trained_model)
    assert meta is not None
    card = (trained_model / CARD_FILE).read_text()
    assert "small GPT-2 built from scratch" in card
    assert f"{meta['metrics']['perplexity_before']:.2f}" in card
    assert f"{meta['metrics']['perplexity_after']:.2f}" in card
    assert f"| learning_rate | `{meta['config']['learning_rate']}` |" in card
    assert f"| epochs | `{meta['config']['epochs']}` |" in card


def test_a_hub_base_is_named() -> None:
    card = render_card({"config": {"base_model": "gpt2", "epochs": 4}}, model_ref="me/model")
    assert "pre-trained `gpt2` model" in card and "model='me/model'" in card


def test_limitations_name_the_real_base() -> None:
    def limits(meta: dict[str, Any]) -> str:
        card = render_card(meta, model_ref="me/model")
        return card.split("## Limitations and bias")[1].split("## ")[0]

    assert "biases of its base model, `gpt2`," in limits({"config": {"base_model": "gpt2"}})
    gguf = {"config": {"base_model": "smollm2-135m"}, "base": {"hub_id": "HF/SmolLM2"}}
    assert "base model, `HF/SmolLM2`," in limits(gguf)
    tiny = limits({"config": {"base_model": "tiny"}})
    assert "biases of its training data;" in tiny and "GPT-2" not in tiny


def test_no_secrets_in_card_or_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", SECRET)
    monkeypatch.setenv("WANDB_API_KEY", SECRET)
    texts = synthetic_texts(40)
    path = build_tiny_base(texts, tmp_path / "m", vocab_size=300, n_layer=1, n_embd=32)
    config = tiny_config(path, extra={"hub_token": SECRET, "api_key": SECRET, "ok": 1}).to_dict()
    config["wandb_auth"] = SECRET
    finalize_model_dir(path, corpus=corpus_from_texts(texts), config=config, metrics={})
    for file in path.iterdir():
        if file.is_file():
            assert SECRET not in file.read_text(errors="replace"), file.name
    meta = read_metadata(path)
    assert meta is not None and meta["config"]["extra"] == {"ok": 1}
    assert (path / METADATA_FILE).is_file()


def test_redact_drops_credential_keys_at_any_depth() -> None:
    value = {"a": 1, "token": "x", "nested": [{"password": "p", "b": 2}], "API_KEY": "k"}
    assert redact(value) == {"a": 1, "nested": [{"b": 2}]}
    kept = {"max_tokens": 1, "author": "x", "keys_seen": 2, "monkey": 3}
    assert redact({**kept, "hub-token": "t", "wandb_auth": "a", "Secret": "s"}) == kept


def test_filters_are_listed_in_order() -> None:
    steps = [
        {"name": "drop-retweets", "reason": "retweets", "seen": 5, "dropped": 1, "changed": 0},
        {"name": "remove-urls", "reason": "urls", "seen": 4, "dropped": 0, "changed": 2},
    ]
    meta = {"report": {"downloaded": 5, "steps": steps}, "corpus": {"source": "jsonl"}}
    card = render_card(meta, model_ref="m")
    assert "in order: `drop-retweets`, `remove-urls`." in card and "`jsonl` source" in card
    assert "in order: none." in render_card({}, model_ref="m")


SEED_TABLE = [["downloaded", 2045], ["retweets", 239], ["short tweets", 138], ["kept", 1668]]


def _rows(card: str) -> list[tuple[str, str]]:
    return re.findall(r"^\| ([A-Z][\w ]+) \| ([\d,]+) \|$", card, re.M)


def test_x_sources_get_the_seed_wording_and_others_say_posts() -> None:
    x = render_card({"data": SEED_TABLE, "corpus": {"source": "x-archive"}}, model_ref="m")
    assert _rows(x) == [
        ("Tweets downloaded", "2,045"),
        ("Retweets", "239"),
        ("Short tweets", "138"),
        ("Tweets kept", "1,668"),
    ]
    other = render_card({"data": SEED_TABLE, "corpus": {"source": "mastodon"}}, model_ref="m")
    assert [label for label, _ in _rows(other)] == [
        "Posts downloaded",
        "Reposts",
        "Short posts",
        "Posts kept",
    ]


def test_widget_prompt_and_language_follow_the_account() -> None:
    for language, prompt in [("es", "Mi sueño es"), ("zh-CN", "我的梦想是"), ("ja", "私の夢は")]:
        card = render_card({"corpus": {"language": language}}, model_ref="m")
        data = ModelCard(card).data.to_dict()
        assert data["language"] == language.split("-")[0]
        assert data["widget"] == [{"text": prompt}]
        assert f"generator({prompt!r}" in card  # the usage snippet prompts in it too
    data = ModelCard(render_card({}, model_ref="m")).data.to_dict()
    assert "language" not in data and data["widget"] == [{"text": "My dream is"}]


def test_hub_base_model_license_and_overrides() -> None:
    meta = {"config": {"base_model": "gpt2"}, "base_model_on_hub": True}
    data = ModelCard(render_card(meta, model_ref="m")).data.to_dict()
    assert data["base_model"] == "gpt2" and data["license"] == "mit"
    local = {"config": {"base_model": "my/base"}, "base_model_on_hub": False}
    data = ModelCard(render_card(local, model_ref="m")).data.to_dict()
    assert "base_model" not in data and data["license"] == "other"
    card = {"license": "cc-by-4.0", "datasets": ["me/my-posts"]}
    chosen = {"config": {"base_model": "gpt2", "extra": {"card": card}}}
    data = ModelCard(render_card(chosen, model_ref="m")).data.to_dict()
    assert data["license"] == "cc-by-4.0" and data["datasets"] == ["me/my-posts"]


def test_online_runs_are_linked_and_offline_runs_are_not() -> None:
    links = {
        "run": "https://wandb.ai/me/tweetgen/runs/abc",
        "artifacts": "https://wandb.ai/me/tweetgen/runs/abc/artifacts",
        "model": "https://wandb.ai/me/tweetgen/artifacts/model/model",
        "posts": "https://wandb.ai/me/tweetgen/artifacts/dataset/training-posts",
    }
    card = render_card({"config": {"wandb": True}, "wandb": links}, model_ref="m")
    for url in links.values():
        assert f"]({url})" in card
    assert "`examples` table" in card
    offline = render_card({"config": {"wandb": True}}, model_ref="m")
    assert "https://" not in offline and "tracked offline" in offline


def _snippet(card: str) -> str:
    found = re.search(r"```python\n(.*?)```", card, re.S)
    assert found is not None
    return found.group(1)


def _run_python(code: str, cwd: Path) -> str:
    import os
    import subprocess
    import sys

    # a user's environment: without the quieting the CLI (run earlier in this process) sets
    quiet = (
        "TRANSFORMERS_VERBOSITY",
        "HF_HUB_DISABLE_PROGRESS_BARS",
        "TRANSFORMERS_NO_ADVISORY_WARNINGS",
    )
    env = {k: v for k, v in os.environ.items() if k not in quiet}
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_usage_snippet_runs_from_any_folder_without_warnings(
    trained_model: Path, tmp_path: Path
) -> None:
    code = _snippet((trained_model / CARD_FILE).read_text())
    assert str(trained_model) in code
    stderr = _run_python(code, cwd=tmp_path)  # a folder that is not the model's parent
    assert "warn" not in stderr.lower(), stderr
    # the check can fail: the old snippet's max_new_tokens next to the model's max_length
    old = code.replace("num_return_sequences=5", "num_return_sequences=5, max_new_tokens=40")
    assert "max_new_tokens" in old
    assert "max_length" in _run_python(old, cwd=tmp_path)


def test_every_file_of_the_model_has_the_usual_mode(trained_model: Path) -> None:
    modes = {f.name: f.stat().st_mode & 0o777 for f in trained_model.iterdir() if f.is_file()}
    assert modes["model.safetensors"] == modes["config.json"] == modes["README.md"]
    assert modes["model.safetensors"] & 0o044 == 0o044, oct(modes["model.safetensors"])
