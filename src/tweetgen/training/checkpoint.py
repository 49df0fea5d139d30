"""Checkpoints: enough state to continue an interrupted run to the same final step.

A checkpoint is a directory ``step-00000120/`` holding the trainable weights
(``weights.safetensors``), the optimizer, scheduler and RNG states (``state.pt``), and
``checkpoint.json`` with the step, the training config and the corpus fingerprint. Each is
written atomically (temporary directory, then rename), so a run killed mid-write leaves the
previous checkpoint intact and no half-written one.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.base.atomic import (
    atomic_dir,
    check_claimable,
    claim_dir,
    owned,
    remove_owned,
    write_json,
)
from tweetgen.base.secrets import redact
from tweetgen.errors import TrainingError, first_line
from tweetgen.model.files import load_errors
from tweetgen.training.config import TrainConfig

if TYPE_CHECKING:
    import torch

META = "checkpoint.json"
WEIGHTS = "weights.safetensors"
STATE = "state.pt"
PREFIX = "step-"


@dataclass
class Checkpoint:
    path: Path
    step: int
    weights: dict[str, torch.Tensor]
    state: dict[str, Any]


@dataclass(eq=False)
class CheckpointStore:
    """The checkpoints of one run under ``root``; refuses those of another config or corpus."""

    root: Path
    config: TrainConfig
    fingerprint: str
    keep: int = 2
    #: The step of the last checkpoint this store saved.
    saved_step: int | None = None

    def paths(self) -> list[Path]:
        """Complete checkpoints, oldest first (temporaries start with a dot and are skipped)."""
        if not self.root.is_dir() or not owned(self.root):  # never read a user's folder
            return []
        found = [
            p for p in self.root.iterdir() if p.name.startswith(PREFIX) and (p / META).is_file()
        ]
        return sorted(found, key=lambda p: p.name)

    def save(self, step: int, weights: dict[str, torch.Tensor], state: dict[str, Any]) -> Path:
        import torch
        from safetensors.torch import save_file

        claim_dir(self.root, error=TrainingError)
        target = self.root / f"{PREFIX}{step:08d}"
        with atomic_dir(target, replaceable=lambda p: (p / META).is_file()) as tmp:
            save_file({k: v.detach().contiguous().cpu() for k, v in weights.items()}, tmp / WEIGHTS)
            torch.save(state, tmp / STATE)
            meta = {
                "step": step,
                "fingerprint": self.fingerprint,
                "config": redact(self.config.to_dict()),  # no credentials on disk
            }
            write_json(tmp / META, meta)
        self.saved_step = step
        for old in self.paths()[: -self.keep]:
            shutil.rmtree(old, ignore_errors=True)
        return target

    def latest(self) -> Checkpoint | None:
        """The newest checkpoint, checked against this run; ``None`` when there is none."""
        paths = self.paths()
        return self.load(paths[-1]) if paths else None

    def load(self, path: Path) -> Checkpoint:
        import torch
        from safetensors.torch import load_file

        # a corrupt weights file raises SafetensorError
        errors: tuple[type[BaseException], ...] = (*load_errors(), KeyError)
        try:
            meta = json.loads((path / META).read_text(encoding="utf-8"))
            self._check(meta, path)
            weights = load_file(path / WEIGHTS)
            state = torch.load(path / STATE, weights_only=True, map_location="cpu")
        except errors as exc:
            raise TrainingError(f"damaged checkpoint: {first_line(exc)}", path=path) from None
        return Checkpoint(path, int(meta["step"]), weights, state)

    def _check(self, meta: dict[str, Any], path: Path) -> None:
        if meta.get("fingerprint") != self.fingerprint:
            raise TrainingError(
                "checkpoint was made from a different corpus; train without resume to start over",
                path=path,
            )
        saved = redact(TrainConfig.from_dict(meta["config"]).identity())
        current = redact(self.config.identity())  # the saved config holds no credentials
        differing = sorted(k for k, v in current.items() if saved.get(k) != v)
        if differing:
            raise TrainingError(
                f"checkpoint was made with different settings ({', '.join(differing)}); "
                "train without resume to start over",
                path=path,
            )

    def check(self) -> None:
        """Refuse, before training, a checkpoint folder tweetgen did not make (the user's)."""
        check_claimable(self.root, error=TrainingError)

    def clear(self) -> None:
        """Delete the checkpoints, only ever in a folder tweetgen made (it holds a marker)."""
        if not remove_owned(self.root):
            self.check()


def rng_state() -> dict[str, Any]:
    """Every generator a run draws from, so a resumed run draws what the unbroken one would."""
    import torch

    state: dict[str, Any] = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    import torch

    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
