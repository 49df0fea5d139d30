"""Language tags in BCP 47 form, whatever spelling a source used."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tweetgen.filters.builtin import KeepLanguages
from tweetgen.filters.languages import bcp47, is_language, primary


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zhCn", "zh-CN"),
        ("zh_cn", "zh-CN"),
        ("ZH-cn", "zh-CN"),
        ("zhHant", "zh-Hant"),
        ("zh_hant_tw", "zh-Hant-TW"),
        ("ptBr", "pt-BR"),
        ("es-419", "es-419"),
        ("en", "en"),
        ("und", "und"),
        (" de ", "de"),
        ("", None),
        (None, None),
        ("not a tag!", "not a tag!"),  # kept as given, not lost
    ],
)
def test_bcp47(tag: str | None, expected: str | None) -> None:
    assert bcp47(tag) == expected


@given(st.text(max_size=20))
def test_bcp47_is_idempotent_and_total(tag: str) -> None:
    once = bcp47(tag)
    assert bcp47(once) == once


def test_keep_languages_matches_the_primary_subtag() -> None:
    assert primary("zhCn") == primary("zh-Hant-TW") == "zh"
    keep = KeepLanguages(languages="zh")
    assert not keep._drops_lang("zh-CN") and not keep._drops_lang("zh-TW")
    assert keep._drops_lang("ja")
    assert not keep._drops_lang("zhCn")  # a source that did not normalise its tags


def test_one_rule_for_tags_that_name_no_language() -> None:
    """keep-languages, the card and tweetgen.json's corpus language all ask ``is_language``."""
    assert all(is_language(t) for t in ("en", "en-GB", "zhCn", "pt_br", "de"))
    assert not any(is_language(t) for t in (None, "", "und", "zxx", "mul", "qme", "qht", "12"))
