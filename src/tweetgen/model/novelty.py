"""Tell generated posts that copy a training post from ones the model wrote itself.

A model fine-tuned on a few thousand posts memorises some of them; printing a memorised post
as "generated" would misattribute it. The index keeps only 64-bit hashes of normalised text, so
it can ship inside a model directory without republishing the training posts.

The rule (a sample is a *copy* when any of these holds, after normalisation):

1. **exact**: it equals a training post;
2. **contains a post**: a run of at least ``min_words`` (5) consecutive words of the sample
   equals a whole training post;
3. **long shared run**: it shares a run of ``ngram`` (8) consecutive words with a training post.

Normalisation: Unicode NFKC, case folded, URLs and ``@mentions`` removed, every run of
characters that are not letters or digits turned into one space. So punctuation, emoji,
spacing and case never make a copy look new.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sys
import unicodedata
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tweetgen.errors import GenerationError

FORMAT_VERSION = 1
NGRAM = 8
MIN_WORDS = 5

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+")
_NON_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> list[str]:
    """The words of ``text`` as the index compares them."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _MENTION.sub(" ", _URL.sub(" ", text))
    return _NON_WORD.sub(" ", text).split()


def _hash(words: Sequence[str]) -> int:
    digest = hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _pack(values: Iterable[int]) -> str:
    """Sorted little-endian uint64s, base64: about 11 characters a hash in JSON."""
    packed = array("Q", sorted(values))
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def _unpack(text: str) -> set[int]:
    packed = array("Q")
    packed.frombytes(base64.b64decode(text.encode("ascii"), validate=True))
    if sys.byteorder == "big":
        packed.byteswap()
    return set(packed)


@dataclass
class NoveltyIndex:
    """Hashes of the training posts (whole, and every ``ngram``-word run)."""

    ngram: int = NGRAM
    min_words: int = MIN_WORDS
    posts: set[int] = field(default_factory=set)
    ngrams: set[int] = field(default_factory=set)

    @classmethod
    def build(cls, texts: Iterable[str]) -> NoveltyIndex:
        index = cls()
        for text in texts:
            index.add(text)
        return index

    def add(self, text: str) -> None:
        words = normalise(text)
        if not words:
            return
        self.posts.add(_hash(words))
        for i in range(len(words) - self.ngram + 1):
            self.ngrams.add(_hash(words[i : i + self.ngram]))

    def __len__(self) -> int:
        return len(self.posts)

    def copy_reason(self, text: str) -> str | None:
        """Which rule marks ``text`` a copy ("exact", "contains a post", "long run"), or None."""
        words = normalise(text)
        if not words:
            return None
        if _hash(words) in self.posts:
            return "exact"
        n = len(words)
        for i in range(n - self.ngram + 1):
            if _hash(words[i : i + self.ngram]) in self.ngrams:
                return "long run"
        for i in range(n):
            for j in range(i + self.min_words, n + 1):
                if _hash(words[i:j]) in self.posts:
                    return "contains a post"
        return None

    def is_copy(self, text: str) -> bool:
        return self.copy_reason(text) is not None

    # persistence -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "hash": "blake2b-64 of normalised words joined by one space",
            "ngram": self.ngram,
            "min_words": self.min_words,
            "posts": _pack(self.posts),
            "ngrams": _pack(self.ngrams),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoveltyIndex:
        try:
            if data["format"] != FORMAT_VERSION:
                raise ValueError(f"unsupported format {data['format']!r}")
            return cls(
                ngram=int(data["ngram"]),
                min_words=int(data["min_words"]),
                posts=_unpack(data["posts"]),
                ngrams=_unpack(data["ngrams"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise GenerationError(f"damaged novelty index: {exc}") from None
