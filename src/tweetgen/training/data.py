"""Posts to token batches: one post is one document, and documents never see each other.

Framing: each post becomes ``<|endoftext|> text <|endoftext|>``. The leading token is what
generation starts from (the seed prompted with ``<|endoftext|>``), the trailing one teaches the
model where a post ends, so sampling stops there. Posts longer than a block are truncated.

Two batchers:

* **packed** (default): posts are bin-packed into fixed blocks of ``block_size`` tokens
  (first-fit decreasing, so blocks are nearly full). ``position_ids`` restart at 0 for every
  post and no 2D attention mask is passed; transformers then detects the packed layout and
  builds a block-diagonal causal mask, so a token attends only to its own post. The first
  token of each post gets no label, so nothing is predicted across a post boundary.
* **padded**: posts of similar length are batched together (length buckets) and right-padded.

Both orders derive from ``(seed, epoch)`` only, so a resumed run sees the same batches.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

IGNORE = -100
#: How many batches' worth of posts a length bucket holds before sorting (padded batcher).
BUCKET_BATCHES = 50


@dataclass
class Batch:
    """Model inputs plus ``tokens``: how many labels count toward the loss."""

    input_ids: torch.Tensor
    labels: torch.Tensor
    position_ids: torch.Tensor | None
    attention_mask: torch.Tensor | None
    tokens: int

    def to(self, device: torch.device | str) -> Batch:
        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device, non_blocking=True)

        ids, labels = self.input_ids.to(device), self.labels.to(device)
        return Batch(ids, labels, move(self.position_ids), move(self.attention_mask), self.tokens)

    def model_inputs(self) -> dict[str, torch.Tensor]:
        out = {"input_ids": self.input_ids}
        if self.position_ids is not None:
            out["position_ids"] = self.position_ids
        if self.attention_mask is not None:
            out["attention_mask"] = self.attention_mask
        return out


def encode_posts(
    texts: Sequence[str], tokenizer: PreTrainedTokenizerBase, block_size: int
) -> list[list[int]]:
    """Token ids of each post, framed by end-of-text tokens and cut to ``block_size``."""
    eos = tokenizer.eos_token_id
    if eos is None:
        from tweetgen.errors import TrainingError

        raise TrainingError("the base model's tokenizer has no end-of-text token")
    encoded = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    return [([eos, *ids, eos])[:block_size] for ids in encoded]


def pack(docs: Sequence[Sequence[int]], block_size: int, rng: random.Random) -> list[list[int]]:
    """Group document indices into blocks of at most ``block_size`` tokens.

    First-fit decreasing: long posts are placed first, short ones fill the gaps. Equal lengths
    are shuffled with ``rng`` (so blocks mix differently each epoch) and so are the blocks.
    """
    order = list(range(len(docs)))
    rng.shuffle(order)
    order.sort(key=lambda i: -len(docs[i]))  # stable: ties stay shuffled
    blocks: list[list[int]] = []
    room: list[int] = []
    for i in order:
        need = len(docs[i])
        for b, free in enumerate(room):
            if free >= need:
                blocks[b].append(i)
                room[b] -= need
                break
        else:
            blocks.append([i])
            room.append(block_size - need)
    rng.shuffle(blocks)
    return blocks


def collate_packed(
    docs: Sequence[Sequence[int]], blocks: Sequence[Sequence[int]], block_size: int, pad_id: int
) -> Batch:
    """Blocks of packed posts as one batch (see the module docstring)."""
    import torch

    ids = torch.full((len(blocks), block_size), pad_id, dtype=torch.long)
    labels = torch.full_like(ids, IGNORE)
    positions = torch.zeros_like(ids)
    for row, block in enumerate(blocks):
        start = 0
        for i in block:
            doc = torch.tensor(docs[i], dtype=torch.long)
            end = start + len(doc)
            ids[row, start:end] = doc
            labels[row, start + 1 : end] = doc[1:]
            positions[row, start:end] = torch.arange(len(doc))
            start = end
        positions[row, start:] = torch.arange(block_size - start)  # padding: its own segment
    tokens = int((labels != IGNORE).sum())
    return Batch(ids, labels, positions, None, tokens)


def collate_padded(docs: Sequence[Sequence[int]], indices: Sequence[int], pad_id: int) -> Batch:
    """Posts right-padded to the longest in the batch, with a 2D attention mask."""
    import torch

    width = max(len(docs[i]) for i in indices)
    ids = torch.full((len(indices), width), pad_id, dtype=torch.long)
    labels = torch.full_like(ids, IGNORE)
    mask = torch.zeros_like(ids)
    for row, i in enumerate(indices):
        doc = torch.tensor(docs[i], dtype=torch.long)
        ids[row, : len(doc)] = doc
        labels[row, 1 : len(doc)] = doc[1:]
        mask[row, : len(doc)] = 1
    tokens = int((labels != IGNORE).sum())
    return Batch(ids, labels, None, mask, tokens)


def bucket_batches(
    docs: Sequence[Sequence[int]], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Batches of similar-length posts: shuffle, sort within buckets, shuffle the batches."""
    order = list(range(len(docs)))
    rng.shuffle(order)
    size = batch_size * BUCKET_BATCHES
    batches: list[list[int]] = []
    for start in range(0, len(order), size):
        bucket = sorted(order[start : start + size], key=lambda i: len(docs[i]))
        batches.extend(bucket[j : j + batch_size] for j in range(0, len(bucket), batch_size))
    rng.shuffle(batches)
    return batches


class Batches:
    """The batches of one split, reproducible per epoch.

    ``len()`` is the number of batches in an epoch (the same every epoch, which resuming
    relies on); ``epoch(e, start=k)`` yields epoch ``e`` from its ``k``-th batch.
    """

    def __init__(
        self,
        docs: list[list[int]],
        *,
        batch_size: int,
        block_size: int,
        packing: bool,
        pad_id: int,
        seed: int,
        shuffle: bool = True,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        self.docs = docs
        self.batch_size = batch_size
        self.block_size = block_size
        self.packing = packing
        self.pad_id = pad_id
        self.seed = seed
        self.shuffle = shuffle
        self.rank, self.world = rank, world
        self._len = len(self._groups(0))

    def _rng(self, epoch: int) -> random.Random:
        return random.Random(f"{self.seed}:{epoch}" if self.shuffle else "fixed")

    def _groups(self, epoch: int) -> list[Any]:
        """This rank's batches (as document indices) of ``epoch``.

        With several processes (torchrun) every rank computes the same order and takes every
        ``world``-th batch; a remainder that would leave a rank idle is dropped.
        """
        rng = self._rng(epoch)
        groups: list[Any]
        if self.packing:
            blocks = pack(self.docs, self.block_size, rng)
            groups = [
                blocks[i : i + self.batch_size] for i in range(0, len(blocks), self.batch_size)
            ]
        else:
            groups = bucket_batches(self.docs, self.batch_size, rng)
        if self.world == 1:
            return groups
        return groups[: len(groups) // self.world * self.world][self.rank :: self.world]

    def __len__(self) -> int:
        return self._len

    @property
    def tokens(self) -> int:
        """Labelled tokens per epoch."""
        return sum(len(d) - 1 for d in self.docs)

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        groups = self._groups(epoch)
        for group in groups[start:]:
            if self.packing:
                yield collate_packed(self.docs, group, self.block_size, self.pad_id)
            else:
                yield collate_padded(self.docs, group, self.pad_id)


__all__ = [
    "IGNORE",
    "Batch",
    "Batches",
    "bucket_batches",
    "collate_packed",
    "collate_padded",
    "encode_posts",
    "pack",
]
