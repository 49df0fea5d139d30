"""The training curve of a model: ``training_log.jsonl`` in its folder.

The trainer writes one JSON object per line: ``{"step", "epoch", "tokens", "loss", "lr"}`` for
each training step and ``{"step", "epoch", "eval_loss"}`` for each validation (a loss is
``null`` where a run diverged: that point is left out). A model made
before that log existed still has the per-epoch ``history`` of ``tweetgen.json``, read instead.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tweetgen.errors import EvaluationError
from tweetgen.model.files import json_object

TRAINING_LOG = "training_log.jsonl"
#: Larger logs are refused: a run logs a few numbers a step.
MAX_LOG_BYTES = 256 * 1024 * 1024


@dataclass
class TrainingCurve:
    """Training loss by step, validation loss by step; ``source`` says where they came from."""

    train: list[tuple[float, float]] = field(default_factory=list)
    validation: list[tuple[float, float]] = field(default_factory=list)
    source: str = "none"

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "train": self.train, "validation": self.validation}


def read_training_curve(model_dir: str | Path) -> TrainingCurve:
    """The curve from ``training_log.jsonl``, else from ``tweetgen.json``'s history, else empty."""
    path = Path(model_dir) / TRAINING_LOG
    if path.is_file():
        return _read_log(path)
    return _from_history(Path(model_dir) / "tweetgen.json")


def _read_log(path: Path) -> TrainingCurve:
    curve = TrainingCurve(source=TRAINING_LOG)
    if path.stat().st_size > MAX_LOG_BYTES:
        raise EvaluationError(f"larger than {MAX_LOG_BYTES:,} bytes", path=path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"unreadable: {exc}", path=path) from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            raise EvaluationError(f"line {number}: not JSON", path=path) from None
        if not isinstance(entry, dict):
            raise EvaluationError(f"line {number}: expected a JSON object", path=path)
        step = _number(entry.get("step"), "step", number, path)
        for key, points in (("eval_loss", curve.validation), ("loss", curve.train)):
            if entry.get(key) is not None:  # null: a diverged step (nan or inf), not drawn
                points.append((step, _number(entry[key], key, number, path)))
                break
    return curve


def _number(value: Any, name: str, line: int, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EvaluationError(f"line {line}: {name} must be a finite number", path=path)
    return float(value)


def _from_history(meta_path: Path) -> TrainingCurve:
    """Per-epoch points from ``tweetgen.json`` (its ``train_loss`` is the epoch's mean)."""
    meta = json_object(meta_path)
    if meta is None:
        return TrainingCurve()
    history = meta.get("history") or []
    curve = TrainingCurve(source="tweetgen.json history")
    for entry in history if isinstance(history, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("step"), int | float):
            continue
        if isinstance(entry.get("eval_loss"), int | float):
            curve.validation.append((float(entry["step"]), float(entry["eval_loss"])))
        if isinstance(entry.get("train_loss"), int | float):
            curve.train.append((float(entry["step"]), float(entry["train_loss"])))
    return curve
