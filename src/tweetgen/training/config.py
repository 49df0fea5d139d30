"""Every knob of a training run, in one JSON-serialisable dataclass.

The config travels with each checkpoint and into the model directory (``tweetgen.json``), so a
run can be resumed only with the settings it started with, and a model says how it was made.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tweetgen.base.paths import OptionalPathField, PathField
from tweetgen.errors import TrainingError
from tweetgen.model.device import check_device
from tweetgen.model.files import WORK_DIR_NAME
from tweetgen.plugins.options import MAX_SEED, did_you_mean, parse_bool, parse_int

LR_SCHEDULES = ("cosine", "linear", "constant")
PRECISIONS = ("auto", "fp32", "bf16")
TINY = "tiny"
#: Sizes of the ``tiny`` base (``--set tiny.n_embd=256``).
TINY_SIZES = {"vocab_size": 2048, "n_layer": 4, "n_head": 4, "n_embd": 128}
#: What ``epochs`` and ``learning_rate`` mean when left unset: a fine-tune follows the seed
#: (huggingtweets); a base trained from scratch (tiny) needs more passes and larger steps.
FINE_TUNE_EPOCHS, FINE_TUNE_LR = 4, 1.372e-4
TINY_EPOCHS, TINY_LR = 20, 2e-3
#: ``learning_rate`` is the rate at this many tokens per step (the seed's batch: one
#: 1,024-token block); larger steps take it times tokens / this, up to MAX_LR_SCALE (linear
#: scaling beat square-root scaling at equal epochs: benchmarks/RESULTS.md).
REFERENCE_TOKENS = 1024
MAX_LR_SCALE = 4.0
#: A pretrained base keeps at least ``learning_rate`` on smaller steps: scaled down linearly,
#: the CPU's 128-token steps on a small corpus ran at 1/8 of it and hardly moved SmolLM2-135M
#: (zippy, one epoch: 2.29 bits/char held out at 1.7e-5 per step, 2.04 at 1.25e-4, 2.12 at
#: 5e-4; benchmarks/RESULTS.md, "Quality"). The tiny base, trained from scratch, keeps the
#: linear rule it was tuned with.
MIN_FINE_TUNE_LR_SCALE = 1.0
#: ``train_layers`` unset trains every block. Training only the top quarter (8 of SmolLM2's 30)
#: was 1.5-1.6x the recipe's tokens/s on four voices, against 0.8x for every weight, but it fit
#: less per minute: on the bundled sample, 8 steps of every weight (50 s) took held-out
#: perplexity from 59 to 34, 16 steps of the top 8 blocks (48 s) to 42 (benchmarks/RESULTS.md,
#: "Quality"). So it is a setting, not the default.
#: Dict fields a dotted setting (``tiny.n_layer=2``) may address; other sections go to
#: ``extra`` for trainer plugins (``lora.rank=4``).
SECTIONS = ("tiny", "extra")

#: Fields that may differ between a checkpoint and the run that resumes it: they change where
#: things go or how they are watched, not what is learned.
RESUMABLE_FIELDS = frozenset(
    {
        "out_dir",
        "work_dir",
        "resume",
        "device",
        "threads",
        "compile",
        "log_every",
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
    """Settings of one fine-tuning run; the CLI and the API build runs from this alone.

    ``base_model`` is a Hugging Face hub id (``"gpt2"``, needs internet once), a local model
    directory, ``"tiny"`` (a small GPT-2 and byte-level BPE tokenizer built from the training
    posts themselves, for offline demos and tests), or ``"auto"``: ``gpt2`` when it can be had,
    else ``tiny``. Unset ``epochs`` and ``learning_rate`` follow the base: the seed's 4 epochs
    at 1.372e-4 for a fine-tune, 20 at 2e-3 for tiny (see :meth:`run_epochs`).
    """

    base_model: str = "auto"
    #: ``str`` or any path-like; always a ``Path`` once set (see :mod:`tweetgen.base.paths`).
    out_dir: PathField = PathField("model")
    #: Checkpoints, token cache, tiny base and W&B files; default ``<out_dir>/.tweetgen-work``
    #: (inside the model folder, which carries it along when a save replaces it).
    work_dir: OptionalPathField = OptionalPathField()
    epochs: int | None = None
    #: Peak learning rate at 1,024 tokens per step; scaled linearly for larger steps (at most 4x).
    learning_rate: float | None = None
    lr_schedule: str = "cosine"
    #: Warmup: a fraction of all steps when below 1, else a number of steps.
    warmup: float = 0.1
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    #: Tokens per optimizer step on each device (whole blocks); unset: chosen for the device
    #: and shrunk so that a small corpus still gets enough steps.
    batch_tokens: int | None = None
    #: Train only the top this many transformer blocks (and the final norm); the lower blocks
    #: and the embeddings keep the base's weights. Unset: every weight (the run records the
    #: number of blocks it resolved to).
    train_layers: int | None = None
    #: Tokens per block; several posts share a block, and attention never crosses posts.
    block_size: int = 128
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
    #: torch.compile the model (fixed shapes); unset: on CUDA when the run is long enough
    #: to repay the compile time.
    compile: bool | None = None
    #: Read the loss back from the device (a sync) every this many steps, for progress and W&B.
    log_every: int = 25
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
    #: Sizes of the tiny base: vocab_size, n_layer, n_head, n_embd.
    tiny: dict[str, int] = field(default_factory=lambda: dict(TINY_SIZES))
    #: Settings of trainer plugins, by section (``{"lora": {"rank": 4}}``).
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    # presets and settings ---------------------------------------------------------------

    @classmethod
    def tiny_preset(
        cls, out_dir: str | os.PathLike[str] = "model", **overrides: Any
    ) -> TrainConfig:
        """A run on the tiny base: offline, seconds on a CPU (``tiny`` sizes via overrides)."""
        return cls.from_settings({"base_model": TINY, "out_dir": out_dir} | overrides)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> TrainConfig:
        """A config from flat settings as the CLI's ``--set`` gives them.

        A dotted key addresses a section: ``tiny.n_layer=2`` sets a tiny-base size,
        ``lora.rank=4`` goes to ``extra["lora"]`` for the LoRA trainer.
        """
        values: dict[str, Any] = {}
        for key, value in settings.items():
            section, dot, name = key.partition(".")
            if not dot:
                _put(values, [key], value, key)
                continue
            if not section or not name or "." in name:
                raise TrainingError(f"bad setting {key!r}: use SECTION.NAME=VALUE")
            where = [section, name] if section in SECTIONS else ["extra", section, name]
            _put(values, where, value, key)
        if isinstance(values.get("tiny"), dict):
            values["tiny"] = TINY_SIZES | values["tiny"]
        return cls.from_dict(values)

    # derived ---------------------------------------------------------------------------

    @property
    def is_tiny(self) -> bool:
        return self.base_model == TINY

    @property
    def work_path(self) -> Path:
        """Where checkpoints (and a tiny base) go."""
        if self.work_dir is not None:
            return self.work_dir
        return self.out_dir / WORK_DIR_NAME

    def carried(self) -> tuple[str, ...]:
        """Entries of ``out_dir`` that each save carries into the new model folder: the
        default work folder, and the top folder of a ``work_dir`` set inside ``out_dir``."""
        names = [WORK_DIR_NAME]
        inside = self.work_inside()
        if inside and inside != WORK_DIR_NAME:
            names.append(inside)
        return tuple(names)

    def work_inside(self) -> str | None:
        """The name of the entry of ``out_dir`` that holds the work folder, if it is inside."""
        out = Path(os.path.abspath(self.out_dir))
        work = Path(os.path.abspath(self.work_path))
        if work == out or out not in work.parents:
            return None
        return work.relative_to(out).parts[0]

    def run_epochs(self) -> int:
        """``epochs``, or the base's default when unset."""
        if self.epochs is not None:
            return self.epochs
        return TINY_EPOCHS if self.is_tiny else FINE_TUNE_EPOCHS

    def run_learning_rate(self, batch_tokens: int = REFERENCE_TOKENS) -> float:
        """The peak rate for steps of ``batch_tokens``: ``learning_rate`` (or the base's
        default) times batch_tokens / 1,024, at most 4 times; for a pretrained base never
        less than ``learning_rate`` itself (see MIN_FINE_TUNE_LR_SCALE)."""
        rate = self.learning_rate
        if rate is None:
            rate = TINY_LR if self.is_tiny else FINE_TUNE_LR
        scale = min(batch_tokens / REFERENCE_TOKENS, MAX_LR_SCALE)
        if not self.is_tiny:
            scale = max(scale, MIN_FINE_TUNE_LR_SCALE)
        return rate * scale

    def run_train_layers(self, blocks: int) -> int:
        """How many of a model's ``blocks`` train: ``train_layers`` (at most all of them), or
        all of them when unset."""
        if self.train_layers is not None:
            return min(self.train_layers, blocks)
        return blocks

    # checks ----------------------------------------------------------------------------

    def validate(self) -> None:
        """Raise :class:`TrainingError` naming the first bad field; normalise the rest.

        Values may come as text from ``--set``: ``resume=yes`` becomes True, but ``maybe``,
        ``epochs=true``, ``learning_rate=inf`` or ``extra=[1]`` are refused here, not deep
        inside a run.
        """
        self.out_dir = _path(self.out_dir, "out_dir")
        self.work_dir = None if self.work_dir is None else _path(self.work_dir, "work_dir")
        optional = {f.name for f in dataclasses.fields(self) if f.default is None}
        checks: list[tuple[str, Callable[..., Any], tuple[Any, ...]]]
        checks = [(name, _bool, ()) for name in _BOOLS]
        checks += [(name, _int, limits) for name, limits in _INTS.items()]
        checks += [(name, _float, limits) for name, limits in _FLOATS.items()]
        for name, check, limits in checks:
            value = getattr(self, name)
            if value is not None or name not in optional:  # unset (None) where that is allowed
                setattr(self, name, check(value, name, *limits))
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
        self.tiny = _tiny_sizes(self.tiny)

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
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
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


def _put(values: dict[str, Any], where: list[str], value: Any, key: str) -> None:
    """``value`` at the path ``where`` of nested sections. A plain value and dotted keys for
    one name (``extra=5`` and ``lora.rank=4``, in either order) clash: one line says so,
    rather than one silently replacing the other (or an AttributeError)."""
    target = values
    for depth, part in enumerate(where[:-1]):
        inner = target.get(part, {})
        if not isinstance(inner, dict):
            name = ".".join(where[: depth + 1])
            raise TrainingError(
                f"bad setting {key!r}: it goes under {name}, which is set to a value"
            )
        target[part] = target = dict(inner)  # a copy: the caller's mapping stays as it was
    if isinstance(target.get(where[-1]), dict) and not isinstance(value, dict):
        name = ".".join(where)
        raise TrainingError(
            f"bad setting {key!r}: {name} holds settings given as dotted keys; "
            "give one or the other"
        )
    target[where[-1]] = value


def _tiny_sizes(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise TrainingError(f"tiny must be a mapping of sizes, got {value!r}")
    unknown = sorted(set(value) - set(TINY_SIZES))
    if unknown:
        raise TrainingError(
            f"unknown tiny setting(s): {', '.join(unknown)} (known: {', '.join(TINY_SIZES)})"
        )
    sizes = {k: _int(value.get(k, v), f"tiny.{k}", 1) for k, v in TINY_SIZES.items()}
    if sizes["n_embd"] % sizes["n_head"]:
        raise TrainingError("tiny.n_embd must be a multiple of tiny.n_head")
    return sizes


def _path(value: Any, name: str) -> Path:
    if not isinstance(value, str | os.PathLike) or not str(value):
        raise TrainingError(f"{name} must be a path, got {value!r}")
    return Path(value)


def _bool(value: Any, name: str) -> bool:
    return parse_bool(value, name=name, error=TrainingError)


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


#: Upper limits: torch refuses larger seeds, and each thread costs memory (100,000 threads
#: ran out of it).
MAX_THREADS = 1024
_BOOLS = ("keep_checkpoints", "resume", "wandb", "wandb_posts", "compile")
#: name: (minimum, maximum)
_INTS: dict[str, tuple[int, int | None]] = {
    "block_size": (2, None),
    "seed": (0, MAX_SEED),
    "checkpoint_every": (0, None),
    "log_every": (1, None),
    "epochs": (1, None),
    "batch_tokens": (1, None),
    "max_steps": (1, None),
    "threads": (1, MAX_THREADS),
    "train_layers": (1, None),
}
_INF = math.inf
#: name: (low, high, whether the limits themselves are refused)
_FLOATS = {
    "learning_rate": (0.0, _INF, True),
    "warmup": (0.0, _INF, False),
    "weight_decay": (0.0, _INF, False),
    "max_grad_norm": (0.0, _INF, True),
    "validation": (0.0, 1.0, True),
}
