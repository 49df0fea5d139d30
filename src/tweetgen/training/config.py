"""Every knob of a training run, in one JSON-serialisable dataclass.

The config travels with each checkpoint and into the model directory (``tweetgen.json``), so a
run can be resumed only with the settings it started with, and a model says how it was made.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tweetgen.errors import TrainingError

LR_SCHEDULES = ("cosine", "linear", "constant")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16")

#: Fields that may differ between a checkpoint and the run that resumes it: they change where
#: things go or how they are watched, not what is learned.
RESUMABLE_FIELDS = frozenset(
    {
        "out_dir",
        "work_dir",
        "resume",
        "device",
        "threads",
        "wandb",
        "wandb_project",
        "wandb_entity",
        "checkpoint_every",
        "keep_checkpoints",
    }
)


@dataclass
class TrainConfig:
    """Settings of one fine-tuning run.

    ``base_model`` is a Hugging Face hub id (``"gpt2"``, needs internet once), a local model
    directory, or ``"tiny"``: a small GPT-2 (and byte-level BPE tokenizer) built from the
    training posts themselves, for offline demos and tests. The defaults follow the seed
    (huggingtweets): 4 epochs, learning rate 1.372e-4, cosine schedule.
    """

    base_model: str = "gpt2"
    out_dir: Path = Path("model")
    #: Checkpoints and the tiny base live here; default ``<out_dir>.work`` beside ``out_dir``.
    work_dir: Path | None = None
    epochs: int = 4
    learning_rate: float = 1.372e-4
    lr_schedule: str = "cosine"
    #: Warmup: a fraction of all steps when below 1, else a number of steps.
    warmup: float = 0.1
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    #: Sequences per step: packed blocks when ``packing``, else posts.
    batch_size: int = 8
    block_size: int = 128
    #: Pack several posts per block (attention never crosses posts) instead of padding.
    packing: bool = True
    validation: float = 0.1
    seed: int = 42
    #: Stop after this many optimizer steps (the schedule is stretched to it), if set.
    max_steps: int | None = None
    device: str = "auto"
    #: CPU threads for torch during training (None: torch's default, one per core). On a busy
    #: machine 1 can be many times faster than oversubscribed cores.
    threads: int | None = None
    #: "auto": bf16 autocast where the GPU supports it, fp32 otherwise (always fp32 on CPU).
    precision: str = "auto"
    #: Save a checkpoint every this many steps (0: only at the end of each epoch).
    checkpoint_every: int = 0
    keep_checkpoints: bool = False
    #: Continue from the newest checkpoint in ``work_dir`` (a fresh start if there is none).
    resume: bool = False
    wandb: bool = False
    wandb_project: str = "tweetgen"
    wandb_entity: str | None = None
    # sizes of the "tiny" base model
    tiny_vocab_size: int = 2048
    tiny_n_layer: int = 4
    tiny_n_head: int = 4
    tiny_n_embd: int = 128
    #: Learning rate used instead of ``learning_rate`` when ``base_model == "tiny"``: a model
    #: trained from scratch needs a much larger step than a fine-tune.
    tiny_learning_rate: float = 2e-3
    #: Epochs used instead of ``epochs`` for "tiny", for the same reason.
    tiny_epochs: int = 20
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.out_dir = Path(self.out_dir)
        if self.work_dir is not None:
            self.work_dir = Path(self.work_dir)
        self.validate()

    # derived ---------------------------------------------------------------------------

    @property
    def is_tiny(self) -> bool:
        return self.base_model == "tiny"

    @property
    def work_path(self) -> Path:
        """Where checkpoints (and a tiny base) go."""
        if self.work_dir is not None:
            return self.work_dir
        return self.out_dir.with_name(self.out_dir.name + ".work")

    @property
    def effective_learning_rate(self) -> float:
        return self.tiny_learning_rate if self.is_tiny else self.learning_rate

    @property
    def effective_epochs(self) -> int:
        return self.tiny_epochs if self.is_tiny else self.epochs

    # checks ----------------------------------------------------------------------------

    def validate(self) -> None:
        """Raise :class:`TrainingError` naming the first bad field."""
        positive = (
            "epochs",
            "tiny_epochs",
            "batch_size",
            "block_size",
            "tiny_vocab_size",
            "tiny_n_layer",
        )
        for name in (*positive, "tiny_n_head", "tiny_n_embd"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise TrainingError(
                    f"{name} must be a positive integer, got {getattr(self, name)!r}"
                )
        if self.learning_rate <= 0 or self.tiny_learning_rate <= 0:
            raise TrainingError("learning_rate must be positive")
        if self.lr_schedule not in LR_SCHEDULES:
            raise TrainingError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}")
        if self.device not in DEVICES and not self.device.startswith("cuda:"):
            raise TrainingError(f"device must be one of {', '.join(DEVICES)} (or cuda:N)")
        if self.precision not in PRECISIONS:
            raise TrainingError(f"precision must be one of {', '.join(PRECISIONS)}")
        if not 0 < self.validation < 1:
            raise TrainingError(f"validation must be between 0 and 1, got {self.validation}")
        if self.warmup < 0 or self.weight_decay < 0 or self.checkpoint_every < 0:
            raise TrainingError("warmup, weight_decay and checkpoint_every must not be negative")
        if self.threads is not None and self.threads < 1:
            raise TrainingError(f"threads must be positive, got {self.threads}")
        if self.max_steps is not None and self.max_steps < 1:
            raise TrainingError(f"max_steps must be positive, got {self.max_steps}")
        if self.tiny_n_embd % self.tiny_n_head:
            raise TrainingError("tiny_n_embd must be a multiple of tiny_n_head")

    def warmup_steps(self, total_steps: int) -> int:
        if self.warmup < 1:
            return round(self.warmup * total_steps)
        return min(int(self.warmup), total_steps)

    # serialisation ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only (paths become strings)."""
        out = dataclasses.asdict(self)
        for key, value in out.items():
            if isinstance(value, Path):
                out[key] = str(value)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TrainingError(f"unknown training setting(s): {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise TrainingError(f"bad training settings: {exc}") from None

    def identity(self) -> dict[str, Any]:
        """The settings a resumed run must share with its checkpoint."""
        return {k: v for k, v in self.to_dict().items() if k not in RESUMABLE_FIELDS}

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


__all__ = ["TrainConfig"]
