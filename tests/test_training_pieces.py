"""The array pre-tokenizer gives exactly the Rust tokenizer's ids, text by text.

Every comparison is against a straightforward reference: ``backend.encode(text)`` for each text
on its own, framed by end-of-text tokens, which is what ``tokenize_corpus`` returned before the
array path existed. A guard test shows the comparison catches a wrong rule.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("tokenizers")
transformers = pytest.importorskip("transformers")

from tweetgen.model.base import EOS, train_bpe  # noqa: E402
from tweetgen.training import pieces  # noqa: E402
from tweetgen.training.data import Tokens, tokenize_corpus  # noqa: E402

SETTINGS = settings(
    max_examples=int(os.environ.get("TWEETGEN_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

VARIED = [
    "",
    " ",
    "   ",
    "\n",
    "hello world",
    "it's what we're doing, they'll see I'd've",
    "'s 's ''s x's 1's \n's \t've 'S 'sup 'res",
    "Ünïcödé naïve café — “quotes” ‘single’",
    "日本語のテキスト、中文字符。한국어 텍스트",
    "emoji 😀🎉🔥 ❤️ 👍🏽 flags 🇯🇵 zwj 👩‍👩‍👧",
    "tabs\tand\r\nwindows\u2028line\u00a0nbsp\u3000ideographic\u2003em",
    "e\u0301 combining and \u200b zero width",
    "numbers 123 4.56 ٣٤٥ ⅷ ½",
    "  leading and trailing  ",
    "trailing newline\n\n",
    "new letters \u1c89\u1c8a \U000105c0 (Unicode 16)",
    "#hashtag @handle $cash https://t.co/x",
    "long " + " ".join(f"w{i}ord" for i in range(600)),
    "!!!??? ... ,,,;;; ---",
]


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    bpe = train_bpe(VARIED * 3 + ["the quick brown fox jumps over the lazy dog"] * 5, 512)
    return transformers.GPT2Tokenizer(
        tokenizer_object=bpe, eos_token=EOS, bos_token=EOS, unk_token=EOS
    )


def reference(texts: Sequence[str], tokenizer: Any) -> Tokens:
    """Each text encoded on its own and framed: the ids ``tokenize_corpus`` must give."""
    backend, eos = tokenizer.backend_tokenizer, tokenizer.eos_token_id
    docs = [[eos, *backend.encode(t, add_special_tokens=False).ids, eos] for t in texts]
    offsets = np.cumsum([0] + [len(d) for d in docs])
    return Tokens(np.array([t for d in docs for t in d], dtype=np.int32), offsets)


def assert_same(got: Tokens, want: Tokens) -> None:
    assert got.ids.dtype == np.int32 and got.offsets.dtype == np.int64
    assert got.offsets.tolist() == want.offsets.tolist()
    assert got.ids.tolist() == want.ids.tolist()


def test_the_tokenizers_tweetgen_builds_take_the_array_path(tokenizer: Any) -> None:
    assert pieces.supports(tokenizer.backend_tokenizer)
    assert pieces.PieceEncoder(tokenizer.backend_tokenizer).encode(VARIED) is not None


def test_a_saved_tiny_base_loads_a_tokenizer_that_takes_the_array_path(tmp_path: Path) -> None:
    """What the trainer encodes with: the tiny base written to disk and loaded back."""
    from tweetgen.model.base import build_tiny_base, load_tokenizer

    base = build_tiny_base(VARIED * 3, tmp_path / "base", vocab_size=300, n_layer=1, n_embd=16)
    loaded = load_tokenizer(base)
    assert pieces.supports(loaded.backend_tokenizer)
    assert_same(tokenize_corpus(VARIED, loaded), reference(VARIED, loaded))


def test_varied_posts_match_the_reference(tokenizer: Any) -> None:
    texts = VARIED * 2
    assert_same(tokenize_corpus(texts, tokenizer), reference(texts, tokenizer))


def test_chunks_share_pieces_and_still_match(tokenizer: Any, monkeypatch: Any) -> None:
    from tweetgen.training import data

    monkeypatch.setattr(data, "ENCODE_CHARS", 50)  # many chunks, pieces seen before reused
    texts = VARIED * 3
    assert_same(tokenize_corpus(texts, tokenizer), reference(texts, tokenizer))


@SETTINGS
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from(
                list(" \n\t\r'sStrevmld a1!日😀\u00a0\u3000\u0301\u1c89\u2028.")
            ),
            max_size=40,
        ),
        max_size=8,
    )
)
def test_any_text_over_the_regexs_edge_characters_matches(texts: list[str]) -> None:
    tok = _shared_tokenizer()
    assert_same(tokenize_corpus(texts, tok), reference(texts, tok))


def test_code_points_match_in_every_context(tokenizer: Any) -> None:
    """Code points in the contexts the regex distinguishes (letter and number runs, spaces
    before and after, contractions): all below U+0800, strides through the rest, and letters
    newer than Python's Unicode tables (classed by asking the tokenizer's regex). Every code
    point was checked this way once (0 differences; benchmarks/RESULTS.md)."""
    newer = [0x1C89, 0x1C8A, 0xA7CB, 0xA7DC, 0x105C0, 0x105C9]
    points = [*range(0x800), *range(0x800, 0x3400, 7), *range(0x3400, 0x110000, 211), *newer]
    chars = [chr(c) for c in points if not 0xD800 <= c < 0xE000]
    probe = "{c}a{c}{c}1{c}!{c} {c}  {c}\n{c}'s{c}'ll{c} {c}x{c} 've {c}\t {c}{c}  {c}'{c}s'{c}"
    texts = ["".join(probe.format(c=c) for c in chars[i : i + 8]) for i in range(0, len(chars), 8)]
    assert_same(tokenize_corpus(texts, tokenizer), reference(texts, tokenizer))


def test_the_comparison_fails_when_a_rule_is_wrong(tokenizer: Any, monkeypatch: Any) -> None:
    """Guard: without the contraction rule, the array path differs from the reference."""
    monkeypatch.setattr(pieces, "_contractions", lambda *args: None)
    texts = ["it's", "we're here"]
    with pytest.raises(AssertionError):
        assert_same(tokenize_corpus(texts, tokenizer), reference(texts, tokenizer))


def test_the_comparison_fails_when_blanks_stay_apart(tokenizer: Any, monkeypatch: Any) -> None:
    """Guard: a blank left out of the word after it is caught too. (Pieces cut too coarsely
    would not be: the Rust tokenizer cuts each piece again before its BPE.)"""
    real = pieces.piece_starts

    def blanks_apart(codes: np.ndarray, first: np.ndarray) -> np.ndarray:
        start = real(codes, first)
        start[1:] |= codes[:-1] == ord(" ")
        return start

    monkeypatch.setattr(pieces, "piece_starts", blanks_apart)
    texts = ["the quick brown fox jumps over the lazy dog"]
    with pytest.raises(AssertionError):
        assert_same(tokenize_corpus(texts, tokenizer), reference(texts, tokenizer))


def test_groups_whose_separators_do_not_add_up_are_encoded_piece_by_piece(
    tokenizer: Any,
) -> None:
    encoder = pieces.PieceEncoder(tokenizer.backend_tokenizer)
    encoder._separator = (encoder._separator[0], -1)  # no separator ever found
    texts = VARIED * 2
    got = encoder.encode(texts)
    assert got is not None
    want = reference(texts, tokenizer)
    inner = np.ones(len(want.ids), dtype=bool)
    inner[want.offsets[:-1]] = inner[want.offsets[1:] - 1] = False  # drop the framing
    assert got[0].tolist() == want.ids[inner].tolist()
    assert got[1].tolist() == (want.lengths - 2).tolist()


def test_added_tokens_inside_posts_use_the_rust_path(tokenizer: Any) -> None:
    texts = ["before <|endoftext|> after", "plain"]
    assert pieces.PieceEncoder(tokenizer.backend_tokenizer).encode(texts) is None
    assert_same(tokenize_corpus(texts, tokenizer), reference(texts, tokenizer))


def test_other_tokenizers_use_the_rust_path_with_the_same_result(tokenizer: Any) -> None:
    from tokenizers import Tokenizer, normalizers

    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    backend.normalizer = normalizers.Lowercase()
    other = transformers.GPT2Tokenizer(
        tokenizer_object=backend, eos_token=EOS, bos_token=EOS, unk_token=EOS
    )
    assert not pieces.supports(other.backend_tokenizer)
    texts = ["Hello World", "It's OK"]
    assert_same(tokenize_corpus(texts, other), reference(texts, other))


def test_the_shared_archive_matches(milahu_archive: Path, tokenizer: Any) -> None:
    from tweetgen import Corpus

    texts = Corpus.from_source("x-archive", str(milahu_archive)).texts
    assert_same(tokenize_corpus(texts, tokenizer), reference(texts, tokenizer))


_CACHE: list[Any] = []


def _shared_tokenizer() -> Any:
    """The module tokenizer for hypothesis tests (fixtures are not reset between examples)."""
    if not _CACHE:
        bpe = train_bpe(VARIED * 3, 512)
        _CACHE.append(
            transformers.GPT2Tokenizer(
                tokenizer_object=bpe, eos_token=EOS, bos_token=EOS, unk_token=EOS
            )
        )
    return _CACHE[0]
