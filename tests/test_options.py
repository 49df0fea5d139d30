from __future__ import annotations

import pytest

from tweetgen import FilterError, SourceError, TrainingError
from tweetgen.plugins.options import check_options, parse_assignments, parse_bool, parse_int

SPELLINGS = [(True, True), ("yes", True), ("1", True), ("Off", False), ("n", False), (0, False)]


@pytest.mark.parametrize(("value", "expected"), SPELLINGS)
def test_parse_bool_accepts_the_usual_spellings(value: object, expected: bool) -> None:
    assert parse_bool(value, name="x") is expected


def test_parse_bool_refuses_anything_else_with_the_callers_error() -> None:
    with pytest.raises(SourceError, match="must be true or false, got ''"):
        parse_bool("", name="include_deleted")  # `-o include_deleted=` is a mistake, not false
    with pytest.raises(FilterError, match="drop-short: keep must be true or false, got 'maybe'"):
        parse_bool("maybe", name="drop-short: keep", error=FilterError)


def test_parse_int() -> None:
    assert parse_int(" 7 ", name="n", minimum=1) == 7
    for bad in (True, "7.5", "0", None, "--5", "²", "", "1e3"):
        with pytest.raises(SourceError, match="n must be an integer >= 1"):
            parse_int(bad, name="n", minimum=1)


def test_check_options_lists_the_known_ones() -> None:
    check_options("source 'x'", {"a": 1}, ["a", "b"])
    with pytest.raises(SourceError, match=r"unknown option\(s\) c for source 'x' \(known: a, b\)"):
        check_options("source 'x'", {"c": 1}, ["b", "a"])


def test_parse_assignments() -> None:
    pairs = ["block-size=64", "name=tiny", 'x={"a": [1]}', "e="]
    parsed = parse_assignments(pairs, what="setting", error=TrainingError)
    assert parsed == {"block_size": 64, "name": "tiny", "x": {"a": [1]}, "e": ""}
    assert parse_assignments(["n=64"], what="o", error=SourceError, json_values=False) == {
        "n": "64"
    }
    with pytest.raises(TrainingError, match="bad setting 'oops' \\(expected KEY=VALUE\\)"):
        parse_assignments(["oops"], what="setting", error=TrainingError)
