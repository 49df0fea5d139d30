"""The contract every filter must meet, checked over posts hypothesis generates.

A filter's test module subclasses :class:`FilterContract` and provides a ``filter`` fixture::

    from tweetgen.testing import FilterContract

    class TestMyFilter(FilterContract):
        @pytest.fixture
        def filter(self):
            return MyFilter(threshold=3)

The fixture may return anything :meth:`tweetgen.Corpus.filter` accepts: a filter class's
instance, a chain ``a | b``, or a plain function ``Post -> Post | None``.

Each check runs the filter the way tweetgen runs it (through :meth:`tweetgen.Corpus.filter`)
over generated posts of every kind (see :mod:`tweetgen.testing.strategies`): ids and order are
kept, a second run changes nothing (set ``idempotent = False`` for filters where that cannot
hold), the report counts exactly what was dropped and rewritten, and a filter with a table
path (``filter_table``) agrees with its own post-by-post ``__call__``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tweetgen.filters.base import as_filter
from tweetgen.records.post import Post
from tweetgen.records.report import FilterStep
from tweetgen.testing.strategies import posts

#: Examples per check; ``TWEETGEN_HYPOTHESIS_EXAMPLES`` raises it to hunt harder.
DEFAULT_EXAMPLES = 40


def apply_filter(filter: Any, items: Sequence[Post]) -> tuple[list[Post], list[FilterStep]]:
    """Run ``filter`` over ``items`` as tweetgen does; the posts kept and the steps reported.

    ``filter`` is anything :meth:`tweetgen.Corpus.filter` accepts: a filter, a chain, or a
    plain function ``Post -> Post | None``.
    """
    from tweetgen.corpus.corpus import Corpus

    corpus = Corpus.from_posts(items, meta={"source": "test"})
    result = corpus.filter(filter)
    steps = list(result.report.steps[len(corpus.report.steps) :])
    return list(result), steps


def stream_filter(filter: Any, items: Sequence[Post]) -> list[Post]:
    """Run ``filter`` one post at a time (its ``__call__``), bypassing any table path."""
    return list(as_filter(filter)(list(items)))


def filter_problems(filter: Any, items: Sequence[Post], *, idempotent: bool = True) -> list[str]:
    """Every way ``filter`` breaks the contract on ``items``, as readable lines."""
    out, steps = apply_filter(filter, items)
    problems: list[str] = []
    ids = [p.id for p in items]
    kept = [p.id for p in out]
    if len(set(kept)) != len(kept) or not set(kept) <= set(ids):
        problems.append(f"output ids {kept} are not a subset of the input ids {ids}")
    elif kept != [i for i in ids if i in set(kept)]:
        problems.append(f"order changed: {ids} became {kept}")
    problems += _report_problems(items, out, steps)
    streamed = stream_filter(filter, items)
    if [(p.id, p.text) for p in streamed] != [(p.id, p.text) for p in out]:
        problems.append(
            "the table path (filter_table) and the post stream (__call__) disagree: "
            f"{[(p.id, p.text) for p in out]} vs {[(p.id, p.text) for p in streamed]}"
        )
    if idempotent and not problems:
        again, _ = apply_filter(filter, out)
        if [(p.id, p.text) for p in again] != [(p.id, p.text) for p in out]:
            problems.append(
                "not idempotent: a second run changed "
                f"{[(p.id, p.text) for p in out]} to {[(p.id, p.text) for p in again]} "
                "(set idempotent = False if that is intended)"
            )
    return problems


def _report_problems(items: Sequence[Post], out: list[Post], steps: list[FilterStep]) -> list[str]:
    if not steps:
        return ["the report has no step for the filter"]
    problems = []
    dropped = len(items) - len(out)
    if steps[0].seen != len(items):
        problems.append(f"the report says it saw {steps[0].seen} posts, not {len(items)}")
    if sum(s.dropped for s in steps) != dropped:
        counted = sum(s.dropped for s in steps)
        problems.append(f"the report counts {counted} dropped, but {dropped} were")
    if steps[-1].kept != len(out):
        problems.append(f"the report says {steps[-1].kept} kept, but {len(out)} were")
    before = {p.id: p.text for p in items}
    changed = sum(1 for p in out if before.get(p.id) != p.text)
    if len(steps) == 1 and steps[0].changed != changed:
        problems.append(f"the report counts {steps[0].changed} rewritten, but {changed} were")
    return problems


def _examples() -> int:
    return int(os.environ.get("TWEETGEN_HYPOTHESIS_EXAMPLES", DEFAULT_EXAMPLES))


class FilterContract:
    """Mix into a pytest class; needs a ``filter`` fixture returning the filter under test."""

    #: False for filters where a second run may change more (``unescape-html``).
    idempotent: ClassVar[bool] = True
    #: Posts to test with; override to aim the checks at what the filter looks for.
    posts: ClassVar[st.SearchStrategy[list[Post]]] = posts(max_size=10)
    #: More hypothesis settings, e.g. ``{"max_examples": 200}``.
    hypothesis_settings: ClassVar[dict[str, Any]] = {}

    def _check(self, filter: Any, *, idempotent: bool) -> None:
        options: dict[str, Any] = {
            "max_examples": _examples(),
            "deadline": None,
            "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
            "database": None,
        }

        @settings(**(options | self.hypothesis_settings))
        @given(self.posts)
        def check(items: list[Post]) -> None:
            problems = filter_problems(filter, items, idempotent=idempotent)
            assert not problems, "\n".join(problems)

        check()

    def test_filter_keeps_ids_order_and_counts(self, filter: Any) -> None:
        """Ids and order kept, report counts exact, on any posts (idempotence aside)."""
        self._check(filter, idempotent=False)

    def test_filter_is_idempotent(self, filter: Any) -> None:
        if not self.idempotent:
            pytest.skip("idempotent = False for this filter")
        self._check(filter, idempotent=True)

    def test_filter_reports_name_and_reason(self, filter: Any) -> None:
        """The data table needs a row label: each reported step has a name and a reason."""
        _, steps = apply_filter(filter, [])
        for step in steps:
            assert step.name and step.reason, f"step {step} lacks a name or a reason"
