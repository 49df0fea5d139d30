"""The models a server answers for: each one's generator and what its page card shows.

A card shows what the model folder already tells: the account (``tweetgen.json``'s authors, or
the folder name), the display name and picture when the folder has them (a ``profile`` entry in
``tweetgen.json``, or a ``profile.*``/``avatar.*`` picture), the data table and the widget
prompt of the model card. Nothing from the training posts themselves.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tweetgen.corpus.datatable import labelled
from tweetgen.errors import ServeError, TweetgenError
from tweetgen.generation.generator import Generator
from tweetgen.model.card import WIDGET_TEXT, widget_text
from tweetgen.model.finish import SAMPLING_DEFAULTS, read_metadata

#: Picture files a model folder may hold for its card, in the order they are looked for.
PICTURE_NAMES = ("profile", "avatar", "picture")
PICTURE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Card:
    """What the page shows of one model."""

    handle: str
    display_name: str | None = None
    picture: Path | None = None
    data: list[tuple[str, int]] = field(default_factory=list)
    prompt: str = WIDGET_TEXT
    temperature: float = 1.0
    top_p: float = 0.95


@dataclass
class ServedModel:
    """One model of a server: its API name, its generator and its card."""

    name: str
    generator: Generator
    card: Card
    #: The generator with a tokenizer of its own, for checking requests on the event loop
    #: while the worker thread samples: a fast tokenizer used by two threads at once can fail
    #: ("Already borrowed").
    checker: Generator

    @property
    def picture_type(self) -> str | None:
        pic = self.card.picture
        return None if pic is None else PICTURE_TYPES.get(pic.suffix.lower())


def model_name(path: Path) -> str:
    """The name a model is asked for by (``/models/NAME``, OpenAI's ``model``): its folder's,
    or the parent's when the folder is the usual ``model/`` of a ``tweetgen run``."""
    path = Path(os.path.abspath(path))
    name = path.parent.name if path.name == "model" and path.parent.name else path.name
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"
    return cleaned[:64]


def served_model(name: str, generator: Generator) -> ServedModel:
    """``generator`` under ``name``, its card read from its folder."""
    if not _NAME.fullmatch(name):
        raise ServeError(f"a model name is letters, digits, '.', '_' and '-', got {name!r}")
    checker = copy.copy(generator)
    checker.tokenizer = copy.deepcopy(generator.tokenizer)
    return ServedModel(name, generator, read_card(generator.path, name), checker)


def read_card(path: Path, name: str) -> Card:
    """The card of the model in ``path`` from ``tweetgen.json`` (none for a model tweetgen did
    not make: the folder name and the seed's prompt)."""
    try:
        meta = read_metadata(path) or {}
    except TweetgenError:
        meta = {}
    corpus = _mapping(meta.get("corpus"))
    authors = [str(a) for a in corpus.get("authors") or [] if str(a).strip()]
    profile = _mapping(meta.get("profile"))
    handle = str(profile.get("handle") or profile.get("username") or "") or (
        authors[0] if len(authors) == 1 else name
    )
    display = profile.get("display_name") or profile.get("name")
    data = meta.get("data")
    rows = data if isinstance(data, list) else []
    generation = _mapping(meta.get("generation")) or SAMPLING_DEFAULTS
    return Card(
        handle=handle.lstrip("@"),
        display_name=str(display) if display else None,
        picture=_picture(path, profile),
        data=_table(rows, corpus.get("source")),
        prompt=widget_text(meta) if meta else WIDGET_TEXT,
        temperature=_number(generation.get("temperature"), 1.0),
        top_p=_number(generation.get("top_p"), 0.95),
    )


def _picture(path: Path, profile: Mapping[str, Any]) -> Path | None:
    """The card's picture: the file ``profile`` names, else the first usual name found; only
    a regular file inside the model folder with a picture suffix."""
    named = profile.get("picture") or profile.get("avatar")
    candidates = [path / str(named)] if isinstance(named, str) and named else []
    candidates += [path / f"{stem}{ext}" for stem in PICTURE_NAMES for ext in PICTURE_TYPES]
    root = path.resolve()
    for file in candidates:
        try:
            real = file.resolve()
        except OSError:
            continue
        inside = real.is_relative_to(root)
        if inside and real.suffix.lower() in PICTURE_TYPES and real.is_file():
            return real
    return None


def _table(rows: list[Any], source: Any) -> list[tuple[str, int]]:
    pairs = [
        (str(r[0]), int(r[1]))
        for r in rows
        if isinstance(r, list | tuple) and len(r) == 2 and isinstance(r[1], int)
    ]
    return labelled(pairs, str(source) if source else None)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: Any, default: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else default


__all__ = ["Card", "ServedModel", "model_name", "read_card", "served_model"]
