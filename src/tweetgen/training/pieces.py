"""GPT-2 byte-level BPE over whole arrays: the pre-tokenizer in numpy, BPE once per distinct piece.

A byte-level BPE tokenizer (GPT-2's, and the ones :func:`~tweetgen.model.base.train_bpe`
builds) cuts a text into pieces with one regex, then runs BPE on each piece on its own::

    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+

In the Rust tokenizer that cut, with its string bookkeeping, is most of the time. Here it is
done for a whole chunk of posts at once: every character gets a class (letter, number,
space, other) from a table, and the pieces start where the regex would start them, decided
by comparing each character with its neighbours (:func:`piece_starts`). Arrow then finds the
distinct pieces, the Rust tokenizer encodes only those, and numpy lays their tokens out in
text order. The ids are those of ``tokenizer.encode(text)`` text by text; tests compare the
two over every code point and over real posts.

Only tokenizers of exactly that form take this path (:func:`supports`); others are encoded by
the Rust tokenizer's batch encode.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Character classes of the regex: ``\\p{L}``, ``\\p{N}``, ``\\s``, and everything else.
OTHER, LETTER, NUMBER, SPACE = 0, 1, 2, 3
_UNKNOWN = 255
#: Oniguruma's ``\\s`` for Unicode text: the White_Space property.
_SPACE_RANGES: tuple[tuple[int, int], ...] = (
    (0x09, 0x0D),
    (0x20, 0x20),
    (0x85, 0x85),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
)
WHITE_SPACE = frozenset(cp for low, high in _SPACE_RANGES for cp in range(low, high + 1))
_APOSTROPHE, _BLANK = ord("'"), ord(" ")
#: The regex's contractions after an apostrophe.
CONTRACTIONS = ("s", "t", "re", "ve", "m", "ll", "d")
#: New pieces joined into one text per Rust call (per-text overhead dominates single pieces).
GROUP = 100


def supports(backend: Any) -> bool:
    """Whether ``backend`` (a ``tokenizers.Tokenizer``) is a plain GPT-2-style byte-level BPE.

    That is: no normalizer, the ByteLevel pre-tokenizer with GPT-2's regex and no added prefix
    space, a BPE model without dropout, no truncation or padding set, and an added token
    (such as ``<|endoftext|>``) to join pieces with.
    """
    try:
        spec = json.loads(backend.to_str())
    except (AttributeError, ValueError, TypeError):
        return False
    pre = spec.get("pre_tokenizer") or {}
    model = spec.get("model") or {}
    return (
        spec.get("normalizer") is None
        and pre.get("type") == "ByteLevel"
        and pre.get("use_regex", True) is True
        and pre.get("add_prefix_space") is False
        and model.get("type") == "BPE"
        and model.get("dropout") is None
        and spec.get("truncation") is None
        and spec.get("padding") is None
        and _separator(backend) is not None
    )


def _separator(backend: Any) -> tuple[str, int] | None:
    """An added token that cuts a text cleanly (no stripping around it), with its id."""
    for ident, token in sorted(backend.get_added_tokens_decoder().items()):
        if token.content and not (token.lstrip or token.rstrip or token.single_word):
            return token.content, ident
    return None


@functools.cache
def _class_table() -> np.ndarray:
    """Classes by code point, filled in lazily for the code points met (see :func:`classes`)."""
    return np.full(0x110000, _UNKNOWN, dtype=np.uint8)


def _class_of(cp: int) -> int:
    if cp in WHITE_SPACE:
        return SPACE
    char = chr(cp)
    category = unicodedata.category(char)
    if category == "Cn":  # unassigned in Python's Unicode tables: ask the tokenizer's regex
        return _probed_class(char)
    return LETTER if category[0] == "L" else NUMBER if category[0] == "N" else OTHER


@functools.cache
def _probe() -> Any:
    from tokenizers import pre_tokenizers

    return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)


def _probed_class(char: str) -> int:
    """The class the Rust tokenizer's regex gives ``char`` (its Unicode tables may be newer).

    A letter or number continues the run it follows; two space characters before a letter
    are cut into three pieces (``\\s+(?!\\S)``), two others into two.
    """
    pieces = _probe().pre_tokenize_str
    if len(pieces(f"a{char}{char}")) == 1:
        return LETTER
    if len(pieces(f"1{char}{char}")) == 1:
        return NUMBER
    return SPACE if len(pieces(f"{char}{char}a")) == 3 else OTHER


def classes(codes: np.ndarray) -> np.ndarray:
    """The class of every code point in ``codes`` (Python is asked once per distinct one)."""
    table = _class_table()
    found = table[codes]
    missing = np.unique(codes[found == _UNKNOWN])
    if len(missing):
        table[missing] = [_class_of(int(cp)) for cp in missing]
        found = table[codes]
    return found


def piece_starts(codes: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Where the regex starts a piece, as a bool per character.

    ``codes`` are the code points of texts laid back to back; ``first`` marks each text's first
    character (the regex never looks across texts). The rules, read off the regex:

    * a piece starts where the class changes, and at every text's start;
    * a blank (U+0020) right before a non-space joins the piece after it;
    * a run of spaces followed by a non-space (in the same text) gives up its last character,
      which starts a piece of its own (``\\s+(?!\\S)``); a run at a text's end stays whole;
    * an apostrophe that starts a piece and is followed by ``s t re ve m ll d`` is a piece with
      those letters, and the letters after them start a new piece.
    """
    n = len(codes)
    cls = classes(codes)
    start = np.ones(n, dtype=bool)
    if n == 0:
        return start
    start[1:] = cls[1:] != cls[:-1]
    start |= first
    blank = codes == _BLANK
    # i is a non-space whose previous character (same text) is a space
    after_space = np.zeros(n, dtype=bool)
    after_space[1:] = (cls[1:] != SPACE) & (cls[:-1] == SPACE) & ~first[1:]
    at = np.flatnonzero(after_space)
    start[at - 1] = True  # the run's last character starts a piece
    start[at[blank[at - 1]]] = False  # ... and a blank joins the piece after it
    _contractions(codes, cls, first, blank, start)
    return start


def _contractions(
    codes: np.ndarray, cls: np.ndarray, first: np.ndarray, blank: np.ndarray, start: np.ndarray
) -> None:
    """Apply the contraction rule to ``start`` in place."""
    n = len(codes)
    quote = np.flatnonzero(codes == _APOSTROPHE)
    if not len(quote):
        return
    prev = np.maximum(quote - 1, 0)
    # the apostrophe starts a piece: text start, after a letter or number run, or after a
    # space character that is not a blank (a blank would have joined it)
    opens = (
        first[quote]
        | (cls[prev] == LETTER)
        | (cls[prev] == NUMBER)
        | ((cls[prev] == SPACE) & ~blank[prev])
    )
    quote = quote[opens]
    taken = np.zeros(len(quote), dtype=np.int64)  # letters after the apostrophe, 0 = none
    for suffix in CONTRACTIONS:
        match = taken == 0
        for k, letter in enumerate(suffix, start=1):
            pos = quote + k
            inside = pos < n
            ok = np.zeros(len(quote), dtype=bool)
            ok[inside] = (codes[pos[inside]] == ord(letter)) & ~first[pos[inside]]
            match &= ok
        taken[match] = len(suffix)
    quote, taken = quote[taken > 0], taken[taken > 0]
    for k in (1, 2):
        inner = quote[taken >= k] + k
        start[inner] = False
    end = quote + taken + 1
    end = end[end < n]
    start[end] = True


@dataclass
class PieceEncoder:
    """Encodes texts with ``backend`` via :func:`piece_starts`, remembering each piece's ids.

    The memory is per encoder (one :func:`~tweetgen.training.data.tokenize_corpus` call): it
    holds one entry per distinct piece, which is what the Rust tokenizer's own word cache does.
    """

    backend: Any
    _index: dict[bytes, int] = field(default_factory=dict)
    _flat: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    _offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))

    def __post_init__(self) -> None:
        added = self.backend.get_added_tokens_decoder()
        self._added = tuple(token.content for token in added.values() if token.content)
        separator = _separator(self.backend)
        if separator is None:
            raise ValueError("the tokenizer has no added token to join pieces with")
        self._separator = separator

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
        """The texts' ids back to back and each text's number of ids; ``None`` if declined.

        Declined: a text holding an added token (the Rust tokenizer splits those out before
        the regex runs) or a lone surrogate (not UTF-8: the Rust tokenizer raises).
        """
        import pyarrow as pa

        joined = "".join(texts)
        if any(token in joined for token in self._added):
            return None
        try:
            wide = joined.encode("utf-32-le")
        except UnicodeEncodeError:
            return None
        codes = np.frombuffer(wide, dtype=np.uint32)
        chars = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        text_start = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(chars, out=text_start[1:])
        first = np.zeros(len(codes) + 1, dtype=bool)
        first[text_start] = True
        starts = np.flatnonzero(piece_starts(codes, first[:-1]))
        # the pieces as Arrow binary values over the UTF-32 bytes, for Arrow's hashing
        bounds = np.append(starts, len(codes)) * 4
        buffers = [None, pa.py_buffer(bounds), pa.py_buffer(wide)]
        pieces = pa.Array.from_buffers(pa.large_binary(), len(starts), buffers)
        pieces = pieces.dictionary_encode()
        local = self._ids_of(pieces.dictionary.to_pylist())
        which = local[pieces.indices.to_numpy()]
        lengths = np.diff(self._offsets)[which]
        ids = self._flat[ranges(self._offsets[which], lengths)]
        # ids per text: the pieces of text t are those starting in its character range
        first_piece = np.searchsorted(starts, text_start)
        ends = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=ends[1:])
        return ids, np.diff(ends[first_piece])

    def _ids_of(self, pieces: list[bytes]) -> np.ndarray:
        """Global numbers of ``pieces`` (UTF-32 bytes), encoding the ones not seen before."""
        index = self._index
        new = [p for p in pieces if p not in index]
        if new:
            sizes, flat = self._encode_new(new)
            base = len(index)
            index.update((p, base + i) for i, p in enumerate(new))
            self._flat = np.concatenate([self._flat, flat])
            self._offsets = np.concatenate([self._offsets, self._offsets[-1] + np.cumsum(sizes)])
        return np.fromiter((index[p] for p in pieces), dtype=np.int64, count=len(pieces))

    def _encode_new(self, new: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """Ids per piece and all ids of ``new``, :data:`GROUP` pieces to a Rust call.

        Pieces of a group are joined by an added token, which the Rust tokenizer splits out
        before its regex runs, so each piece is encoded on its own. A group whose ids do not
        show exactly one separator between pieces is encoded piece by piece instead.
        """
        sizes: list[np.ndarray] = []
        flats: list[np.ndarray] = []
        separator, sep_id = self._separator
        glue = separator.encode("utf-32-le")
        groups = [new[i : i + GROUP] for i in range(0, len(new), GROUP)]
        texts = [glue.join(group).decode("utf-32-le") for group in groups]
        encoded = self.backend.encode_batch_fast(texts, add_special_tokens=False)
        for group, enc in zip(groups, encoded, strict=True):
            ids = np.asarray(enc.ids, dtype=np.int32)
            cuts = np.flatnonzero(ids == sep_id)
            if len(cuts) != len(group) - 1:
                singles = self.backend.encode_batch_fast(
                    [p.decode("utf-32-le") for p in group], add_special_tokens=False
                )
                lists = [e.ids for e in singles]
                sizes.append(np.fromiter(map(len, lists), dtype=np.int64, count=len(lists)))
                flats.append(np.asarray([t for ids in lists for t in ids], dtype=np.int32))
                continue
            sizes.append(np.diff(np.concatenate([[-1], cuts, [len(ids)]])) - 1)
            flats.append(ids[ids != sep_id])
        return np.concatenate(sizes), np.concatenate(flats)


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])``, without the loop."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    within = np.arange(total, dtype=np.int64) - np.repeat(ends - lengths, lengths)
    return np.repeat(np.asarray(starts, dtype=np.int64), lengths) + within
