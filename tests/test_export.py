"""The model directory after training: generation defaults, metadata, novelty index."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tweetgen.errors import TrainingError
from tweetgen.model.base import build_tiny_base
from tweetgen.model.files import METADATA_FILE
from tweetgen.model.finish import (
    CARD_FILE,
    NOVELTY_FILE,
    finalize_model_dir,
    read_metadata,
    read_novelty,
)
from tweetgen.training.testing import corpus_from_texts, synthetic_texts, tiny_config

TEXTS = [*synthetic_texts(60), "a planted post about pineapple submarines and more"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained tiny model finalised with made-up metrics (no training: fast)."""
    path = build_tiny_base(
        TEXTS, tmp_path_factory.mktemp("export") / "m", vocab_size=300, n_layer=1, n_embd=32
    )
    (path / METADATA_FILE).write_text(json.dumps({"history": [{"step": 1.0}], "trainer": "x"}))
    config = tiny_config(Path("/home/someone/models/me"), extra={"note": "hi"})
    metrics = {"perplexity_before": 99.0, "perplexity_after": 12.5, "train_loss": math.nan}
    finalize_model_dir(path, corpus=corpus_from_texts(TEXTS), config=config, metrics=metrics)
    return path


def test_generation_config_has_the_seed_sampling_and_the_tokenizer_ids(model_dir: Path) -> None:
    from transformers import AutoTokenizer, GenerationConfig

    gen = GenerationConfig.from_pretrained(model_dir)
    eos = AutoTokenizer.from_pretrained(model_dir).eos_token_id
    # no min_length: the seed's 10 tokens made 6-15% of real posts' lengths unreachable
    assert (gen.do_sample, gen.top_p, gen.temperature) == (True, 0.95, 1.0)
    assert not gen.min_length
    assert gen.max_length == 160
    assert gen.eos_token_id == gen.bos_token_id == gen.pad_token_id == eos


def test_max_length_never_exceeds_the_model_positions(tmp_path: Path) -> None:
    from transformers import GenerationConfig

    path = build_tiny_base(
        TEXTS, tmp_path / "m", vocab_size=300, n_layer=1, n_embd=32, n_positions=64
    )
    finalize_model_dir(path, corpus=corpus_from_texts(TEXTS), config=tiny_config(path), metrics={})
    assert GenerationConfig.from_pretrained(path).max_length == 64


def test_metadata(model_dir: Path) -> None:
    meta = read_metadata(model_dir)
    assert meta is not None
    corpus = corpus_from_texts(TEXTS)
    assert meta["corpus"]["fingerprint"] == corpus.fingerprint()
    assert meta["corpus"]["posts"] == len(TEXTS) and meta["corpus"]["authors"] == ["tester"]
    assert meta["data"] == [[k, v] for k, v in corpus.report.table()]
    assert meta["config"]["base_model"] == "tiny" and meta["config"]["extra"] == {"note": "hi"}
    assert "out_dir" not in meta["config"] and "work_dir" not in meta["config"]
    assert meta["metrics"]["perplexity_after"] == 12.5
    assert meta["metrics"]["train_loss"] is None  # NaN is not JSON
    assert meta["tweetgen_version"]
    assert meta["history"] == [{"step": 1.0}] and meta["trainer"] == "x"  # trainer's record kept
    assert "/home/someone" not in (model_dir / METADATA_FILE).read_text()
    json.loads((model_dir / METADATA_FILE).read_text())  # strict JSON


def test_novelty_index_is_written_without_the_texts(model_dir: Path) -> None:
    index = read_novelty(model_dir)
    assert index is not None and len(index) == len(set(TEXTS))
    assert index.is_copy("A planted post about PINEAPPLE submarines, and more!")
    assert "pineapple" not in (model_dir / NOVELTY_FILE).read_text()


def test_the_card_is_written(model_dir: Path) -> None:
    card = (model_dir / CARD_FILE).read_text()
    assert card.startswith("---\n") and "## Training data" in card
    # the snippet names the model by its absolute path (it runs from any folder); the
    # metadata keeps no path, and `push` renders the card again with the hub id
    assert "model='/home/someone/models/me'" in card


def test_a_directory_without_tokenizer_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="tokenizer"):
        finalize_model_dir(
            tmp_path, corpus=corpus_from_texts(TEXTS), config=tiny_config(tmp_path), metrics={}
        )
    assert not (tmp_path / METADATA_FILE).exists()
