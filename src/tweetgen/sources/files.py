"""Posts from plain files: ``jsonl`` (one JSON object per line) and ``csv`` (a header row).

Both map columns to post fields the same way (see :mod:`tweetgen.sources.records` and
docs/sources.md); ``tweetgen.Corpus.to_jsonl`` writes files the ``jsonl`` source reads back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from tweetgen.errors import InputFormatError, SourceError
from tweetgen.plugins.hookspecs import hookimpl
from tweetgen.plugins.options import Option
from tweetgen.records.post import Post
from tweetgen.sources.jsfile import decode_utf8, parse_json_text
from tweetgen.sources.records import OPTIONS, IdMaker, Mapping


def _existing_file(location: str) -> Path:
    path = Path(location).expanduser()
    if not path.exists():
        raise SourceError("no such file or directory", path=location)
    if not path.is_file():
        raise SourceError("not a file", path=location)
    return path


class JsonlSource:
    """One post per line, as a JSON object; blank lines are skipped."""

    name = "jsonl"
    description = "Posts from a JSON Lines file (one object per line), e.g. Corpus.to_jsonl."
    options: ClassVar[dict[str, Option]] = OPTIONS

    def read(self, location: str, **options: Any) -> Iterator[Post]:
        mapping = Mapping.from_options(self.name, location, options, ())
        return self._posts(_existing_file(location), mapping)

    def _posts(self, path: Path, mapping: Mapping) -> Iterator[Post]:
        label, ids = str(path), IdMaker()
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from None
        with handle:
            for number, raw in enumerate(handle, 1):
                line = _decode_line(raw, label, number).rstrip("\r\n")
                if not line.strip():
                    continue
                record = parse_json_text(line, label, line_offset=number - 1)
                if not isinstance(record, dict):
                    kind = type(record).__name__
                    raise InputFormatError(
                        f"line {number}: expected a JSON object, found {kind}", path=label
                    )
                yield mapping.to_post(record, label, number, self.name, ids)


def _decode_line(raw: bytes, label: str, number: int) -> str:
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise InputFormatError(
            f"line {number}: not valid UTF-8 (byte {exc.start} of the line)", path=label
        ) from None


class CsvSource:
    """A header row naming the columns, then one post per row (``.tsv``: tab-separated)."""

    name = "csv"
    description = "Posts from a CSV/TSV file with a header row (columns mapped by name)."
    options: ClassVar[dict[str, Option]] = {
        **OPTIONS,
        "delimiter": Option(
            "delimiter",
            str,
            None,
            "field separator (default ',', tab for .tsv; 'tab' and '\\t' work)",
        ),
    }

    def read(self, location: str, **options: Any) -> Iterator[Post]:
        delimiter = options.pop("delimiter", None)
        mapping = Mapping.from_options(self.name, location, options, ())
        path = _existing_file(location)
        if delimiter in (None, ""):
            delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        elif delimiter in ("tab", "\\t"):
            delimiter = "\t"
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise SourceError(f"option delimiter: expected one character, got {delimiter!r}")
        return self._posts(path, mapping, delimiter)

    def _posts(self, path: Path, mapping: Mapping, delimiter: str) -> Iterator[Post]:
        label, ids = str(path), IdMaker()
        try:
            text = decode_utf8(path.read_bytes(), label)
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from None
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = _row(reader, label)
        if header is None:
            raise InputFormatError("empty file (no header row)", path=label)
        header = [h.strip() for h in header]
        mapping.check_header(header, label)
        while (row := _row(reader, label)) is not None:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise InputFormatError(
                    f"line {reader.line_num}: {len(row)} fields but the header has {len(header)}",
                    path=label,
                )
            record = dict(zip(header, row, strict=False))
            yield mapping.to_post(record, label, reader.line_num, self.name, ids)


def _row(reader: Any, label: str) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise InputFormatError(f"line {reader.line_num}: {exc}", path=label) from None


@hookimpl
def register_sources(register: Callable[[type[Any]], None]) -> None:
    register(JsonlSource)
    register(CsvSource)
