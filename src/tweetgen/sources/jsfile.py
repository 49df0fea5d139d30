"""Parse the ``window.YTD.tweets.part0 = [...]`` files of an X archive without evaluating them.

The files are JavaScript only in name: everything after the first ``=`` is JSON. The prefix is
checked against a strict pattern and the rest goes to :func:`json.loads`, so nothing in an
archive is ever executed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tweetgen.errors import InputFormatError

_ASSIGNMENT = re.compile(r"\A\s*window\.[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\s*=\s*")


def decode_utf8(data: bytes, label: str) -> str:
    """Strict UTF-8 (a BOM is allowed): a clear error instead of mojibake in the corpus."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFormatError(
            f"not valid UTF-8 (byte {exc.start:,}, line {line}: {exc.reason})", path=label
        ) from None


def parse_json_text(text: str, label: str, *, line_offset: int = 0) -> Any:
    """``json.loads`` with errors that name the file, line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFormatError(
            f"malformed JSON at line {exc.lineno + line_offset}, column {exc.colno}: {exc.msg}",
            path=label,
        ) from None
    except RecursionError:
        raise InputFormatError("JSON nested too deeply", path=label) from None


def parse_js(data: bytes, label: str) -> Any:
    """The JSON value assigned in an archive data file (bare JSON is accepted too)."""
    text = decode_utf8(data, label)
    match = _ASSIGNMENT.match(text)
    if match:
        body = text[match.end() :]
        offset = text.count("\n", 0, match.end())
    elif text.lstrip().startswith(("[", "{")):
        body, offset = text, 0
    else:
        raise InputFormatError(
            "not an X archive data file (expected 'window.YTD.<name>.part0 = [...]')",
            path=label,
        )
    body = body.rstrip()
    if body.endswith(";"):
        body = body[:-1]
    return parse_json_text(body, label, line_offset=offset)
