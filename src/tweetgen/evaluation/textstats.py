"""How samples differ from the author's posts: lengths, variety, and words used too often.

* **Length KS**: the two-sample Kolmogorov-Smirnov statistic of post lengths in characters,
  the largest gap between the two cumulative distributions (0: the same, 1: no overlap).
* **distinct-n** (Li et al., 2016): distinct word n-grams over all n-grams of a set of posts.
  It falls as a set grows, so the author's value is taken on as many of their posts as there
  are samples.
* **Overused words**: words whose share of the samples' words most exceeds their share of the
  author's, on add-one smoothed rates (a word the author never used can still be overused).

Words are those of :func:`tweetgen.model.novelty.normalise` (case folded, punctuation dropped), the
same the copy check compares.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tweetgen.model.novelty import normalise

#: A word must occur this many times in the samples to be called overused.
MIN_OVERUSED = 3
TOP_OVERUSED = 10


def ks_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """The two-sample KS statistic: max over x of |F_a(x) - F_b(x)| (NaN if one is empty)."""
    if len(a) == 0 or len(b) == 0:
        return math.nan
    xs, ys = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    points = np.concatenate([xs, ys])
    cdf_a = np.searchsorted(xs, points, side="right") / len(xs)
    cdf_b = np.searchsorted(ys, points, side="right") / len(ys)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Distinct word n-grams over all word n-grams of ``texts`` (NaN when there are none)."""
    grams: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        words = normalise(text)
        grams.update(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    total = sum(grams.values())
    return len(grams) / total if total else math.nan


def author_subset(texts: Sequence[str], size: int) -> list[str]:
    """``size`` of the author's posts at random (seeded): distinct-n at the samples' set size."""
    if size >= len(texts):
        return list(texts)
    return random.Random(0).sample(list(texts), size)


@dataclass(frozen=True)
class WordUse:
    """A word the samples use ``ratio`` times as often as the author (per 1,000 words)."""

    word: str
    sample_count: int
    author_count: int
    sample_per_1000: float
    author_per_1000: float
    ratio: float


def overused_words(samples: Sequence[str], author: Sequence[str]) -> list[WordUse]:
    """The :data:`TOP_OVERUSED` words the samples use most often relative to the author."""
    mine = Counter(w for text in samples for w in normalise(text))
    theirs = Counter(w for text in author for w in normalise(text))
    n_mine, n_theirs = sum(mine.values()), sum(theirs.values())
    if not n_mine or not n_theirs:
        return []
    vocab = len(set(mine) | set(theirs))
    found = []
    for word, count in mine.items():
        if count < MIN_OVERUSED:
            continue
        rate = (count + 1) / (n_mine + vocab)
        author_rate = (theirs[word] + 1) / (n_theirs + vocab)
        if rate <= author_rate:
            continue
        per = 1000 * count / n_mine, 1000 * theirs[word] / n_theirs
        found.append(WordUse(word, count, theirs[word], *per, rate / author_rate))
    found.sort(key=lambda w: (-w.ratio, w.word))
    return found[:TOP_OVERUSED]
