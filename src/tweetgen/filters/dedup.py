"""Exact near-duplicate search over short texts: shingle Jaccard with prefix filtering.

Each text becomes the set of its character ``size``-grams (after :func:`normalise`). A text
is a near-duplicate when its Jaccard similarity with an *earlier kept* text is at least
``threshold``. Instead of comparing all pairs, shingles are ordered rarest first and only the
first ``n - ceil(t * n) + 1`` of each set are indexed: two sets with Jaccard >= t must share
one of those (the "All-Pairs" prefix filter, Bayardo et al. 2007), so the result is exact,
not approximate like MinHash, and deterministic. Candidates are then checked exactly.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from tweetgen.filters.text import normalise

_EPS = 1e-9


def shingles(text: str, size: int) -> frozenset[str]:
    """Character ``size``-grams of the normalised text; a short text is its own shingle."""
    norm = normalise(text)
    if len(norm) <= size:
        return frozenset((norm,))
    return frozenset(norm[i : i + size] for i in range(len(norm) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def _prefix_length(n: int, threshold: float) -> int:
    # A set of n shingles shares at least ceil(t * n) with any set it is t-similar to.
    return n - max(1, math.ceil(threshold * n - _EPS)) + 1


def near_duplicates(texts: Sequence[str], threshold: float, size: int) -> list[bool]:
    """For each text, whether it is a near-duplicate of an earlier text that was kept."""
    sets = [shingles(t, size) for t in texts]
    frequency = Counter(s for shingle_set in sets for s in shingle_set)
    index: defaultdict[str, list[int]] = defaultdict(list)
    dropped: list[bool] = []
    for i, current in enumerate(sets):
        ordered = sorted(current, key=lambda s: (frequency[s], s))
        prefix = ordered[: _prefix_length(len(ordered), threshold)]
        candidates = {j for s in prefix for j in index.get(s, ())}
        duplicate = any(
            min(len(current), len(sets[j])) >= threshold * max(len(current), len(sets[j])) - _EPS
            and jaccard(current, sets[j]) >= threshold
            for j in sorted(candidates)
        )
        dropped.append(duplicate)
        if not duplicate:
            for s in prefix:
                index[s].append(i)
    return dropped
