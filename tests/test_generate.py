"""Sampling: seeds, the 280-character cap, newline cuts, and the novelty filter."""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tweetgen.cli import main
from tweetgen.errors import GenerationError, MissingDependencyError
from tweetgen.generation.generator import MAX_CHARS, Generator, cap_length, finish_text
from tweetgen.model.finish import NOVELTY_FILE
from tweetgen.model.novelty import NoveltyIndex, normalise

SHORT = 24  # tokens per sample: enough for a post of this grammar, quick to sample


@pytest.fixture(scope="module")
def generator(trained_model: Path) -> Generator:
    return Generator(trained_model, device="cpu")


# pure text handling ----------------------------------------------------------------------


def test_cap_length_cuts_on_a_word_boundary() -> None:
    text = "word " * 100
    capped = cap_length(text)
    assert len(capped) <= MAX_CHARS
    assert capped.endswith("word") and capped == capped.rstrip()
    assert cap_length("x" * 500) == "x" * MAX_CHARS  # no space: a hard cut
    assert cap_length("short one") == "short one"


def test_finish_text_cuts_at_the_first_newline_and_drops_control_characters() -> None:
    assert finish_text("My dream is", " to fly\nand more") == "My dream is to fly"
    assert finish_text("", " one\r\ntwo") == "one"
    assert finish_text("", " a\x00b\ufffd c") == "ab c"
    assert finish_text("", "a\nb", cut_at_newline=False) == "a\nb"
    assert finish_text("Prompt", "\nrest") == ""  # nothing written before the newline


# sampling --------------------------------------------------------------------------------


def test_same_seed_same_posts(generator: Generator) -> None:
    first = generator.generate("the cat", n=4, seed=7, novelty=False, max_new_tokens=SHORT)
    again = generator.generate("the cat", n=4, seed=7, novelty=False, max_new_tokens=SHORT)
    other = generator.generate("the cat", n=4, seed=8, novelty=False, max_new_tokens=SHORT)
    assert first.texts and first.texts == again.texts
    assert first.texts != other.texts
    assert all(t.startswith("the cat") for t in first.texts)


def test_seeded_sampling_leaves_the_global_rng_alone(generator: Generator) -> None:
    import torch

    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    generator.generate(n=1, seed=3, novelty=False, max_new_tokens=SHORT)
    assert torch.equal(torch.rand(1), expected)


def test_posts_never_exceed_280_characters(generator: Generator) -> None:
    # A long prompt and a hot sample that runs on for all its tokens: well past 280.
    prompt = "the old man sings to loud music every morning and nobody cares. " * 4
    result = generator.generate(
        prompt, n=3, seed=1, max_new_tokens=40, cut_at_newline=False, novelty=False, temperature=3.0
    )
    assert result.samples
    assert all(len(s.text) <= MAX_CHARS for s in result.samples)
    assert max(len(s.text) for s in result.samples) > MAX_CHARS - 30  # the cap did the cutting
    assert all(s.tokens <= 40 for s in result.samples)


def test_bad_settings_are_refused(generator: Generator) -> None:
    bad: list[dict[str, Any]] = [{"n": 0}, {"temperature": 0.0}, {"top_p": 1.5},
                                 {"max_new_tokens": 0}, {"temperature": float("nan")},
                                 {"top_p": float("nan")}, {"temperature": True}]  # fmt: skip
    for kwargs in bad:
        with pytest.raises(GenerationError):
            generator.generate(**kwargs)


def test_missing_model_directory(tmp_path: Path) -> None:
    with pytest.raises(GenerationError, match="no such model directory"):
        Generator(tmp_path / "nope")


def test_unknown_device_is_a_one_line_error(trained_model: Path) -> None:
    with pytest.raises(GenerationError, match=r"device must be one of .*got 'quantum'"):
        Generator(trained_model, device="quantum")
    result = CliRunner().invoke(main, ["generate", str(trained_model), "--device", "quantum"])
    assert result.exit_code == 1, result.output
    assert "device must be one of" in result.output and "Traceback" not in result.output


def _corrupt_copy(trained_model: Path, tmp_path: Path) -> Path:
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    (model / "model.safetensors").write_bytes(b"not a safetensors file at all")
    return model


def test_a_corrupt_safetensors_file_is_a_one_line_error(
    trained_model: Path, tmp_path: Path
) -> None:
    model = _corrupt_copy(trained_model, tmp_path)
    with pytest.raises(GenerationError, match="cannot load the model") as caught:
        Generator(model, device="cpu")
    assert str(model) in str(caught.value) and "\n" not in str(caught.value)
    result = CliRunner().invoke(main, ["generate", str(model)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "cannot load the model" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_loading_prints_nothing(trained_model: Path, capfd: pytest.CaptureFixture[str]) -> None:
    Generator(trained_model, device="cpu")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_a_short_max_new_tokens_gives_no_length_warning(generator: Generator) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = generator.generate(n=2, seed=0, max_new_tokens=2, novelty=False)
    assert all(s.tokens <= 2 for s in result.samples)


def test_adapter_directory_needs_peft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "x"}))
    monkeypatch.setitem(sys.modules, "peft", None)  # importing peft now fails
    with pytest.raises((MissingDependencyError, GenerationError)):
        Generator(tmp_path)


def test_a_lora_adapter_directory_loads_with_its_base_inside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    peft = pytest.importorskip("peft")
    from tweetgen.model.base import build_tiny_base
    from tweetgen.training.testing import synthetic_texts

    adapter = tmp_path / "adapter"
    base_dir = build_tiny_base(
        synthetic_texts(50), adapter / "base", vocab_size=300, n_layer=1, n_embd=32
    )
    from transformers import AutoModelForCausalLM, AutoTokenizer

    lora = peft.get_peft_model(
        AutoModelForCausalLM.from_pretrained(base_dir),
        peft.LoraConfig(r=2, target_modules=["c_attn"], task_type="CAUSAL_LM"),
    )
    lora.peft_config["default"].base_model_name_or_path = "base"  # relative to the adapter
    lora.save_pretrained(adapter, save_embedding_layers=False)
    AutoTokenizer.from_pretrained(base_dir).save_pretrained(adapter)
    monkeypatch.chdir(tmp_path.parent)  # "base" must not be looked up in the working directory
    generator = Generator(adapter, device="cpu")
    assert generator.is_adapter
    result = generator.generate("the cat", n=2, seed=0, max_new_tokens=6, novelty=False)
    assert result.drawn == 2


# novelty ---------------------------------------------------------------------------------


def test_novelty_filter_drops_a_planted_copy(trained_model: Path, tmp_path: Path) -> None:
    model = shutil.copytree(trained_model, tmp_path / "model")
    plain = Generator(model, device="cpu").generate(
        n=4, seed=11, novelty=False, max_new_tokens=SHORT
    )
    planted = plain.texts[1]
    index = NoveltyIndex.build(["something else entirely", planted.upper() + "!!"])
    (model / NOVELTY_FILE).write_text(json.dumps(index.to_dict()))

    filtered = Generator(model, device="cpu").generate(n=4, seed=11, max_new_tokens=SHORT)
    assert filtered.novelty_checked
    assert filtered.dropped_copies >= 1
    assert planted not in filtered.texts
    assert len(filtered.samples) == 4  # more were drawn to replace the copy

    kept = Generator(model, device="cpu").generate(
        n=4, seed=11, novelty=False, max_new_tokens=SHORT
    )
    assert [s.novel for s in kept.samples if s.text == planted] == [False]


def test_too_many_copies_stop_at_the_cap(
    trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = shutil.copytree(trained_model, tmp_path / "model")
    monkeypatch.setattr(NoveltyIndex, "is_copy", lambda self, text: True)
    result = Generator(model, device="cpu").generate(n=2, seed=0, max_new_tokens=SHORT)
    assert result.samples == []
    assert result.drawn == 10  # 5 draws per requested sample, then it gives up
    assert result.dropped_copies + result.dropped_empty == 10


def test_normalise_ignores_case_punctuation_links_and_mentions() -> None:
    assert normalise("Hello,   WORLD!! https://t.co/x @bob ok") == ["hello", "world", "ok"]


@pytest.mark.parametrize(
    ("sample", "reason"),
    [
        ("The cat likes THE MOON today", "exact"),
        ("the cat likes the moon today!!!", "exact"),
        ("well, the cat likes the moon today and then some", "contains a post"),
        ("so one two three four five six seven eight nine", "long run"),
        ("the cat likes the sun today", None),
        ("one two three four five six seven", None),  # 7 shared words: under the 8-word run
    ],
)
def test_copy_rule(sample: str, reason: str | None) -> None:
    index = NoveltyIndex.build(
        ["the cat likes the moon today.", "zero one two three four five six seven eight end"]
    )
    assert index.copy_reason(sample) == reason


def test_index_round_trips_and_holds_no_text() -> None:
    index = NoveltyIndex.build(["a secretive phrase about pineapples on mars"] * 2)
    data = index.to_dict()
    assert "pineapples" not in json.dumps(data)
    again = NoveltyIndex.from_dict(json.loads(json.dumps(data)))
    assert again == index and len(again) == 1
    assert again.is_copy("A secretive phrase about pineapples on Mars")
    with pytest.raises(GenerationError):
        NoveltyIndex.from_dict({**data, "posts": "not base64!"})


# the decode loop of generate_batch -------------------------------------------------------


def _forward_rows(generator: Generator, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rows of each decode step's forward call (prefill calls, which pass ``logits_to_keep``,
    are left out)."""
    rows: list[int] = []
    forward = generator.model.forward

    def counting(*args: Any, **kwargs: Any) -> Any:
        if "logits_to_keep" not in kwargs:
            rows.append(int(kwargs["input_ids"].shape[0]))
        return forward(*args, **kwargs)

    monkeypatch.setattr(generator.model, "forward", counting)
    return rows


def _draw_many(generator: Generator) -> None:
    generator.generate(n=16, seed=5, novelty=False, max_new_tokens=SHORT, batch_size=64)


def test_finished_rows_leave_the_batch(
    generator: Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _forward_rows(generator, monkeypatch)
    _draw_many(generator)
    assert rows[0] == 20  # 16 posts and 25% spare rows
    assert rows == sorted(rows, reverse=True) and rows[-1] < rows[0]
    assert sum(rows) < 0.85 * rows[0] * len(rows)  # what it would cost if nobody left


def test_guard_rows_that_never_leave_cost_every_step(
    generator: Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The measure above can fail: with compaction off, every step reads every row."""
    import tweetgen.generation.rows as rows_module

    monkeypatch.setattr(rows_module, "COMPACT_SHARE", 2.0)
    rows = _forward_rows(generator, monkeypatch)
    _draw_many(generator)
    assert sum(rows) == rows[0] * len(rows)


def _scores(seed: int, rows: int = 4, vocab: int = 300) -> Any:
    import torch

    return torch.randn(rows, vocab, generator=torch.Generator().manual_seed(seed)) * 3


@pytest.mark.parametrize(
    ("temperature", "top_k", "top_p"),
    [(1.0, 50, 0.95), (0.7, 20, 0.5), (1.5, 0, 0.9), (1.0, 8, 1.0)],
)
def test_row_sampling_keeps_the_tokens_transformers_keeps(
    generator: Generator, temperature: float, top_k: int, top_p: float
) -> None:
    import copy

    import torch
    from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

    from tweetgen.generation.rows import RowSampling
    from tweetgen.generation.samples import SampleRequest

    gen = copy.copy(generator)
    gen.generation_config = copy.deepcopy(generator.generation_config)
    gen.generation_config.top_k = top_k
    scores = _scores(top_k)
    requests = [SampleRequest("", 1, None, temperature, top_p, True, False)] * scores.shape[0]
    sampling = RowSampling(gen, requests, [1] * scores.shape[0])
    values, candidates = sampling.candidates(torch.zeros(4, 1, dtype=torch.long), scores, 9)
    ids = torch.zeros(4, 1, dtype=torch.long)
    expected = TemperatureLogitsWarper(temperature)(ids, scores)
    if top_k:
        expected = TopKLogitsWarper(top_k)(ids, expected)
    expected = TopPLogitsWarper(top_p)(ids, expected)
    for row in range(scores.shape[0]):
        ours = set(candidates[row][values[row].isfinite()].tolist())
        theirs = set(expected[row].isfinite().nonzero().flatten().tolist())
        assert ours == theirs and ours


def test_the_models_own_ngram_ban_applies(generator: Generator) -> None:
    import copy

    import torch

    from tweetgen.generation.rows import RowSampling
    from tweetgen.generation.samples import SampleRequest

    scores = _scores(1, rows=1)
    best = int(scores.argmax())
    ids = torch.tensor([[best]])
    requests = [SampleRequest("", 1, None, 1.0, 1.0, True, False)]
    plain = RowSampling(generator, requests, [1])
    gen = copy.copy(generator)
    gen.generation_config = copy.deepcopy(generator.generation_config)
    gen.generation_config.no_repeat_ngram_size = 1
    banned = RowSampling(gen, requests, [1])

    def kept(sampling: RowSampling) -> set[int]:
        values, candidates = sampling.candidates(ids, scores.clone(), 3)
        return set(candidates[0][values[0].isfinite()].tolist())

    assert best in kept(plain)  # the guard: without the ban the best token is a candidate
    assert best not in kept(banned)


BUDGET = 24  # tokens of each row in the joining tests


def _greedy(generator: Generator, monkeypatch: pytest.MonkeyPatch) -> None:
    """One candidate per step, and no end of text before the budget: the same rows write the
    same tokens in any batch, and every row writes its whole budget."""
    monkeypatch.setattr(generator.generation_config, "top_k", 1)
    monkeypatch.setattr(generator.generation_config, "min_length", 100)


def _ask(prompt: str) -> Any:
    from tweetgen.generation.samples import SampleRequest

    return SampleRequest(prompt, 1, max_new_tokens=BUDGET, cut_at_newline=False, novelty=False)


def _scores_seen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every step's next-token scores, one row per row of the batch, as sampling sees them."""
    import tweetgen.generation.rows as rows_module

    seen: list[Any] = []
    draw = rows_module.RowSampling.draw

    def recording(self: Any, ids: Any, scores: Any, step: Any) -> Any:
        seen.append(scores.clone())
        return draw(self, ids, scores, step)

    monkeypatch.setattr(rows_module.RowSampling, "draw", recording)
    return seen


def _alone(generator: Generator, prompt: str, seen: list[Any]) -> Any:
    """The scores of ``prompt``'s row, step by step, written alone."""
    import torch

    seen.clear()
    generator.generate_batch([_ask(prompt)])
    return torch.cat(seen)


def _joined(generator: Generator, first: str, later: str, at_call: int, seen: list[Any]) -> Any:
    """The scores of each row, step by step, with ``later`` joining ``first`` at the
    ``at_call``-th step: (first's, later's)."""
    import torch

    calls: list[int] = []

    def joining(room: int) -> list[Any]:
        calls.append(room)
        return [_ask(later)] if len(calls) == at_call else []

    seen.clear()
    results = generator.generate_batch([_ask(first)], joining=joining)
    assert len(calls) >= at_call and len(results) == 2  # it did join, mid-batch
    assert all(len(r.samples) == 1 for r in results)
    # the newcomer is the last row from the step after the one that let it in
    firsts = torch.stack([s[0] for s in seen[:BUDGET]])
    return firsts, torch.stack([s[-1] for s in seen[at_call : at_call + BUDGET]])


LONG_PROMPT = "The world is a strange place and every morning I"


@pytest.mark.parametrize(
    ("first", "later", "at_call"),
    [
        ("My dream is", LONG_PROMPT, 1),  # the batch is padded for the newcomer
        (LONG_PROMPT, "My dream is", 4),  # the newcomer is padded for the batch
    ],
)
def test_a_request_that_joins_is_scored_as_it_would_be_alone(
    generator: Generator, monkeypatch: pytest.MonkeyPatch, first: str, later: str, at_call: int
) -> None:
    import torch

    _greedy(generator, monkeypatch)
    seen = _scores_seen(monkeypatch)
    alone = [_alone(generator, prompt, seen) for prompt in (first, later)]
    joined = _joined(generator, first, later, at_call, seen)
    for mine, solo in zip(joined, alone, strict=True):
        assert mine.shape == solo.shape  # every step of the row's budget, in both runs
        torch.testing.assert_close(mine, solo, atol=1e-4, rtol=1e-4)


def test_guard_a_joined_row_that_reads_padding_is_scored_otherwise(
    generator: Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison above can fail: a newcomer whose padding is not masked is scored
    otherwise."""
    import torch
    import torch.nn.functional as F

    import tweetgen.generation.rows as rows_module

    _greedy(generator, monkeypatch)
    seen = _scores_seen(monkeypatch)
    alone = _alone(generator, "My dream is", seen)
    pad_left = rows_module.Rows.pad_left

    def unmasked(self: Any, columns: int, pad: int) -> None:
        pad_left(self, columns, pad)
        if columns > 0:
            self.mask = F.pad(self.mask[:, columns:], (columns, 0), value=1)

    monkeypatch.setattr(rows_module.Rows, "pad_left", unmasked)
    joined = _joined(generator, LONG_PROMPT, "My dream is", 4, seen)[1]
    assert not torch.allclose(joined, alone, atol=1e-3)
