"""Helpers for tests of trainers (tweetgen's own and plugins'): small corpora, tiny configs."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tweetgen.corpus.corpus import Corpus
from tweetgen.records.post import Post
from tweetgen.training.config import TrainConfig

_SUBJECTS = ["the cat", "my dog", "a robot", "the old man", "our team", "the bird", "my code"]
_VERBS = ["likes", "hates", "eats", "builds", "watches", "sings to", "forgets"]
_OBJECTS = ["the moon", "green apples", "cold coffee", "the river", "tiny boxes", "loud music"]
_ENDINGS = ["today.", "again!", "every morning.", "on mondays.", "and nobody cares.", "lol"]


def corpus_from_texts(texts: Sequence[str], *, author: str = "tester") -> Corpus:
    """A corpus of original posts with the given texts (ids and dates made up)."""
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    posts = (
        Post(str(i), author, text, start + timedelta(hours=i), "test")
        for i, text in enumerate(texts)
    )
    return Corpus.from_posts(posts, meta={"source": "test"})


def synthetic_texts(n: int = 300, *, seed: int = 0) -> list[str]:
    """Posts from a tiny grammar: learnable, so perplexity must fall quickly."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = [rng.choice(w) for w in (_SUBJECTS, _VERBS, _OBJECTS, _ENDINGS)]
        out.append(" ".join(parts))
    return out


def tiny_config(out_dir: Path, **overrides: Any) -> TrainConfig:
    """A "tiny" base small enough to train in a second or two on a CPU.

    ``overrides`` are settings as :meth:`TrainConfig.from_settings` takes them
    (``epochs=3``, ``tiny={"n_embd": 96}``, or dotted names in a dict: ``**{"tiny.n_layer": 1}``).
    """
    settings: dict[str, Any] = {
        "epochs": 2,
        "batch_tokens": 512,
        "block_size": 64,
        "tiny": {"vocab_size": 400, "n_layer": 2, "n_head": 2, "n_embd": 64},
        "warmup": 0.0,
        "device": "cpu",
        "seed": 0,
        "threads": 1,
    }
    if isinstance(overrides.get("tiny"), dict):
        overrides["tiny"] = settings["tiny"] | overrides["tiny"]
    return TrainConfig.tiny_preset(out_dir, **(settings | overrides))


__all__ = ["corpus_from_texts", "synthetic_texts", "tiny_config"]
