"""Any causal LM as a base: tiny GPT-2, Llama, Qwen2 and GPT-NeoX models built here (random
weights, a BPE trained on the posts), fine-tuned, then loaded by tweetgen and by pipeline()."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tweetgen.corpus.corpus import Corpus  # noqa: E402
from tweetgen.generation.generator import Generator  # noqa: E402
from tweetgen.training.config import TrainConfig  # noqa: E402
from tweetgen.training.data import tokenize_corpus  # noqa: E402
from tweetgen.training.testing import (  # noqa: E402
    ARCHITECTURES,
    build_arch_base,
    corpus_from_texts,
    synthetic_texts,
)
from tweetgen.training.trainer import (  # noqa: E402
    MIN_FINE_TUNE_ROWS,
    MIN_STEPS_PER_EPOCH,
    TRAINING_LOG,
    Trainer,
)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return corpus_from_texts(synthetic_texts(200))


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bases")
    return {kind: build_arch_base(kind, corpus.texts, root / kind) for kind in ARCHITECTURES}


def small_run(base: Path, out: Path, **overrides: Any) -> TrainConfig:
    settings = {
        "base_model": str(base),
        "out_dir": out,
        "max_steps": 3,
        "batch_tokens": 256,
        "block_size": 64,
        "warmup": 0.0,
        "learning_rate": 1e-3,
        "device": "cpu",
        "threads": 1,
        "seed": 0,
        "log_every": 1,
    }
    return TrainConfig.from_settings(settings | overrides)


def test_the_tokenizers_have_the_habits_of_their_families(bases: dict[str, Path]) -> None:
    llama = transformers.AutoTokenizer.from_pretrained(bases["llama"])
    assert llama("the cat")["input_ids"][0] == llama.bos_token_id != llama.eos_token_id
    assert llama.pad_token is None and llama.chat_template
    qwen = transformers.AutoTokenizer.from_pretrained(bases["qwen2"])
    assert qwen.bos_token is None and qwen.chat_template
    for kind in ("gpt2", "llama", "gpt_neox"):
        assert transformers.AutoTokenizer.from_pretrained(bases[kind]).pad_token is None


@pytest.mark.parametrize("kind", ARCHITECTURES)
def test_posts_are_framed_by_the_end_of_text_token_only(kind: str, bases: dict[str, Path]) -> None:
    """No BOS, no chat markup: ``eos text eos``, the text encoded as plain text."""
    tok = transformers.AutoTokenizer.from_pretrained(bases[kind])
    texts = ["the cat likes the moon", "a robot sings to loud music lol"]
    tokens = tokenize_corpus(texts, tok)
    eos = tok.eos_token_id
    for i, text in enumerate(texts):
        ids = tokens.ids[tokens.offsets[i] : tokens.offsets[i + 1]].tolist()
        assert ids == [eos, *tok(text, add_special_tokens=False)["input_ids"], eos]
        assert tok.bos_token_id is None or tok.bos_token_id == eos or tok.bos_token_id not in ids


@pytest.mark.parametrize("kind", ARCHITECTURES)
def test_full_fine_tune_of_each_architecture(
    kind: str, bases: dict[str, Path], corpus: Corpus, tmp_path: Path
) -> None:
    result = Trainer(small_run(bases[kind], tmp_path / "m")).train(corpus)
    assert result.metrics["perplexity_after"] < result.metrics["perplexity_before"]
    model_dir = result.path
    # tweetgen's generator: starts from the token every post began with, not the BOS
    generator = Generator(model_dir, device="cpu")
    eos = generator.tokenizer.eos_token_id
    assert generator.encode_rows([""])[0].tolist() == [[eos]]
    assert generator.generation_config.bos_token_id == eos
    out = generator.generate(n=2, seed=0, max_new_tokens=6, novelty=False)
    assert out.drawn == 2
    # and transformers alone, unchanged
    pipe = transformers.pipeline("text-generation", model=str(model_dir), device="cpu")
    text = pipe("the cat", max_new_tokens=4, do_sample=False)[0]["generated_text"]
    assert text.startswith("the cat")
    reloaded = transformers.AutoModelForCausalLM.from_pretrained(model_dir)
    assert reloaded.config.model_type == kind


def test_the_training_log_has_the_documented_format(
    bases: dict[str, Path], corpus: Corpus, tmp_path: Path
) -> None:
    import json

    result = Trainer(small_run(bases["llama"], tmp_path / "m", log_every=2)).train(corpus)
    lines = (result.path / TRAINING_LOG).read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    steps = [e for e in entries if "loss" in e]
    evals = [e for e in entries if "eval_loss" in e]
    assert [e["step"] for e in steps] == [2, 3]  # every log_every steps, and the last
    assert [e["step"] for e in evals] == [0, 3]  # before training, and at the end
    for e in steps:
        assert set(e) == {"step", "epoch", "tokens", "loss", "lr"}
        assert isinstance(e["step"], int) and isinstance(e["tokens"], int)
        assert all(isinstance(e[k], float) for k in ("epoch", "loss", "lr"))
    assert steps[0]["tokens"] < steps[1]["tokens"]  # counted from the start of the run
    for e in evals:
        assert set(e) == {"step", "epoch", "eval_loss"}
    assert evals[-1]["eval_loss"] == pytest.approx(result.metrics["eval_loss"])
    assert TRAINING_LOG in [p.name for p in result.path.iterdir()]
    from huggingface_hub.utils import filter_repo_objects

    from tweetgen.model.hub import IGNORE_PATTERNS

    assert list(filter_repo_objects([TRAINING_LOG], ignore_patterns=IGNORE_PATTERNS)) == [
        TRAINING_LOG
    ]  # pushed with the model


def _changed(before: dict[str, Any], after: Any) -> set[str]:
    state = after.state_dict()
    return {name for name, value in before.items() if not torch.equal(value, state[name])}


@pytest.mark.parametrize("kind", ["gpt2", "llama", "gpt_neox"])
def test_train_layers_trains_only_the_top_blocks(
    kind: str, bases: dict[str, Path], corpus: Corpus, tmp_path: Path
) -> None:
    """The lower blocks and every embedding (input, positions, output layer) keep the base's
    weights; the top block and the final norm train; the saved model is whole."""
    before = {
        k: v.clone()
        for k, v in transformers.AutoModelForCausalLM.from_pretrained(bases[kind])
        .state_dict()
        .items()
    }
    result = Trainer(small_run(bases[kind], tmp_path / "m", train_layers=1)).train(corpus)
    assert result.config.train_layers == 1  # of 2 blocks, recorded
    after = transformers.AutoModelForCausalLM.from_pretrained(result.path)
    changed = _changed(before, after)
    top = {".1.", "layers.1.", "h.1."}
    assert changed and all(any(t in name for t in top) or "norm" in name or "ln_f" in name
                           for name in changed)  # fmt: skip
    assert any(".0." in name for name in before) and not any(".0." in n for n in changed)
    assert result.metrics["perplexity_after"] < result.metrics["perplexity_before"]


def test_every_block_and_the_embeddings_train_by_default(
    bases: dict[str, Path], corpus: Corpus, tmp_path: Path
) -> None:
    """The guard of the test above: with `train_layers` unset, the
    lower block and the embeddings change too (so "unchanged" above is not a broken setup)."""
    base = transformers.AutoModelForCausalLM.from_pretrained(bases["llama"])
    before = {k: v.clone() for k, v in base.state_dict().items()}
    result = Trainer(small_run(bases["llama"], tmp_path / "m")).train(corpus)
    assert result.config.train_layers == 2
    changed = _changed(before, transformers.AutoModelForCausalLM.from_pretrained(result.path))
    assert "model.embed_tokens.weight" in changed
    assert any("layers.0." in name for name in changed)


def test_a_pretrained_base_takes_steps_of_at_least_four_blocks(
    bases: dict[str, Path], corpus: Corpus, tmp_path: Path
) -> None:
    """A small corpus gets small steps, but a pretrained base at least MIN_FINE_TUNE_ROWS
    blocks a step (``batch_tokens`` unset: the trainer's choice, recorded in the config)."""
    config = small_run(bases["gpt2"], tmp_path / "m", batch_tokens=None, max_steps=None)
    result = Trainer(config.replace(epochs=1)).train(corpus)
    assert result.config.batch_tokens == MIN_FINE_TUNE_ROWS * 64 == 256
    # guard: the small-corpus rule alone would have chosen smaller steps, at least 16 an epoch;
    # the floor made fewer, larger ones
    assert 0 < result.metrics["steps"] < MIN_STEPS_PER_EPOCH


def test_a_chat_model_frames_posts_with_its_document_separator(
    bases: dict[str, Path], corpus: Corpus, tmp_path: Path
) -> None:
    """A chat model's EOS (``<|im_end|>``) ends a turn; ``<|endoftext|>``, where the vocabulary
    has it, frames the posts instead, and the saved model starts and stops generation there."""
    import shutil

    from tweetgen.training.loading import use_document_token

    chat = tmp_path / "chat"
    shutil.copytree(bases["qwen2"], chat)
    tok = transformers.AutoTokenizer.from_pretrained(chat)
    tok.eos_token = "<|im_end|>"  # as SmolLM2-Instruct's tokenizer has it
    tok.save_pretrained(chat)
    result = Trainer(small_run(chat, tmp_path / "m")).train(corpus)
    saved = transformers.AutoTokenizer.from_pretrained(result.path)
    assert saved.eos_token == "<|endoftext|>"
    generator = Generator(result.path, device="cpu")
    start = saved.convert_tokens_to_ids("<|endoftext|>")
    assert generator.encode_rows([""])[0].tolist() == [[start]]
    assert generator.generation_config.eos_token_id == start
    # tweetgen eval scores the base with the fine-tune's framing: the trainer's loss before
    from tweetgen.evaluation import evaluate

    report = evaluate(result.path, corpus, samples=0, device="cpu")
    assert report.base is not None and report.base.held_out is not None
    before = result.metrics["eval_loss_before"]
    assert report.base.held_out.loss == pytest.approx(before, rel=1e-4)
    # the guard: a vocabulary without the token keeps its own EOS (Llama's </s>)
    llama = transformers.AutoTokenizer.from_pretrained(bases["llama"])
    assert use_document_token(llama).eos_token == "</s>"
    assert use_document_token(transformers.AutoTokenizer.from_pretrained(chat)).eos_token == (
        "<|endoftext|>"
    )


def _starts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The first token of every row any Generator writes from now on."""
    starts: list[int] = []
    encode_rows = Generator.encode_rows

    def recording(self: Generator, prompts: list[str]) -> Any:
        ids, mask = encode_rows(self, prompts)
        starts.extend(ids[:, 0].tolist())
        return ids, mask

    monkeypatch.setattr(Generator, "encode_rows", recording)
    return starts


def _chat_fine_tune(bases: dict[str, Path], corpus: Corpus, tmp_path: Path) -> tuple[Path, int]:
    """A model fine-tuned from a chat-style base (EOS ``<|im_end|>``), and its framing token."""
    import shutil

    chat = tmp_path / "chat"
    shutil.copytree(bases["qwen2"], chat)
    tok = transformers.AutoTokenizer.from_pretrained(chat)
    tok.eos_token = "<|im_end|>"
    tok.save_pretrained(chat)
    result = Trainer(small_run(chat, tmp_path / "m")).train(corpus)
    return result.path, int(tok.convert_tokens_to_ids("<|endoftext|>"))


def test_eval_samples_the_chat_base_from_the_fine_tunes_framing(
    bases: dict[str, Path], corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tweetgen.evaluation import evaluate

    model, frame = _chat_fine_tune(bases, corpus, tmp_path)
    starts = _starts(monkeypatch)
    report = evaluate(model, corpus, samples=2, device="cpu")
    assert report.base is not None and report.base.samples is not None
    assert starts and set(starts) == {frame}  # the fine-tune's rows and the base's


def test_guard_a_base_left_alone_starts_from_its_own_end_token(
    bases: dict[str, Path], corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above can fail: without the reframing the base starts after ``<|im_end|>``."""
    import importlib

    evaluate_module = importlib.import_module("tweetgen.evaluation.evaluate")
    model, frame = _chat_fine_tune(bases, corpus, tmp_path)
    monkeypatch.setattr(evaluate_module, "start_from_frame", lambda generator, frame: None)
    starts = _starts(monkeypatch)
    evaluate_module.evaluate(model, corpus, samples=2, device="cpu")
    assert frame in starts and len(set(starts)) == 2
