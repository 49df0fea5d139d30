"""Drafting posts to publish: novel, within the network's limit, naming nobody.

The novelty filter is always on here (a published near-copy of a training post would put
words in the person's mouth that they really wrote, passed off as a bot's), so a model
without ``novelty.json`` is refused. Drafts that mention an account are dropped too: a bot
must not notify people who never asked to hear from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tweetgen.errors import PublishError

#: Samples drawn per batch, and batches tried per post before giving up.
BATCH = 8
MAX_BATCHES = 8
_MENTION = re.compile(r"(?<![\w.])@[A-Za-z0-9_]")


def refusal(text: str, *, length: int, limit: int, seen: set[str], is_copy: bool) -> str | None:
    """Why ``text`` must not be published (None when it may be)."""
    if not text.strip():
        return "empty"
    if is_copy:
        return "a near-copy of a training post"
    if length > limit:
        return f"over the network's limit ({length} > {limit})"
    if _MENTION.search(text):
        return "mentions an account"
    if text.strip() in seen:
        return "already posted to this account"
    return None


class Drafter:
    """Posts from the model at ``model_dir`` that pass :func:`refusal`, one at a time."""

    def __init__(
        self,
        model_dir: Path,
        *,
        prompt: str,
        limit: int,
        length: Callable[[str], int],
        seen: set[str],
        seed: int | None = None,
        device: str = "auto",
    ) -> None:
        from tweetgen.generation.generator import Generator

        self.generator: Any = Generator(model_dir, device=device)
        if self.generator.novelty is None:
            raise PublishError(
                "no novelty.json: tweetgen post publishes only models tweetgen trained, "
                "so no post can be a near-copy of a training post",
                path=model_dir,
            )
        self.prompt, self.limit, self.length, self.seen = prompt, limit, length, seen
        self.seed = seed
        self.dropped: dict[str, int] = {}

    def next(self) -> str:
        for _ in range(MAX_BATCHES):
            seed = None if self.seed is None else self.seed + sum(self.dropped.values())
            result = self.generator.generate(self.prompt, BATCH, seed=seed, novelty=True)
            for sample in result.samples:
                text = sample.text.strip()
                why = refusal(
                    text,
                    length=self.length(text),
                    limit=self.limit,
                    seen=self.seen,
                    is_copy=self.generator.novelty.is_copy(text),
                )
                if why is None:
                    self.seen.add(text)
                    return text
                self.dropped[why] = self.dropped.get(why, 0) + 1
            if self.seed is not None:
                self.seed += BATCH
        raise PublishError(
            f"no publishable post in {BATCH * MAX_BATCHES} draws "
            f"(dropped: {', '.join(f'{n} {why}' for why, n in self.dropped.items()) or 'none'})"
        )
