"""Every knob of a training run, in one JSON-serialisable dataclass.

The config travels with each checkpoint and into the model directory (``tweetgen.json``), so a
run can be resumed only with the settings it started with, and a model says how it was made.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.errors import TrainingError, TweetgenError
from tweetgen.options import MAX_SEED, did_you_mean, parse_bool, parse_int
from tweetgen.pathfield import OptionalPathField, PathField

if TYPE_CHECKING:
    import torch

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
        "wandb_posts",
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
    #: ``str`` or any path-like; always a ``Path`` once set (see :mod:`tweetgen.pathfield`).
    out_dir: PathField = PathField("model")
    #: Checkpoints and the tiny base live here; default ``<out_dir>.work`` beside ``out_dir``.
    work_dir: OptionalPathField = OptionalPathField()
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
    #: With ``wandb``: log the posts themselves as artifacts, not only the data table.
    wandb_posts: bool = True
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
        """Raise :class:`TrainingError` naming the first bad field; normalise the rest.

        Values may come as text from ``--set``: ``packing=yes`` becomes True, but ``maybe``,
        ``epochs=true``, ``learning_rate=inf`` or ``extra=[1]`` are refused here, not deep
        inside a run.
        """
        self.out_dir = _path(self.out_dir, "out_dir")
        self.work_dir = None if self.work_dir is None else _path(self.work_dir, "work_dir")
        for name in _BOOLS:
            setattr(self, name, parse_bool(getattr(self, name), name=name, error=TrainingError))
        for name, minimum in _INTS.items():
            setattr(self, name, _int(getattr(self, name), name, minimum, _MAXIMA.get(name)))
        for name, minimum in _OPTIONAL_INTS.items():
            if getattr(self, name) is not None:
                setattr(self, name, _int(getattr(self, name), name, minimum, _MAXIMA.get(name)))
        for name, (low, high, open_range) in _FLOATS.items():
            setattr(self, name, _float(getattr(self, name), name, low, high, open_range))
        for name, choices in (("lr_schedule", LR_SCHEDULES), ("precision", PRECISIONS)):
            _choice(getattr(self, name), name, choices)
        check_device(self.device)
        for name in ("base_model", "wandb_project"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise TrainingError(
                    f"{name} must be a non-empty string, got {getattr(self, name)!r}"
                )
        if self.wandb_entity is not None and not isinstance(self.wandb_entity, str):
            raise TrainingError(f"wandb_entity must be a string, got {self.wandb_entity!r}")
        if not isinstance(self.extra, dict):
            raise TrainingError(f"extra must be a mapping of settings, got {self.extra!r}")
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
            hint = did_you_mean(unknown, known)
            raise TrainingError(f"unknown training setting(s): {', '.join(unknown)}{hint}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise TrainingError(f"bad training settings: {exc}") from None

    def identity(self) -> dict[str, Any]:
        """The settings a resumed run must share with its checkpoint."""
        return {k: v for k, v in self.to_dict().items() if k not in RESUMABLE_FIELDS}

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


def check_device(name: Any, error: type[TweetgenError] = TrainingError) -> str:
    """``name`` when it is a device tweetgen knows (``auto``, ``cpu``, ``cuda[:N]``, ``mps``)."""
    if not isinstance(name, str) or not (name in DEVICES or re.fullmatch(r"cuda:[0-9]+", name)):
        raise error(f"device must be one of {', '.join(DEVICES)} or cuda:N, got {name!r}")
    return name


def resolve_device(name: Any, *, error: type[TweetgenError] = TrainingError) -> torch.device:
    """The torch device for a checked ``name``; ``auto`` picks cuda, then mps, then cpu.

    Training and generation both resolve devices here, so both accept the same names and
    refuse an unavailable one with the same one-line error.
    """
    import torch

    check_device(name, error)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if torch.backends.mps.is_available() else "cpu")
    if name.startswith("cuda"):
        index = int(name.partition(":")[2] or 0)
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise error(f"device {name!r} requested but that CUDA device is not available")
    if name == "mps" and not torch.backends.mps.is_available():
        raise error("device 'mps' requested but MPS is not available")
    return torch.device(name)


def _path(value: Any, name: str) -> Path:
    if not isinstance(value, str | os.PathLike) or not str(value):
        raise TrainingError(f"{name} must be a path, got {value!r}")
    return Path(value)


def _int(value: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    return parse_int(value, name=name, minimum=minimum, maximum=maximum, error=TrainingError)


def _float(value: Any, name: str, low: float, high: float, open_range: bool) -> float:
    """A finite number in ``[low, high]`` (``(low, high)`` with ``open_range``); not a bool."""
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None or not math.isfinite(number):
        raise TrainingError(f"{name} must be a finite number, got {value!r}")
    if not low <= number <= high or (open_range and number in (low, high)):
        limits = "between" if open_range else "from"
        top = f" and {high:g}" if math.isfinite(high) else ""
        above = f"{'above' if open_range else 'at least'} {low:g}"
        raise TrainingError(
            f"{name} must be {f'{limits} {low:g}{top}' if top else above}, got {value!r}"
        )
    return float(number)


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise TrainingError(f"{name} must be one of {', '.join(choices)}, got {value!r}")


_BOOLS = ("packing", "keep_checkpoints", "resume", "wandb", "wandb_posts")
_INTS = {
    "epochs": 1,
    "tiny_epochs": 1,
    "batch_size": 1,
    "block_size": 1,
    "tiny_vocab_size": 1,
    "tiny_n_layer": 1,
    "tiny_n_head": 1,
    "tiny_n_embd": 1,
    "seed": 0,
    "checkpoint_every": 0,
}
_OPTIONAL_INTS = {"max_steps": 1, "threads": 1}
#: Upper limits: torch refuses larger seeds, and each thread costs memory (100,000 threads
#: ran out of it).
MAX_THREADS = 1024
_MAXIMA = {"seed": MAX_SEED, "threads": MAX_THREADS}
_INF = math.inf
#: name: (low, high, whether the limits themselves are refused)
_FLOATS = {
    "learning_rate": (0.0, _INF, True),
    "tiny_learning_rate": (0.0, _INF, True),
    "warmup": (0.0, _INF, False),
    "weight_decay": (0.0, _INF, False),
    "max_grad_norm": (0.0, _INF, True),
    "validation": (0.0, 1.0, True),
}

__all__ = ["DEVICES", "TrainConfig", "check_device", "resolve_device"]
