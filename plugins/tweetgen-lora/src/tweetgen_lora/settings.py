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
        if self.target_modules is not None:
            object.__setattr__(self, "target_modules", tuple(self.target_modules))
        self.validate()

    def validate(self) -> None:
        """Raise :class:`TrainingError` naming the first bad setting."""
        if isinstance(self.rank, bool) or not isinstance(self.rank, int) or self.rank < 1:
            raise TrainingError(f"lora rank must be a positive integer, got {self.rank!r}")
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, int) or self.alpha < 1:
            raise TrainingError(f"lora alpha must be a positive integer, got {self.alpha!r}")
        if not 0 <= self.dropout < 1:
            raise TrainingError(f"lora dropout must be in [0, 1), got {self.dropout!r}")
        if self.target_modules is not None and not (
            self.target_modules and all(isinstance(m, str) and m for m in self.target_modules)
        ):
            raise TrainingError("lora target_modules must be a non-empty list of module names")

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if self.target_modules is not None:
            data["target_modules"] = list(self.target_modules)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoraSettings:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TrainingError(f"unknown lora setting(s): {', '.join(unknown)}")
        return cls(**data)

    def replace(self, **changes: Any) -> LoraSettings:
        return dataclasses.replace(self, **changes)


__all__ = ["EXTRA_KEY", "LoraSettings"]
