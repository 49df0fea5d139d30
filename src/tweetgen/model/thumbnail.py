"""The model's thumbnail: a picture of a few generated posts, drawn as posts, with Pillow.

The seed's card names a ``thumbnail`` in its metadata; tweetgen draws one at the end of
training (``thumbnail.png`` in the model folder) so a shared model shows what it writes at a
glance. Each post is drawn with the account's picture (or its initial), its name and
"@handle bot", and a GENERATED badge: a screenshot of it must not pass for a real post.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.base.atomic import atomic_file, write_json
from tweetgen.errors import TrainingError
from tweetgen.model.card import THUMBNAIL_FILE
from tweetgen.records.profile import clean_text

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

#: The usual social preview size (what the Hub and link previews crop to).
WIDTH, HEIGHT = 1200, 630
MAX_POSTS = 3
#: Pictures bigger than this (in pixels a side) are not decoded: an avatar is 400x400.
MAX_PICTURE_SIDE = 4096
AVATAR = 72
MARGIN = 36
TEXT_LINES = 3
CARD_HEIGHT = 170
#: Fonts tried in order, by file name: Pillow looks in the system's font folders.
FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf")
BOLD_FONTS = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf", "arialbd.ttf")
_BACKGROUND = (241, 245, 249)
_CARD = (255, 255, 255)
_BORDER = (203, 213, 225)
_TEXT = (15, 23, 42)
_MUTED = (100, 116, 139)
_BADGE = (254, 243, 199)
_BADGE_TEXT = (146, 64, 14)


@dataclass(frozen=True)
class Face:
    """What each drawn post shows of the account."""

    name: str
    handle: str
    picture: bytes | None = None


def face_of(meta: Mapping[str, Any], folder: Path) -> Face:
    """The face from ``tweetgen.json``'s ``profile`` (else the corpus's first author)."""
    profile = meta.get("profile")
    profile = profile if isinstance(profile, Mapping) else {}
    authors = meta.get("corpus", {}).get("authors") or []
    handle = clean_text(profile.get("handle"), 256) or (str(authors[0]) if authors else "bot")
    name = clean_text(profile.get("display_name"), 64) or handle
    picture = None
    file = profile.get("picture")
    if isinstance(file, str) and "/" not in file and (folder / file).is_file():
        picture = (folder / file).read_bytes()
    return Face(name, handle.lstrip("@"), picture)


def draw(posts: Sequence[str], face: Face) -> bytes:
    """A PNG of up to :data:`MAX_POSTS` posts, each drawn as a post marked generated."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), _BACKGROUND)
    pen = ImageDraw.Draw(image)
    title = f"Written by a model in the voice of @{face.handle}: generated, not real posts"
    pen.text((MARGIN, 18), title, font=_font(20), fill=_MUTED)
    shown = [p for p in posts if p.strip()][:MAX_POSTS]
    avatar = _avatar(face)
    height = min(CARD_HEIGHT, (HEIGHT - 64 - MARGIN) // max(len(shown), 1) - 14)
    first = 60 + (HEIGHT - 60 - MARGIN // 2 - len(shown) * (height + 14)) // 2
    for i, text in enumerate(shown):
        top = first + i * (height + 14)
        _post(image, pen, (MARGIN, top, WIDTH - MARGIN, top + height), text, face, avatar)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _post(
    image: Image.Image,
    pen: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    text: str,
    face: Face,
    avatar: Image.Image,
) -> None:
    left, top, right, bottom = box
    pen.rounded_rectangle(box, radius=18, fill=_CARD, outline=_BORDER, width=2)
    image.paste(avatar, (left + 20, top + 20), avatar)
    x = left + 20 + AVATAR + 18
    name_font, small = _font(24, bold=True), _font(20)
    room = right - 20 - x - _badge(pen, right - 20, top + 18) - 16
    name = fit(face.name, lambda s: pen.textlength(s, font=name_font), room)
    pen.text((x, top + 20), name, font=name_font, fill=_TEXT)
    after = x + pen.textlength(name, font=name_font) + 12
    handle = fit(f"@{face.handle} bot", lambda s: pen.textlength(s, font=small), x + room - after)
    pen.text((after, top + 24), handle, font=small, fill=_MUTED)
    body = _font(23)
    lines = wrap(text, lambda s: pen.textlength(s, font=body), right - 20 - x)
    room = max(1, min(TEXT_LINES, (bottom - top - 62) // 31))
    if len(lines) > room:
        lines = [*lines[: room - 1], lines[room - 1].rstrip() + " …"]
    for n, line in enumerate(lines[:room]):
        pen.text((x, top + 58 + n * 31), line, font=body, fill=_TEXT)


def fit(text: str, measure: Any, width: float) -> str:
    """``text``, cut with an ellipsis to fit ``width`` ("" when not even that fits)."""
    if measure(text) <= width:
        return text
    while text and measure(text + "…") > width:
        text = text[:-1]
    return text + "…" if text else ""


def _badge(pen: ImageDraw.ImageDraw, right: int, top: int) -> float:
    """Draw the GENERATED badge ending at ``right``; returns its width."""
    font = _font(16, bold=True)
    label = "GENERATED"
    width = pen.textlength(label, font=font) + 24
    pen.rounded_rectangle((right - width, top, right, top + 30), radius=15, fill=_BADGE)
    pen.text((right - width + 12, top + 6), label, font=font, fill=_BADGE_TEXT)
    return width


def wrap(text: str, measure: Any, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` (a word wider than a line is cut)."""
    lines: list[str] = []
    line = ""
    for word in " ".join(text.split()).split(" "):
        while measure(word) > width and len(word) > 1:  # a long URL or a run of CJK
            cut = len(word)
            while cut > 1 and measure(word[:cut]) > width:
                cut -= 1
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if measure(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _avatar(face: Face) -> Image.Image:
    """The account's picture cut to a circle, or a coloured circle with its initial."""
    from PIL import Image, ImageDraw

    picture = _decode(face.picture) if face.picture else None
    mask = Image.new("L", (AVATAR * 4, AVATAR * 4), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, AVATAR * 4 - 1, AVATAR * 4 - 1), fill=255)
    mask = mask.resize((AVATAR, AVATAR), Image.Resampling.LANCZOS)
    if picture is None:
        digest = hashlib.sha256(face.handle.encode()).digest()
        colour = (60 + digest[0] % 120, 60 + digest[1] % 120, 60 + digest[2] % 120)
        picture = Image.new("RGB", (AVATAR, AVATAR), colour)
        initial = (face.name.strip() or "?")[0].upper()
        pen = ImageDraw.Draw(picture)
        pen.text((AVATAR / 2, AVATAR / 2), initial, font=_font(34, bold=True), anchor="mm")
    picture.putalpha(mask)
    return picture


def _decode(data: bytes) -> Image.Image | None:
    """The picture as a square RGB image; None when it cannot (or should not) be decoded."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as opened:
            if max(opened.size) > MAX_PICTURE_SIDE:
                return None
            opened.draft("RGB", (AVATAR * 2, AVATAR * 2))  # JPEG: decode at a smaller scale
            image = opened.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return ImageOps.fit(image, (AVATAR, AVATAR), Image.Resampling.LANCZOS)


@cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    for name in BOLD_FONTS if bold else FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def add_thumbnail(
    folder: str | Path, posts: Sequence[str], *, model_ref: str | None = None
) -> Path | None:
    """Draw ``posts`` into ``folder/thumbnail.png``, name it in ``tweetgen.json`` as the
    card's ``thumbnail`` and re-render the card; None (and nothing written) without posts.

    ``model_ref`` is what the card's usage snippet loads (default: ``folder``)."""
    from tweetgen.model.files import METADATA_FILE
    from tweetgen.model.finish import local_ref, read_metadata, write_card

    folder = Path(folder)
    if not any(p.strip() for p in posts):
        return None
    meta = read_metadata(folder)
    if meta is None:
        raise TrainingError("not a tweetgen model (no tweetgen.json)", path=folder)
    png = draw(posts, face_of(meta, folder))
    with atomic_file(folder / THUMBNAIL_FILE, "wb") as handle:
        handle.write(png)
    meta["thumbnail"] = THUMBNAIL_FILE
    write_json(folder / METADATA_FILE, meta)
    write_card(folder, meta, model_ref=model_ref or local_ref(folder))
    return folder / THUMBNAIL_FILE
