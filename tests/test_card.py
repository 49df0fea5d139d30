"""The model card: the seed's sections, the data table's numbers, and no secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tweetgen.card import render_card, scrub
from tweetgen.export import CARD_FILE, METADATA_FILE, finalize_model_dir, read_metadata
from tweetgen.training.base_model import build_tiny_base
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
    front = card.split("---\n")[1]
    assert "widget:" in front and '- text: "My dream is"' in front and "- tweetgen" in front
    assert "pipeline('text-generation', model=" in card
    assert "own posts" in card and "consent" in card and "generated" in card


def test_data_table_numbers_come_from_the_corpus_report(trained_model: Path) -> None:
    meta = read_metadata(trained_model)
    assert meta is not None
    card = (trained_model / CARD_FILE).read_text()
    rows = dict(
        re.findall(
            r"^\| (Posts read|Retweets dropped|Short posts dropped|Posts kept) \| ([\d,]+) \|$",
            card,
            re.M,
        )
    )
    table = dict(meta["data"])
    assert rows == {
        "Posts read": f"{table['downloaded']:,}",
        "Retweets dropped": f"{table['retweets']:,}",
        "Short posts dropped": f"{table['short tweets']:,}",
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


def test_scrub_drops_credential_keys_at_any_depth() -> None:
    value = {"a": 1, "token": "x", "nested": [{"password": "p", "b": 2}], "API_KEY": "k"}
    assert scrub(value) == {"a": 1, "nested": [{"b": 2}]}
    kept = {"max_tokens": 1, "author": "x", "keys_seen": 2, "monkey": 3}
    assert scrub({**kept, "hub-token": "t", "wandb_auth": "a", "Secret": "s"}) == kept


def test_filters_are_listed_in_order() -> None:
    steps = [
        {"name": "drop-retweets", "reason": "retweets", "seen": 5, "dropped": 1, "changed": 0},
        {"name": "remove-urls", "reason": "urls", "seen": 4, "dropped": 0, "changed": 2},
    ]
    meta = {"report": {"downloaded": 5, "steps": steps}, "corpus": {"source": "jsonl"}}
    card = render_card(meta, model_ref="m")
    assert "in order: `drop-retweets`, `remove-urls`." in card and "`jsonl` source" in card
    assert "in order: none." in render_card({}, model_ref="m")
