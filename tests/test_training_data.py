"""Tokens to blocks: packing never mixes posts; packed logits equal one-post-at-a-time logits."""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tweetgen.training.data import (  # noqa: E402
    IGNORE,
    Batches,
    Tokens,
    build_blocks,
    pack,
    tokenize_corpus,
)
from tweetgen.training.trainer import post_mask  # noqa: E402


def _docs(n: int = 40, seed: int = 1, eos: int = 0) -> list[list[int]]:
    rng = random.Random(seed)
    return [
        [eos] + [rng.randrange(1, 90) for _ in range(rng.randint(1, 30))] + [eos] for _ in range(n)
    ]


def _tokens(docs: list[list[int]]) -> Tokens:
    offsets = np.cumsum([0] + [len(d) for d in docs])
    return Tokens(np.array([t for d in docs for t in d], dtype=np.int32), offsets)


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
    lengths = np.array([len(d) for d in docs])
    packing = pack(lengths, 64, np.random.default_rng(0))
    assert sorted(packing.posts.tolist()) == list(range(len(docs)))
    ends = packing.start + lengths[packing.posts]
    assert ends.max() <= 64
    for block in range(packing.n_blocks):  # posts of a block never overlap
        here = packing.block == block
        spans = sorted(zip(packing.start[here], ends[here], strict=True))
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    used = lengths.sum() / (64 * packing.n_blocks)
    assert used > 0.9  # best-fit decreasing leaves little padding


def test_pack_draws_differently_per_seed_but_the_same_block_count() -> None:
    lengths = np.array([len(d) for d in _docs(300)])
    a, b = (pack(lengths, 64, np.random.default_rng(s)) for s in (0, 1))
    assert a.n_blocks == b.n_blocks
    assert not np.array_equal(a.posts, b.posts)


def test_blocks_restart_positions_and_have_no_target_across_posts() -> None:
    docs = [[0, 5, 6, 0], [0, 7, 0]]
    packing = pack(np.array([4, 3]), 10, np.random.default_rng(0))
    blocks = build_blocks(_tokens(docs), packing, 10, pad_id=0)
    first, second = (4, 3) if packing.start[packing.posts == 0][0] == 0 else (3, 4)
    assert blocks.position_ids[0].tolist() == [*range(first), *range(second), 0, 0, 0]
    got = blocks.targets[0].tolist()
    # each token's target is the next token of its own post; a post's last token has none
    expected = {4: [5, 6, 0, IGNORE], 3: [7, 0, IGNORE]}
    assert got == expected[first] + expected[second] + [IGNORE] * 3


def test_long_posts_are_cut_to_the_block() -> None:
    docs = [list(range(1, 30))]
    packing = pack(np.array([29]), 16, np.random.default_rng(0))
    blocks = build_blocks(_tokens(docs), packing, 16, pad_id=0)
    assert blocks.input_ids[0].tolist() == list(range(1, 17))
    assert blocks.targets[0].tolist() == [*range(2, 17), IGNORE]


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_packed_logits_match_one_post_at_a_time(attn: str) -> None:
    model = _model(attn)
    docs = _docs(12)
    lengths = np.array([len(d) for d in docs])
    packing = pack(lengths, 64, np.random.default_rng(0))
    blocks = build_blocks(_tokens(docs), packing, 64, pad_id=0)
    positions = torch.from_numpy(blocks.position_ids)
    with torch.no_grad():
        packed = model(
            input_ids=torch.from_numpy(blocks.input_ids),
            position_ids=positions,
            attention_mask=post_mask(positions, model),
            use_cache=False,
        ).logits
        for post, block, start in zip(packing.posts, packing.block, packing.start, strict=True):
            doc = docs[post]
            alone = model(input_ids=torch.tensor([doc]), use_cache=False).logits[0]
            got = packed[block, start : start + len(doc)]
            torch.testing.assert_close(got, alone, atol=1e-4, rtol=1e-4)


def test_a_plain_causal_mask_would_differ() -> None:
    """Guard that the test above can fail: causal attention over a whole block leaks context."""
    model = _model("sdpa")
    docs = [[0, 5, 6, 7, 0], [0, 8, 9, 0]]
    ids = torch.tensor([docs[0] + docs[1]])
    positions = torch.tensor([[0, 1, 2, 3, 4, 0, 1, 2, 3]])
    with torch.no_grad():
        plain = torch.ones_like(ids)  # a 2D mask: plain causal attention over the block
        leaky = model(
            input_ids=ids, position_ids=positions, attention_mask=plain, use_cache=False
        ).logits[0, 5:9]
        masked = model(
            input_ids=ids,
            position_ids=positions,
            attention_mask=post_mask(positions, model),
            use_cache=False,
        ).logits[0, 5:9]
        alone = model(input_ids=torch.tensor([docs[1]]), use_cache=False).logits[0]
    torch.testing.assert_close(masked, alone, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(leaky, alone, atol=1e-4)


def test_batches_are_reproducible_per_epoch_with_fixed_shapes() -> None:
    tokens = _tokens(_docs(100))
    make = lambda: Batches(tokens, rows=4, block_size=64, pad_id=0, seed=3)  # noqa: E731
    a, b = make(), make()
    first = [x.input_ids.tolist() for x in a.epoch(0)]
    assert first == [x.input_ids.tolist() for x in b.epoch(0)]
    assert len(first) == len(a) == len(list(a.epoch(1)))
    assert first != [x.input_ids.tolist() for x in a.epoch(1)]
    assert [x.input_ids.tolist() for x in a.epoch(0, start=3)] == first[3:]
    assert {tuple(x.input_ids.shape) for x in a.epoch(0)} == {(4, 64)}
    labelled = [x.labelled for x in a.epoch(0)]
    assert labelled == [int((x.targets != IGNORE).sum()) for x in a.epoch(0)]
    assert sum(labelled) == a.labelled_tokens


def test_ranks_take_disjoint_batches() -> None:
    tokens = _tokens(_docs(100))
    ranks = [
        Batches(tokens, rows=2, block_size=64, pad_id=0, seed=3, rank=r, world=2) for r in (0, 1)
    ]
    assert len(ranks[0]) == len(ranks[1])
    rows = [tuple(row) for r in ranks for x in r.epoch(0) for row in x.input_ids.tolist()]
    assert len(rows) == len(set(rows))


class _Counting:
    """A tokenizer stand-in that counts its calls (the cache must make the second one free)."""

    eos_token_id = 0
    calls = 0

    def __call__(self, texts: list[str], add_special_tokens: bool = False) -> dict[str, Any]:
        self.calls += 1
        return {"input_ids": [[ord(c) % 50 + 1 for c in t] for t in texts]}

    def get_vocab(self) -> dict[str, int]:
        return {"a": 1}


def test_tokenize_frames_posts_and_caches_by_fingerprint(tmp_path: Any) -> None:
    tok = _Counting()
    texts = ["ab", "", "xyz"]
    first = tokenize_corpus(texts, tok, fingerprint="f1", cache_dir=tmp_path)  # type: ignore[arg-type]
    assert first.lengths.tolist() == [4, 2, 5]
    assert first.ids[:4].tolist() == [0, ord("a") % 50 + 1, ord("b") % 50 + 1, 0]
    again = tokenize_corpus(texts, tok, fingerprint="f1", cache_dir=tmp_path)  # type: ignore[arg-type]
    assert tok.calls == 1 and np.array_equal(again.ids, first.ids)
    tokenize_corpus(texts, tok, fingerprint="f2", cache_dir=tmp_path)  # type: ignore[arg-type]
    assert tok.calls == 2  # another corpus: encoded again


def test_fused_gelu_computes_the_same_function() -> None:
    from tweetgen.model.base import fuse_activation

    model = _model("sdpa")
    assert model.config.activation_function == "gelu_new"
    ids = torch.tensor([[0, 5, 6, 7, 0]])
    with torch.no_grad():
        before = model(input_ids=ids, use_cache=False).logits
        fuse_activation(model)
        after = model(input_ids=ids, use_cache=False).logits
    assert model.config.activation_function == "gelu_pytorch_tanh"
    assert type(model.transformer.h[0].mlp.act).__name__ != "NewGELUActivation"
    torch.testing.assert_close(after, before, atol=1e-5, rtol=1e-5)
