"""TrainConfig: JSON round trip and one clear error per bad setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tweetgen.errors import TrainingError
from tweetgen.training.config import WORK_DIR_NAME, TrainConfig


def test_round_trips_through_json(tmp_path: Path) -> None:
    config = TrainConfig(base_model="tiny", out_dir=tmp_path / "m", epochs=3, max_steps=10)
    again = TrainConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
    assert isinstance(again.out_dir, Path)


def test_defaults_follow_the_seed() -> None:
    config = TrainConfig(base_model="gpt2")
    assert (config.run_epochs(), config.run_learning_rate()) == (4, 1.372e-4)
    assert config.lr_schedule == "cosine"
    assert config.work_path == Path("model") / WORK_DIR_NAME  # inside the model folder
    assert TrainConfig().base_model == "auto"  # the API decides like the CLI
    tiny = TrainConfig.tiny_preset()  # from scratch: more passes, larger steps
    assert (tiny.base_model, tiny.run_epochs(), tiny.run_learning_rate()) == ("tiny", 20, 2e-3)
    assert TrainConfig(epochs=2, learning_rate=1e-3).run_epochs() == 2


def test_learning_rate_grows_with_the_batch_up_to_four_times() -> None:
    config = TrainConfig(learning_rate=1e-4)
    assert config.run_learning_rate(1024) == pytest.approx(1e-4)
    assert config.run_learning_rate(2048) == pytest.approx(2e-4)
    assert config.run_learning_rate(1 << 30) == pytest.approx(4e-4)  # capped


def test_every_block_trains_unless_train_layers_says_otherwise() -> None:
    assert TrainConfig(base_model="some/base").run_train_layers(30) == 30
    assert TrainConfig.tiny_preset().run_train_layers(4) == 4
    assert TrainConfig(train_layers=8).run_train_layers(30) == 8
    assert TrainConfig(train_layers=40).run_train_layers(30) == 30  # at most all of them
    with pytest.raises(TrainingError, match="train_layers"):
        TrainConfig(train_layers=0)


def test_small_steps_keep_the_rate_of_a_pretrained_base() -> None:
    """Measured (benchmarks/RESULTS.md, Quality): 128-token CPU steps at 1/8 of the rate
    hardly trained SmolLM2-135M; tiny keeps the linear rule in both directions."""
    assert TrainConfig(learning_rate=1e-4).run_learning_rate(128) == pytest.approx(1e-4)
    assert TrainConfig.tiny_preset(learning_rate=1e-3).run_learning_rate(128) == pytest.approx(
        1.25e-4
    )


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
        {"tiny": {"n_embd": 30, "n_head": 4}},
        {"tiny": {"depth": 3}},
        {"batch_tokens": 0},
    ],
)
def test_bad_settings_raise(bad: dict[str, object]) -> None:
    with pytest.raises(TrainingError):
        TrainConfig(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"resume": "maybe"}, "resume must be true or false, got 'maybe'"),
        ({"compile": "maybe"}, "compile must be true or false, got 'maybe'"),
        ({"extra": "{bad"}, "extra must be a mapping"),
        ({"extra": [1]}, "extra must be a mapping"),
        ({"epochs": True}, "epochs must be an integer"),
        ({"epochs": 2.5}, "epochs must be an integer"),
        ({"learning_rate": "inf"}, "learning_rate must be a finite number, got 'inf'"),
        ({"learning_rate": float("inf")}, "learning_rate must be a finite number"),
        ({"warmup": float("nan")}, "warmup must be a finite number"),
        ({"warmup": -1}, "warmup must be at least 0"),
        ({"validation": 0}, "validation must be between 0 and 1"),
        ({"max_grad_norm": False}, "max_grad_norm must be a finite number"),
        ({"threads": 0}, "threads must be an integer >= 1"),
        ({"device": "quantum"}, "device must be one of auto, cpu, cuda, mps or cuda:N"),
        ({"device": "cuda:x"}, "device must be one of"),
        ({"lr_schedule": 3}, "lr_schedule must be one of cosine, linear, constant, got 3"),
        ({"base_model": 3}, "base_model must be a non-empty string"),
        ({"out_dir": 3}, "out_dir must be a path"),
    ],
)
def test_wrong_types_get_one_line_errors(bad: dict[str, object], message: str) -> None:
    with pytest.raises(TrainingError) as caught:
        TrainConfig.from_dict(bad)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_command_line_spellings_are_normalised() -> None:
    config = TrainConfig.from_dict({"compile": "no", "resume": "yes", "warmup": 5})
    assert (config.compile, config.resume, config.warmup) == (False, True, 5.0)
    assert config.warmup_steps(100) == 5
    assert TrainConfig(device="cuda:1").device == "cuda:1"


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
