"""Posts to fixed-shape token blocks, in whole-array steps (numpy), never one post at a time.

Framing: each post becomes ``<|endoftext|> text <|endoftext|>``. The leading token is what
generation starts from, the trailing one teaches the model where a post ends. Posts longer than
a block are cut to it.

The path, each step one call over the whole corpus:

* :func:`tokenize_corpus`: the tokenizer on chunks of posts (a GPT-2-style BPE through
  :mod:`~tweetgen.training.pieces`), flattened into one ``int32`` array plus offsets
  (:class:`Tokens`); cached on disk by corpus fingerprint and tokenizer.
* :func:`pack`: which posts share a block. Best-fit decreasing, computed on the histogram of
  post lengths (at most ``block_size`` distinct lengths), so its cost does not grow with the
  number of posts; posts of equal length are interchangeable and are drawn at random per epoch.
* :func:`build_blocks`: the epoch's ``input_ids``, ``targets`` (the next token of the same
  post, or :data:`IGNORE`) and ``position_ids`` restarting at 0 for every post. Positions say
  where each post starts (``index - position``), which is all the trainer needs for an
  attention mask that keeps every token inside its own post.
* :class:`Batches`: an epoch as batches of ``rows`` blocks, reproducible from ``(seed, epoch)``
  (resuming relies on it), split across torchrun ranks.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tweetgen.base.atomic import atomic_file
from tweetgen.training import pieces
from tweetgen.training.pieces import ranges

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

IGNORE = -100
#: Texts encoded per step: large enough to keep the Rust tokenizer's threads busy ...
ENCODE_CHUNK = 50_000
#: ... and characters per step, which bound the memory of a step (~30 bytes a character).
ENCODE_CHARS = 4_000_000
CACHE_SUFFIX = ".tokens.npz"


@dataclass(frozen=True)
class Tokens:
    """Framed posts as one flat array: post ``i`` is ``ids[offsets[i]:offsets[i + 1]]``."""

    ids: np.ndarray  # int32
    offsets: np.ndarray  # int64, one more than there are posts

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def labelled(self, block_size: int) -> int:
        """Tokens that carry a label in an epoch: all but the first of each (cut) post."""
        return int(np.maximum(np.minimum(self.lengths, block_size) - 1, 0).sum())


def tokenizer_digest(tokenizer: PreTrainedTokenizerBase) -> str:
    """A digest of the tokenizer's vocabulary and rules (the cache key's second half)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    spec = backend.to_str() if backend is not None else repr(sorted(tokenizer.get_vocab().items()))
    return hashlib.sha256(spec.encode("utf-8")).hexdigest()[:16]


def tokenize_corpus(
    texts: Sequence[str],
    tokenizer: PreTrainedTokenizerBase,
    *,
    fingerprint: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Tokens:
    """Every post framed by end-of-text tokens, encoded a chunk of posts at a time.

    With ``fingerprint`` (the corpus's) and ``cache_dir``, the result is stored as
    ``<fingerprint>-<tokenizer digest>.tokens.npz`` and read back instead of encoding again.
    """
    eos = tokenizer.eos_token_id
    if eos is None:
        from tweetgen.errors import TrainingError

        raise TrainingError("the base model's tokenizer has no end-of-text token")
    cache = None
    if fingerprint is not None and cache_dir is not None:
        name = f"{fingerprint}-{tokenizer_digest(tokenizer)}-{eos}{CACHE_SUFFIX}"
        cache = Path(cache_dir) / name
        if cache.is_file():
            with np.load(cache) as saved:
                return Tokens(saved["ids"], saved["offsets"])
    tokens = _encode(list(texts), tokenizer, int(eos))
    if cache is not None:  # atomically: a reader sees the whole file or none
        with atomic_file(cache, "wb") as handle:
            np.savez(handle, ids=tokens.ids, offsets=tokens.offsets)
    return tokens


def _encode(texts: list[str], tokenizer: PreTrainedTokenizerBase, eos: int) -> Tokens:
    encode = _chunk_encoder(tokenizer)
    parts: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    for chunk in _chunks(texts):
        flat, sizes = encode(chunk)
        parts.append(_frame(flat, sizes, eos))
        lengths.append(sizes + 2)
    sizes = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    return Tokens(ids, offsets)


def _chunks(texts: list[str]) -> Iterator[list[str]]:
    """Runs of texts of about :data:`ENCODE_CHARS` characters (at most :data:`ENCODE_CHUNK`)."""
    chars = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))
    start = 0
    while start < len(texts):
        done = int(chars[start - 1]) if start else 0
        stop = int(np.searchsorted(chars, done + ENCODE_CHARS, side="right"))
        stop = min(max(stop, start + 1), start + ENCODE_CHUNK)
        yield texts[start:stop]
        start = stop


Encoder = Callable[[list[str]], tuple[np.ndarray, np.ndarray]]


def _chunk_encoder(tokenizer: PreTrainedTokenizerBase) -> Encoder:
    """What encodes a chunk: texts -> (their ids back to back, ids per text).

    A GPT-2-style byte-level BPE goes through :class:`~tweetgen.training.pieces.PieceEncoder`
    (same ids, a fraction of the time: benchmarks/RESULTS.md, "Tokenize + pack"); a chunk it
    declines (a text holding an added token such as ``<|endoftext|>``, or text that is not
    valid Unicode) and every other tokenizer are encoded by the tokenizer itself.
    """

    def encode(chunk: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return _flatten(tokenizer(chunk, add_special_tokens=False)["input_ids"])

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or not pieces.supports(backend):
        return encode
    encoder = pieces.PieceEncoder(backend)
    return lambda chunk: encoder.encode(chunk) or encode(chunk)


def _flatten(encoded: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    flat = np.fromiter(
        itertools.chain.from_iterable(encoded), dtype=np.int32, count=int(sizes.sum())
    )
    return flat, sizes


def _frame(flat: np.ndarray, sizes: np.ndarray, eos: int) -> np.ndarray:
    """``flat`` (posts back to back) with an end-of-text token before and after each post."""
    framed = np.full(len(flat) + 2 * len(sizes), eos, dtype=np.int32)
    starts = np.zeros(len(sizes), dtype=np.int64)
    np.cumsum(sizes + 2, out=starts)
    starts -= sizes + 1  # where each post's text begins in ``framed``
    framed[ranges(starts, sizes)] = flat
    return framed


# packing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Packing:
    """Where each post goes: post ``posts[k]`` starts at ``block[k] * block_size + start[k]``."""

    posts: np.ndarray
    block: np.ndarray
    start: np.ndarray
    n_blocks: int


def pack(lengths: np.ndarray, block_size: int, rng: np.random.Generator) -> Packing:
    """Place posts of ``lengths`` (cut to ``block_size``) into as few blocks as fit them.

    Best-fit decreasing on the length histogram: longest lengths first, each into the block
    group with the least room that still fits. Groups of identical blocks are tracked as one
    (a recipe of lengths times a count), so the work depends on ``block_size``, not on the
    number of posts. Which post of a length fills which slot, and the block order, are drawn
    from ``rng``.
    """
    lengths = np.minimum(np.asarray(lengths, dtype=np.int64), block_size)
    groups = _plan(np.bincount(lengths, minlength=block_size + 1), block_size)
    # posts of each length, shuffled: a pool each recipe slot draws from in turn
    order = np.lexsort((rng.random(len(lengths)), lengths))
    pool_start = np.searchsorted(lengths[order], np.arange(block_size + 1))
    slot_len, slot_count, slot_block, slot_start = [], [], [], []
    first_block = 0
    for recipe, count in groups:
        offset = 0
        for size in recipe:
            slot_len.append(size)
            slot_count.append(count)
            slot_block.append(first_block)
            slot_start.append(offset)
            offset += size
        first_block += count
    counts = np.asarray(slot_count, dtype=np.int64)
    sizes = np.asarray(slot_len, dtype=np.int64)
    # the k-th slot of a length takes the next ``count`` posts of that length's pool
    by_len = np.argsort(sizes, kind="stable")
    taken = np.zeros(len(sizes), dtype=np.int64)
    cum = np.cumsum(counts[by_len]) - counts[by_len]
    first_of_len = np.searchsorted(sizes[by_len], sizes[by_len])
    taken[by_len] = cum - cum[first_of_len] + pool_start[sizes[by_len]]
    posts = order[ranges(taken, counts)]
    block = ranges(np.asarray(slot_block, dtype=np.int64), counts)
    start = np.repeat(np.asarray(slot_start, dtype=np.int64), counts)
    shuffled = rng.permutation(first_block)
    return Packing(posts, shuffled[block], start, first_block)


def _plan(histogram: np.ndarray, block_size: int) -> list[tuple[tuple[int, ...], int]]:
    """Groups of identical blocks, as ``(lengths in the block, how many such blocks)``."""
    groups: list[list[Any]] = []  # [recipe, room, count]
    by_room: dict[int, list[int]] = {}  # room -> indices of groups with that room
    for size in range(block_size, 0, -1):
        need = int(histogram[size])
        while need:
            fit = next((r for r in range(size, block_size + 1) if by_room.get(r)), None)
            if fit is None:  # open blocks holding as many posts of this length as fit
                per_block = block_size // size
                full, rest = divmod(need, per_block)
                for n, count in ((per_block, full), (rest, 1 if rest else 0)):
                    if count:
                        _add(groups, by_room, (size,) * n, block_size - n * size, count)
                need = 0
                continue
            g = by_room[fit][-1]
            recipe, room, count = groups[g]
            k = min(need, count)
            if k == count:  # the whole group takes one more post
                by_room[fit].pop()
                groups[g] = [(*recipe, size), room - size, count]
                by_room.setdefault(room - size, []).append(g)
            else:  # k blocks of the group do
                groups[g][2] = count - k
                _add(groups, by_room, (*recipe, size), room - size, k)
            need -= k
    return [(tuple(recipe), count) for recipe, _, count in groups]


def _add(
    groups: list[list[Any]],
    by_room: dict[int, list[int]],
    recipe: tuple[int, ...],
    room: int,
    count: int,
) -> None:
    groups.append([recipe, room, count])
    by_room.setdefault(room, []).append(len(groups) - 1)


# blocks and batches --------------------------------------------------------------------------


@dataclass(frozen=True)
class Blocks:
    """One epoch's blocks as ``(n_blocks, block_size)`` arrays (see the module docstring)."""

    input_ids: np.ndarray
    targets: np.ndarray
    position_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.input_ids)


def build_blocks(tokens: Tokens, packing: Packing, block_size: int, pad_id: int) -> Blocks:
    """The arrays of ``packing``'s blocks; padding has no target and position 0.

    Posts are laid out in block order, so every write below walks memory forwards.
    """
    first = packing.block * block_size + packing.start
    order = np.argsort(first)
    first, posts = first[order], packing.posts[order]
    lengths = np.minimum(tokens.lengths[posts], block_size)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    total = int(ends[-1]) if len(ends) else 0
    size = packing.n_blocks * block_size
    index = np.int32 if max(size, len(tokens.ids)) < 2**31 - 1 else np.int64  # half the bytes
    within = np.arange(total, dtype=index) - np.repeat(starts.astype(index), lengths)
    src = within + np.repeat(tokens.offsets[posts].astype(index), lengths)
    dst = within + np.repeat(first.astype(index), lengths)
    ids = np.full(size, pad_id, dtype=np.int32)
    ids[dst] = tokens.ids[src]
    targets = np.full(size, IGNORE, dtype=np.int32)
    following = np.append(tokens.ids, np.int32(IGNORE))  # the token after each token
    targets[dst] = following[src + 1]
    targets[first + lengths - 1] = IGNORE  # a post's last token predicts nothing
    positions = np.zeros(size, dtype=np.int32)
    positions[dst] = within
    shape = (packing.n_blocks, block_size)
    return Blocks(*(a.reshape(shape) for a in (ids, targets, positions)))


@dataclass
class Batch:
    """Model inputs of one step: ``(rows, block_size)`` tensors."""

    input_ids: torch.Tensor
    targets: torch.Tensor
    position_ids: torch.Tensor
    #: Tokens with a target (counted on the host, so the loop never asks the device).
    labelled: int

    def to(self, device: torch.device | str) -> Batch:
        """Copy to ``device`` (asynchronously from pinned memory); targets become int64."""
        move = lambda t: t.to(device, non_blocking=True)  # noqa: E731
        return Batch(
            move(self.input_ids),
            move(self.targets).long(),
            move(self.position_ids),
            self.labelled,
        )


@dataclass(eq=False)
class Batches:
    """The batches of one split, reproducible per epoch.

    ``len()`` is the number of batches in an epoch (the same every epoch, which resuming
    relies on); ``epoch(e, start=k)`` yields epoch ``e`` from its ``k``-th batch. Under torchrun
    every rank packs the same blocks and takes every ``world``-th batch; a remainder that
    would leave a rank idle is dropped.
    """

    tokens: Tokens
    _: KW_ONLY
    rows: int
    block_size: int
    pad_id: int
    seed: int
    shuffle: bool = True
    rank: int = 0
    world: int = 1
    pin: bool = False

    def __post_init__(self) -> None:
        lengths = np.minimum(self.tokens.lengths, self.block_size)
        n_blocks = pack(lengths, self.block_size, np.random.default_rng(0)).n_blocks
        batches = -(-n_blocks // self.rows)
        self._len = batches if self.world == 1 else batches // self.world

    def __len__(self) -> int:
        return self._len

    @property
    def labelled_tokens(self) -> int:
        """Labelled tokens per epoch (all ranks together)."""
        return self.tokens.labelled(self.block_size)

    def blocks(self, epoch: int) -> Blocks:
        """All of ``epoch``'s blocks (every rank's), in training order."""
        seed = [self.seed, epoch] if self.shuffle else [self.seed]
        rng = np.random.default_rng(seed)
        packing = pack(self.tokens.lengths, self.block_size, rng)
        return build_blocks(self.tokens, packing, self.block_size, self.pad_id)

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        """This rank's batches of ``epoch`` from the ``start``-th, as CPU tensors."""
        import torch

        blocks = self.blocks(epoch)
        arrays = [blocks.input_ids, blocks.targets, blocks.position_ids]
        missing = self._len * self.world * self.rows - len(blocks)
        if missing > 0:  # fixed shapes: the last batch is filled with blocks of padding
            fill = (self.pad_id, IGNORE, 0)
            arrays = [_pad_rows(a, missing, v) for a, v in zip(arrays, fill, strict=True)]
        tensors = [torch.from_numpy(a) for a in arrays]
        if self.pin:
            tensors = [t.pin_memory() for t in tensors]
        targets = arrays[1]
        for i in range(start, self._len):
            first = (i * self.world + self.rank) * self.rows
            rows = slice(first, first + self.rows)
            labelled = int(np.count_nonzero(targets[rows] != IGNORE))
            ids, targets_t, positions = (t[rows] for t in tensors)
            yield Batch(ids, targets_t, positions, labelled)


def _pad_rows(array: np.ndarray, rows: int, value: int) -> np.ndarray:
    return np.concatenate([array, np.full((rows, array.shape[1]), value, dtype=array.dtype)])
