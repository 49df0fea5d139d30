"""Held-out loss of a causal LM on posts, per token and per character.

Perplexity depends on the tokenizer: a model with a larger vocabulary spends fewer, harder
tokens on the same text. Bits per character divides the same summed loss by the characters
scored instead, so a GPT-2, a Llama-shaped base and the ``tiny`` base can be compared on the
same posts.

Each post is scored as the trainer frames it: end-of-text token, the post, end-of-text token.
The loss counts every token after the start, the end token included (it is how the model says
where a post ends), and the characters are the post's own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tweetgen.errors import EvaluationError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

#: Tokens per forward pass when scoring (posts of similar length share a batch).
BATCH_TOKENS = 4096


@dataclass(frozen=True)
class HeldOutLoss:
    """Summed next-token loss (nats) over ``tokens`` scored tokens of ``characters`` chars."""

    posts: int
    characters: int
    tokens: int
    nats: float

    @property
    def loss(self) -> float:
        """Mean loss per token (nats), what the trainer reports as ``eval_loss``."""
        return self.nats / self.tokens if self.tokens else math.nan

    @property
    def perplexity(self) -> float:
        return math.exp(min(self.loss, 50.0)) if self.tokens else math.nan

    @property
    def bits_per_char(self) -> float:
        """Bits per character: comparable between models with different tokenizers."""
        return self.nats / self.characters / math.log(2) if self.characters else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "posts": self.posts,
            "characters": self.characters,
            "tokens": self.tokens,
            "loss": self.loss,
            "perplexity": self.perplexity,
            "bits_per_char": self.bits_per_char,
        }


def framed_posts(
    texts: Sequence[str], tokenizer: PreTrainedTokenizerBase, limit: int, frame: int | None
) -> tuple[list[list[int]], int]:
    """Each post as ``end + ids + end`` cut to ``limit`` tokens, and the characters scored.

    ``end`` is the end-of-text token, as the trainer frames posts and the generator starts
    them (a chat model's BOS, such as SmolLM2's ``<|im_start|>``, never began a post), or
    ``frame`` when given (a base scored with the token its fine-tune was trained with). A post
    cut short counts only the characters of the tokens kept (decoded), so a model with a short
    position table is not charged for text it never saw.
    """
    end = tokenizer.eos_token_id if frame is None else frame
    if end is None:
        raise EvaluationError("the tokenizer has no end-of-text token: posts cannot be framed")
    encoded = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    posts, characters = [], 0
    for text, ids in zip(texts, encoded, strict=True):
        framed = [int(end), *ids, int(end)]
        if len(framed) > limit:
            framed = framed[:limit]
            characters += len(tokenizer.decode(framed[1:], skip_special_tokens=True))
        else:
            characters += len(text)
        posts.append(framed)
    return posts, characters


def score_posts(
    model: Any,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    *,
    frame: int | None = None,
) -> HeldOutLoss:
    """The summed loss of ``model`` on every post of ``texts``, each post on its own, framed by
    the tokenizer's end-of-text token or by the token id ``frame``."""
    import torch

    if not texts:
        raise EvaluationError("no held-out posts to score")
    limit = getattr(model.config, "max_position_embeddings", None) or 1024
    posts, characters = framed_posts(texts, tokenizer, int(limit), frame)
    device = next(model.parameters()).device
    order = sorted(range(len(posts)), key=lambda i: len(posts[i]))
    nats, tokens = 0.0, 0
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for batch in _batches([posts[i] for i in order], BATCH_TOKENS):
                summed, counted = _batch_loss(model, batch, device)
                nats, tokens = nats + summed, tokens + counted
    finally:
        model.train(was_training)
    return HeldOutLoss(len(posts), characters, tokens, nats)


def _batches(posts: list[list[int]], batch_tokens: int) -> list[list[list[int]]]:
    """Consecutive posts (sorted by length) in batches of at most ``batch_tokens`` padded."""
    out: list[list[list[int]]] = []
    current: list[list[int]] = []
    for post in posts:
        if current and (len(current) + 1) * len(post) > batch_tokens:
            out.append(current)
            current = []
        current.append(post)
    if current:
        out.append(current)
    return out


def _batch_loss(model: Any, batch: list[list[int]], device: Any) -> tuple[float, int]:
    import torch
    import torch.nn.functional as F

    width = max(len(p) for p in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, post in enumerate(batch):
        ids[row, : len(post)] = torch.tensor(post)
        mask[row, : len(post)] = 1
    labels = ids.masked_fill(mask == 0, -100)[:, 1:]
    ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
    logits = model(input_ids=ids, attention_mask=mask, use_cache=False).logits[:, :-1]
    loss = F.cross_entropy(
        logits.float().flatten(0, 1), labels.flatten(), ignore_index=-100, reduction="sum"
    )
    return float(loss), int((labels != -100).sum())
