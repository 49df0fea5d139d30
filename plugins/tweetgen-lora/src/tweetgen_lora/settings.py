"""LoRA settings, stored in ``TrainConfig.extra["lora"]``.

Keeping them inside the training config (rather than beside it) means they travel with every
checkpoint and into ``tweetgen.json`` for free, and a resumed run with a different rank is
refused like any other changed setting.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from tweetgen import TrainingError
from tweetgen.plugins.options import Option, did_you_mean

#: The key of :attr:`tweetgen.TrainConfig.extra` that holds these settings.
EXTRA_KEY = "lora"


@dataclass(frozen=True)
class LoraSettings:
    """Shape of the adapters.

    ``target_modules`` names the layers that get adapters; ``None`` takes peft's default for
    the architecture (``c_attn`` for GPT-2). ``embed_base`` copies the base model into the
    output as ``base/``; ``None`` does so only for the ``tiny`` base, which has no other home
    once the work directory is removed.
    """

    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] | None = ("c_attn", "c_proj", "c_fc")
    embed_base: bool | None = None

    def __post_init__(self) -> None:
        modules = self.target_modules
        if isinstance(modules, str):  # one name, as ``--set`` may give it
            modules = (modules,)
        if isinstance(modules, list | tuple):
            object.__setattr__(self, "target_modules", tuple(modules))
        self.validate()

    def validate(self) -> None:
        """Raise :class:`TrainingError` naming the first bad setting."""
        if not _is_number(self.rank) or not isinstance(self.rank, int) or self.rank < 1:
            raise TrainingError(f"lora rank must be a positive integer, got {self.rank!r}")
        if not _is_number(self.alpha) or not isinstance(self.alpha, int) or self.alpha < 1:
            raise TrainingError(f"lora alpha must be a positive integer, got {self.alpha!r}")
        if not _is_number(self.dropout) or not 0 <= self.dropout < 1:
            raise TrainingError(f"lora dropout must be in [0, 1), got {self.dropout!r}")
        modules = self.target_modules
        if modules is not None and not (
            isinstance(modules, tuple)
            and modules
            and all(isinstance(m, str) and m for m in modules)
        ):
            raise TrainingError("lora target_modules must be a non-empty list of module names")
        if not (self.embed_base is None or isinstance(self.embed_base, bool)):
            raise TrainingError(
                f"lora embed_base must be true, false or null, got {self.embed_base!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if self.target_modules is not None:
            data["target_modules"] = list(self.target_modules)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> LoraSettings:
        if not isinstance(data, dict):
            raise TrainingError(f"lora settings must be a mapping, got {data!r}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            hint = did_you_mean(unknown, known)
            raise TrainingError(f"unknown lora setting(s): {', '.join(unknown)}{hint}")
        return cls(**data)

    def replace(self, **changes: Any) -> LoraSettings:
        return dataclasses.replace(self, **changes)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


__all__ = ["EXTRA_KEY", "LoraSettings"]


#: The settings as ``--set lora.NAME=VALUE`` options, for ``tweetgen plugins lora`` and the docs.
OPTIONS: tuple[Option, ...] = (
    Option(f"{EXTRA_KEY}.rank", int, LoraSettings.rank, "rank of the adapter matrices"),
    Option(f"{EXTRA_KEY}.alpha", int, LoraSettings.alpha, "scaling numerator (alpha / rank)"),
    Option(f"{EXTRA_KEY}.dropout", float, LoraSettings.dropout, "dropout on the adapter input"),
    Option(
        f"{EXTRA_KEY}.target_modules",
        str,
        None,
        "layers that get adapters, a JSON list (default c_attn, c_proj, c_fc; null: peft's)",
    ),
    Option(
        f"{EXTRA_KEY}.embed_base",
        bool,
        None,
        "copy the base model into the output as base/ (default: only for tiny)",
    ),
)
