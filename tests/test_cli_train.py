"""``tweetgen train / generate / run`` end to end on tiny models, and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tweetgen import pipeline
from tweetgen.cli import main
from tweetgen.errors import TrainingError
from tweetgen.model import base as base_model
from tweetgen.training.testing import corpus_from_texts, synthetic_texts

#: Settings that make a "tiny" model train in about a second.
TINY = [
    "--base-model", "tiny", "--max-steps", "3", "--epochs", "1", "--device", "cpu", "--lr", "3e-3",
    "--set", "tiny.vocab_size=300", "--set", "tiny.n_layer=1", "--set", "tiny.n_embd=32",
    "--set", "tiny.n_head=2", "--set", "block_size=64",
]  # fmt: skip


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "corpus"
    corpus_from_texts(synthetic_texts(300)).save(path)
    return path


@pytest.fixture(scope="module")
def model_dir(corpus_dir: Path) -> Path:
    out = corpus_dir.parent / "model"
    with pytest.MonkeyPatch.context() as patch:  # as if offline: auto must fall back to tiny
        patch.setattr(base_model, "hub_model_available", lambda repo, **kw: False)
        args = ("train", str(corpus_dir), "--out", str(out), *TINY[2:], "--base-model", "auto")
        code, output = _invoke(*args)
    assert code == 0, output
    assert "base model: tiny (gpt2 is not cached and the Hub cannot be reached)" in output
    assert "perplexity before" in output and "perplexity after" in output
    assert f"saved the model to {out}" in output
    return out


def test_train_writes_a_complete_model(model_dir: Path) -> None:
    names = {p.name for p in model_dir.iterdir()}
    assert {"config.json", "generation_config.json", "README.md", "tweetgen.json"} <= names
    assert {"novelty.json", "tokenizer.json", "model.safetensors"} <= names
    meta = json.loads((model_dir / "tweetgen.json").read_text())
    assert meta["config"]["base_model"] == "tiny" and meta["config"]["max_steps"] == 3
    assert meta["config"]["tiny"]["n_embd"] == 32  # --set reached the config
    assert meta["config"]["learning_rate"] == 0.003  # --lr is the rate, whichever the base


def test_generate_json_is_reproducible(model_dir: Path) -> None:
    args = ("generate", str(model_dir), "the cat", "-n", "3", "--seed", "5", "--json")
    code, output = _invoke(*args, "--max-new-tokens", "16", "--allow-copies")
    assert code == 0, output
    data = json.loads(output)
    assert len(data["samples"]) == 3
    assert all(s["text"].startswith("the cat") for s in data["samples"])
    assert _invoke(*args, "--max-new-tokens", "16", "--allow-copies")[1] == output


def test_generate_text_output(model_dir: Path) -> None:
    code, output = _invoke("generate", str(model_dir), "-n", "2", "--max-new-tokens", "12")
    assert code == 0, output
    assert "Generated posts" in output and "not by the person" in output


def test_run_chains_everything(sample_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, output = _invoke(
        "run", "x-archive", str(sample_archive), "--out", str(out), "-n", "2", *TINY
    )
    assert code == 0, output
    assert (out / "corpus" / "corpus.json").is_file() and (out / "model" / "README.md").is_file()
    rows = ("Tweets downloaded", "Retweets", "Short tweets", "Tweets kept", "perplexity after")
    for row in rows:
        assert row in output
    assert "Generated posts" in output and "base model: tiny" in output


def test_run_api_returns_values(sample_archive: Path, tmp_path: Path) -> None:
    from tweetgen.training.testing import tiny_config

    config = tiny_config(tmp_path / "ignored", max_steps=2, epochs=1, tiny={"n_layer": 1})
    result = pipeline.run_chain(
        "x-archive", str(sample_archive), tmp_path / "out", config=config, samples=2
    )
    assert result.model.path == tmp_path / "out" / "model"
    assert result.corpus.report.kept == len(result.corpus) > 0
    assert result.generation.drawn >= 1 and result.seconds > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "{tmp}", "--out", "{tmp}/m", "--base-model", "tiny"], "no corpus.json"),
        (["train", "{corpus}", "--out", "{tmp}/m", "--epochs", "0"], "epochs"),
        (["train", "{corpus}", "--out", "{tmp}/m", "--set", "nonsense=1"], "nonsense"),
        (["generate", "{tmp}"], "not a model directory"),
        (["generate", "{model}", "-n", "0"], "from 1 to"),
        (["run", "x-archive", "{tmp}/missing.zip", "--out", "{tmp}/o", "--base-model", "tiny"], ""),
    ],
)
def test_bad_input_is_one_line(
    args: list[str], message: str, tmp_path: Path, corpus_dir: Path, model_dir: Path
) -> None:
    filled = [a.format(tmp=tmp_path, corpus=corpus_dir, model=model_dir) for a in args]
    code, output = _invoke(*filled)
    assert code != 0
    assert "Traceback" not in output
    assert output.strip().startswith(("Error:", "Usage:")), output
    assert len(output.strip().splitlines()) <= 3  # click's usage errors take three lines
    assert message in output
    assert not (tmp_path / "m").exists()


def test_offline_gpt2_suggests_tiny(monkeypatch: pytest.MonkeyPatch, corpus_dir: Path) -> None:
    monkeypatch.setattr(base_model, "hub_model_available", lambda repo, **kw: False)
    code, output = _invoke("train", str(corpus_dir), "--out", "x", "--base-model", "gpt2")
    assert code == 1 and "--base-model tiny" in output and "Traceback" not in output


def test_auto_base_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(base_model, "hub_model_available", lambda repo, **kw: False)
    assert base_model.resolve_base_model("auto") == "tiny"
    assert base_model.resolve_base_model(str(tmp_path)) == str(tmp_path)  # local directory
    with pytest.raises(TrainingError, match="--base-model tiny"):
        base_model.resolve_base_model("someone/model")
    monkeypatch.setattr(base_model, "hub_model_available", lambda repo, **kw: True)
    assert base_model.resolve_base_model("auto") == "gpt2"


def test_hub_model_available_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert base_model.hub_model_available("surely-not-cached/model-xyz") is False


def test_dotted_settings_are_parsed_by_the_core() -> None:
    from tweetgen.training.config import TrainConfig

    config = TrainConfig.from_settings(
        {"lora.rank": 4, "lora.alpha": 8, "tiny.n_layer": 2, "block_size": 64}
    )
    assert config.extra == {"lora": {"rank": 4, "alpha": 8}}
    assert config.tiny["n_layer"] == 2 and config.block_size == 64
    with pytest.raises(TrainingError, match=r"SECTION\.NAME"):
        TrainConfig.from_settings({".rank": 4})
    with pytest.raises(TrainingError, match="unknown tiny setting"):
        TrainConfig.from_settings({"tiny.depth": 4})


def test_cli_and_api_build_the_same_config(tmp_path: Path) -> None:
    from tweetgen.cli.train import _config
    from tweetgen.training.config import TrainConfig

    options = {"base_model": "tiny", "epochs": 3, "learning_rate": None, "batch_tokens": None}
    options |= {"max_steps": None, "seed": None, "device": None, "wandb": None, "resume": False}
    options["settings"] = ("tiny.n_layer=1", "lora.rank=2")
    cli = _config(tmp_path / "m", options)
    api = TrainConfig.tiny_preset(
        tmp_path / "m", epochs=3, tiny={"n_layer": 1}, extra={"lora": {"rank": 2}}
    )
    assert cli == api and cli.wandb is False
