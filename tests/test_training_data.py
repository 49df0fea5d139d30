"""Batching: packing never mixes posts, and packed logits equal one-post-at-a-time logits."""

from __future__ import annotations

import random
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tweetgen.training.data import (  # noqa: E402
    IGNORE,
    Batches,
    collate_packed,
    collate_padded,
    pack,
)


def _docs(n: int = 40, seed: int = 1, eos: int = 0) -> list[list[int]]:
    rng = random.Random(seed)
    return [
        [eos] + [rng.randrange(1, 90) for _ in range(rng.randint(1, 30))] + [eos] for _ in range(n)
    ]


def _model(attn: str) -> Any:
    config = transformers.GPT2Config(
        vocab_size=100,
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=0,
        eos_token_id=0,
    )
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(config)
    model.config._attn_implementation = attn
    return model.eval()


def test_pack_places_every_post_once_within_blocks() -> None:
    docs = _docs(200)
    blocks = pack(docs, 64, random.Random(0))
    placed = sorted(i for block in blocks for i in block)
    assert placed == list(range(len(docs)))
    assert all(sum(len(docs[i]) for i in block) <= 64 for block in blocks)
    used = sum(len(d) for d in docs) / (64 * len(blocks))
    assert used > 0.9  # first-fit decreasing leaves little padding


def test_collate_packed_restarts_positions_and_masks_boundaries() -> None:
    docs = [[0, 5, 6, 0], [0, 7, 0]]
    batch = collate_packed(docs, [[0, 1]], block_size=10, pad_id=0)
    assert batch.position_ids is not None and batch.attention_mask is None
    assert batch.position_ids[0].tolist() == [0, 1, 2, 3, 0, 1, 2, 0, 1, 2]
    # no label on the first token of each post (nothing predicted across posts) or padding
    assert batch.labels[0].tolist() == [IGNORE, 5, 6, 0, IGNORE, 7, 0, IGNORE, IGNORE, IGNORE]
    assert batch.tokens == 5


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_packed_logits_match_one_post_at_a_time(attn: str) -> None:
    model = _model(attn)
    docs = _docs(12)
    blocks = pack(docs, 64, random.Random(0))
    batch = collate_packed(docs, blocks, 64, pad_id=0)
    with torch.no_grad():
        packed = model(**batch.model_inputs(), use_cache=False).logits
        for row, block in enumerate(blocks):
            start = 0
            for i in block:
                alone = model(input_ids=torch.tensor([docs[i]]), use_cache=False).logits[0]
                got = packed[row, start : start + len(docs[i])]
                torch.testing.assert_close(got, alone, atol=1e-4, rtol=1e-4)
                start += len(docs[i])


def test_packing_without_restarted_positions_would_differ() -> None:
    """Guard that the test above can fail: plain causal attention over a block leaks context."""
    model = _model("sdpa")
    docs = [[0, 5, 6, 7, 0], [0, 8, 9, 0]]
    batch = collate_packed(docs, [[0, 1]], 9, pad_id=0)
    with torch.no_grad():
        leaky = model(input_ids=batch.input_ids, use_cache=False).logits[0, 5:9]
        alone = model(input_ids=torch.tensor([docs[1]]), use_cache=False).logits[0]
    assert not torch.allclose(leaky, alone, atol=1e-4)


def test_padded_logits_match_one_post_at_a_time() -> None:
    model = _model("sdpa")
    docs = _docs(6)
    batch = collate_padded(docs, list(range(6)), pad_id=0)
    with torch.no_grad():
        padded = model(**batch.model_inputs(), use_cache=False).logits
        for row, doc in enumerate(docs):
            alone = model(input_ids=torch.tensor([doc]), use_cache=False).logits[0]
            torch.testing.assert_close(padded[row, : len(doc)], alone, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("packing", [True, False])
def test_batches_are_reproducible_per_epoch(packing: bool) -> None:
    docs = _docs(100)
    make = lambda: Batches(docs, batch_size=4, block_size=64, packing=packing, pad_id=0, seed=3)  # noqa: E731
    a, b = make(), make()
    first = [x.input_ids.tolist() for x in a.epoch(0)]
    assert first == [x.input_ids.tolist() for x in b.epoch(0)]
    assert len(first) == len(a) == len(list(a.epoch(1)))
    assert first != [x.input_ids.tolist() for x in a.epoch(1)]
    assert [x.input_ids.tolist() for x in a.epoch(0, start=3)] == first[3:]
    assert sum(x.tokens for x in a.epoch(0)) == a.tokens
