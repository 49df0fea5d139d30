"""TrainConfig: JSON round trip and one clear error per bad setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tweetgen.errors import TrainingError
from tweetgen.training.config import TrainConfig


def test_round_trips_through_json(tmp_path: Path) -> None:
    config = TrainConfig(base_model="tiny", out_dir=tmp_path / "m", epochs=3, max_steps=10)
    again = TrainConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
    assert isinstance(again.out_dir, Path)


def test_defaults_follow_the_seed() -> None:
    config = TrainConfig()
    assert (config.base_model, config.epochs, config.learning_rate) == ("gpt2", 4, 1.372e-4)
    assert config.lr_schedule == "cosine"
    assert config.work_path == Path("model.work")
    tiny = TrainConfig(base_model="tiny")  # from scratch: more passes, larger steps
    assert (tiny.effective_epochs, tiny.effective_learning_rate) == (20, 2e-3)
    assert (config.effective_epochs, config.effective_learning_rate) == (4, 1.372e-4)


@pytest.mark.parametrize(
    "bad",
    [
        {"epochs": 0},
        {"learning_rate": -1.0},
        {"lr_schedule": "step"},
        {"validation": 1.0},
        {"device": "tpu"},
        {"precision": "fp8"},
        {"max_steps": 0},
        {"tiny_n_embd": 30, "tiny_n_head": 4},
    ],
)
def test_bad_settings_raise(bad: dict[str, object]) -> None:
    with pytest.raises(TrainingError):
        TrainConfig(**bad)  # type: ignore[arg-type]


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(TrainingError, match=r"unknown training setting.*colour"):
        TrainConfig.from_dict({"colour": "blue"})


def test_identity_ignores_where_and_how_a_run_is_watched(tmp_path: Path) -> None:
    a = TrainConfig(out_dir=tmp_path / "a", wandb=False, resume=False)
    b = TrainConfig(out_dir=tmp_path / "b", wandb=True, resume=True, device="cpu")
    assert a.identity() == b.identity()
    assert a.identity() != TrainConfig(out_dir=tmp_path / "a", seed=1).identity()


def test_warmup_fraction_or_steps() -> None:
    assert TrainConfig(warmup=0.1).warmup_steps(200) == 20
    assert TrainConfig(warmup=5).warmup_steps(200) == 5
