"""The LoRA trainer on tiny models: CPU, offline, seconds."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from safetensors.torch import load_file  # noqa: E402
from tweetgen_lora import LoraSettings, LoraTrainer, load_adapter, register_trainers  # noqa: E402
from tweetgen_lora.trainer import LoraFineTune  # noqa: E402

from tweetgen import Trainer, TrainingError  # noqa: E402
from tweetgen.model.base import load_causal_lm  # noqa: E402
from tweetgen.training.testing import corpus_from_texts, synthetic_texts, tiny_config  # noqa: E402

PROBE = "the cat likes the moon today."


class CapturingFineTune(LoraFineTune):
    """Keeps the in-memory model it saves, to compare with what loads back."""

    def save(self, model: Any, tokenizer: Any, path: Path) -> None:
        self.saved, self.tokenizer = model, tokenizer
        super().save(model, tokenizer, path)


class CapturingTrainer(LoraTrainer):
    method_class = CapturingFineTune

    def __init__(self, config: Any, **options: Any) -> None:
        Trainer.__init__(self, config, CapturingFineTune(config, **options))

    @property
    def saved(self) -> Any:
        return self.method.saved

    @property
    def tokenizer(self) -> Any:
        return self.method.tokenizer


@pytest.fixture(scope="module")
def corpus() -> Any:
    return corpus_from_texts(synthetic_texts(300))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, corpus: Any) -> CapturingTrainer:
    trainer = CapturingTrainer(tiny_config(tmp_path_factory.mktemp("lora") / "model"), rank=4)
    trainer.result = trainer.train(corpus)
    return trainer


def _logits(model: Any, tokenizer: Any) -> Any:
    ids = tokenizer(tokenizer.eos_token + PROBE, return_tensors="pt")["input_ids"]
    model.eval()
    with torch.no_grad():
        return model(input_ids=ids.to(model.device)).logits.cpu()


# registration and settings -----------------------------------------------------------------


def test_hook_registers_the_trainer() -> None:
    found: list[type] = []
    register_trainers(register=found.append)
    assert found == [LoraTrainer] and LoraTrainer.name == "lora"
    (entry,) = entry_points(group="tweetgen", name="lora")
    assert entry.value == "tweetgen_lora"


def test_registering_does_not_import_torch_or_peft() -> None:
    code = (
        "import sys, tweetgen_lora; found = []; tweetgen_lora.register_trainers(found.append); "
        "print(found[0].name, 'torch' in sys.modules, 'peft' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["lora", "False", "False"]


def test_settings_live_in_the_config_so_resume_checks_them(tmp_path: Path) -> None:
    config = tiny_config(tmp_path / "m", extra={"lora": {"rank": 2, "alpha": 4}})
    trainer = LoraTrainer(config, dropout=0.0)
    assert trainer.settings == LoraSettings(rank=2, alpha=4, dropout=0.0)
    assert trainer.config.extra["lora"]["rank"] == 2
    assert trainer.config.identity()["extra"]["lora"]["dropout"] == 0.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rank": 0}, "rank must be a positive integer"),
        ({"alpha": -1}, "alpha must be a positive integer"),
        ({"dropout": 1.0}, "dropout"),
        ({"target_modules": []}, "target_modules"),
        ({"target_modules": [3]}, "target_modules"),
        ({"dropout": "high"}, "dropout"),
        ({"rank": True}, "rank"),
        ({"embed_base": "yes"}, "embed_base"),
        ({"ranks": 4}, "unknown lora setting"),
        ({"embed_base": False}, "tiny base is deleted"),
    ],
)
def test_bad_settings_are_refused(tmp_path: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(TrainingError, match=message):
        LoraTrainer(tiny_config(tmp_path / "m"), **options)


def test_settings_that_are_not_a_mapping_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="must be a mapping"):
        LoraTrainer(tiny_config(tmp_path / "m", extra={"lora": 8}))


def test_one_target_module_may_be_a_string() -> None:
    assert LoraSettings(target_modules="c_attn").target_modules == ("c_attn",)  # type: ignore[arg-type]


def test_unknown_target_module_is_a_training_error(tmp_path: Path, corpus: Any) -> None:
    trainer = LoraTrainer(tiny_config(tmp_path / "m"), target_modules=["q_proj"])
    with pytest.raises(TrainingError, match="cannot add LoRA adapters"):
        trainer.train(corpus)
    assert not (tmp_path / "m").exists()


# training ---------------------------------------------------------------------------------


def test_only_adapter_weights_are_trainable(trained: CapturingTrainer) -> None:
    names = [n for n, p in trained.saved.named_parameters() if p.requires_grad]
    assert names and all(".lora_A." in n or ".lora_B." in n for n in names)
    # 2 layers x (c_attn, attn c_proj, c_fc, mlp c_proj) x (A, B)
    assert len(names) == 2 * 4 * 2


def test_output_is_a_small_self_contained_adapter_directory(trained: CapturingTrainer) -> None:
    out = trained.result.path
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json"):
        assert (out / name).is_file(), name
    assert (out / "generation_config.json").is_file()
    assert (out / "base" / "model.safetensors").is_file()
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == "base" and config["r"] == 4
    assert config["fan_in_fan_out"] is True  # GPT-2's Conv1D layers
    adapter = (out / "adapter_model.safetensors").stat().st_size
    full = (out / "base" / "model.safetensors").stat().st_size
    assert adapter * 10 < full
    info = json.loads((out / "tweetgen.json").read_text())
    assert info["trainer"] == "lora" and info["config"]["extra"]["lora"]["rank"] == 4


def test_held_out_perplexity_falls(trained: CapturingTrainer) -> None:
    metrics = trained.result.metrics
    assert metrics["perplexity_after"] < 0.9 * metrics["perplexity_before"]


def test_peft_loads_the_same_model(trained: CapturingTrainer) -> None:
    expected = _logits(trained.saved, trained.tokenizer)
    loaded = load_adapter(trained.result.path)
    torch.testing.assert_close(_logits(loaded, trained.tokenizer), expected)


def test_base_weights_were_not_trained(trained: CapturingTrainer) -> None:
    original = load_causal_lm(trained.result.path / "base").state_dict()
    after = {
        name.removeprefix("base_model.model.").replace(".base_layer", ""): value
        for name, value in trained.saved.state_dict().items()
        if "lora_" not in name
    }
    assert after.keys() == original.keys()
    for name, value in original.items():
        torch.testing.assert_close(after[name], value, msg=name)


def test_generator_loads_the_adapter_from_any_directory(
    trained: CapturingTrainer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tweetgen import Generator

    monkeypatch.chdir(tmp_path)  # the embedded base must not be found through the cwd
    generator = Generator(trained.result.path, device="cpu")
    expected = _logits(trained.saved, trained.tokenizer)
    torch.testing.assert_close(_logits(generator.model, generator.tokenizer), expected)
    assert len(generator.generate(n=2, seed=0, max_new_tokens=8, novelty=False).samples) <= 2


# checkpoints ------------------------------------------------------------------------------


class Interrupted(Exception):
    pass


def test_interrupted_run_resumes_to_the_same_adapter(tmp_path: Path, corpus: Any) -> None:
    def stop_at_step_7(event: Any) -> None:
        if event.stage == "train" and event.step == 7:
            raise Interrupted

    config = tiny_config(tmp_path / "resumed", checkpoint_every=4)
    with pytest.raises(Interrupted):
        LoraTrainer(config, rank=2).train(corpus, progress=stop_at_step_7)
    checkpoints = sorted((config.work_path / "checkpoints").iterdir())
    assert checkpoints
    saved = load_file(checkpoints[-1] / "weights.safetensors")
    assert saved and all("lora_" in name for name in saved)

    events: list[Any] = []
    resumed = LoraTrainer(config.replace(resume=True), rank=2).train(corpus, progress=events.append)
    straight = LoraTrainer(tiny_config(tmp_path / "straight"), rank=2).train(corpus)
    assert resumed.metrics["steps"] == straight.metrics["steps"]
    # it went on from the newest checkpoint instead of retraining from step 0
    newest = int(checkpoints[-1].name.removeprefix("step-"))
    assert 0 < newest < 7
    resumes = [e.message for e in events if e.message.startswith("resumed")]
    assert resumes == [f"resumed from step {newest}"]
    steps = [e.step for e in events if e.stage == "train"]
    assert steps == list(range(newest + 1, int(straight.metrics["steps"]) + 1))
    a = load_file(resumed.path / "adapter_model.safetensors")
    b = load_file(straight.path / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    for key in b:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=1e-5)


def test_resume_refuses_another_rank(tmp_path: Path, corpus: Any) -> None:
    config = tiny_config(tmp_path / "m", epochs=1, checkpoint_every=2, keep_checkpoints=True)
    LoraTrainer(config, rank=2).train(corpus)
    with pytest.raises(TrainingError, match=r"different settings \(extra\)"):
        LoraTrainer(config.replace(resume=True), rank=4).train(corpus)


# any architecture ---------------------------------------------------------------------------

#: The LoRA targets found in each architecture: every linear layer but the output layer.
TARGETS = {
    "gpt2": {"c_attn", "c_proj", "c_fc"},
    "llama": {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"},
    "qwen2": {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"},
    "gpt_neox": {"query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"},
}


@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_lora_finds_its_targets_in_any_architecture(kind: str, tmp_path: Path, corpus: Any) -> None:
    from tweetgen.generation.generator import Generator
    from tweetgen.training.config import TrainConfig
    from tweetgen.training.testing import build_arch_base

    base = build_arch_base(kind, corpus.texts, tmp_path / "base")
    settings = {"base_model": str(base), "out_dir": tmp_path / "m", "max_steps": 2}
    settings |= {"batch_tokens": 256, "block_size": 64, "device": "cpu", "threads": 1}
    result = LoraTrainer(TrainConfig.from_settings(settings), rank=2).train(corpus)
    config = json.loads((result.path / "adapter_config.json").read_text())
    assert set(config["target_modules"]) == TARGETS[kind]
    assert config["fan_in_fan_out"] is (kind == "gpt2")
    generator = Generator(result.path, device="cpu")
    eos = generator.tokenizer.eos_token_id
    assert generator.encode_rows([""])[0].tolist() == [[eos]]
    assert generator.generate(n=1, seed=0, max_new_tokens=4, novelty=False).drawn == 1


def test_auto_resolved_to_tiny_embeds_the_base(
    tmp_path: Path, corpus: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``auto`` is decided by the loop: when it means the tiny base (offline, no SmolLM2), the
    adapter must carry that base, which is deleted with the work folder."""
    from tweetgen.generation.generator import Generator
    from tweetgen.model import base as base_model

    monkeypatch.setattr(base_model, "auto_base", lambda: ("tiny", "offline, in a test"))
    config = tiny_config(tmp_path / "model").replace(base_model="auto", epochs=1)
    result = LoraTrainer(config, rank=4).train(corpus)
    assert (result.path / "base" / "config.json").is_file()
    assert not (config.work_path / "tiny-base").exists()  # the work folder's base is gone
    assert Generator(result.path, device="cpu").generate(n=1, seed=0, novelty=False).samples
