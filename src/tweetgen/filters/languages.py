"""Language tags in one form (BCP 47), whatever spelling a source used.

Mastodon exports write ``zh-CN`` as the ``contentMap`` key ``zhCn``; others write ``zh_cn``
or ``ZH-cn``. Sources pass their tag through :func:`bcp47`, so ``keep-languages`` and the model
card see ``zh-CN``, :func:`primary` gives the language itself (``zh``), and :func:`is_language`
is the one rule for tags that name no language (``und``, X's ``qme``...).
"""

from __future__ import annotations

import re

#: ``zhCn``, ``zhHant``, ``ptBr``: a lower-case language glued to a capitalised subtag.
_CAMEL = re.compile(r"^([a-z]{2,3})([A-Z][A-Za-z]*|[0-9]{3})$")
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")


def _subtag(index: int, part: str) -> str:
    if index == 0:
        return part.lower()
    if len(part) == 4 and part.isalpha():
        return part.title()  # script: Hant, Latn
    if (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
        return part.upper()  # region: CN, BR, 419
    return part.lower()


def bcp47(tag: str | None) -> str | None:
    """``tag`` in BCP 47 case and separators (``zhCn`` -> ``zh-CN``); None when empty.

    Anything that is not shaped like a language tag comes back stripped but otherwise as
    given, so nothing a source read is silently lost.
    """
    if tag is None:
        return None
    text = tag.strip()
    if not text:
        return None
    camel = _CAMEL.match(text)
    if camel:
        text = f"{camel.group(1)}-{camel.group(2)}"
    text = text.replace("_", "-")
    if not _TAG.match(text):
        return text
    return "-".join(_subtag(i, part) for i, part in enumerate(text.split("-")))


def primary(tag: str | None) -> str:
    """The language subtag of ``tag`` (``zh`` of ``zhCn``, ``zh_cn`` or ``zh-Hant-TW``)."""
    normal = bcp47(tag) or ""
    return normal.split("-", 1)[0].lower()


#: Primary subtags that name no language (undetermined, none, uncoded, several).
_NO_LANGUAGE = frozenset({"und", "zxx", "mis", "mul"})


def is_language(tag: str | None) -> bool:
    """Whether ``tag`` names a language: not ``und`` and friends, nor one of X's private
    ``qaa``-``qtz`` codes (``qme`` media only, ``qht`` hashtags only), nor anything that is
    not letters."""
    code = primary(tag)
    private = len(code) == 3 and code[0] == "q" and "a" <= code[1] <= "t"
    return code.isalpha() and code not in _NO_LANGUAGE and not private
