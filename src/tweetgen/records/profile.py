"""The account's face: handle, display name and picture, as a source found them.

Sources that know the account (the X archive's ``account.js``/``profile_media``, a Mastodon
export's ``actor.json``, a Bluesky profile record) hand one :class:`Profile` to the corpus,
which keeps it in its ``meta`` (JSON, the picture base64-encoded, so a saved corpus carries it
without a second file). The model folder then keeps the picture as a file, and the model card
and thumbnail show the header. Every part is optional: a missing or unusable part is left
out, never an error, because the face is decoration and must never stop a corpus being read.
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Pictures bigger than this are left out: an avatar is tens of kilobytes, and the corpus
#: meta (and the model folder) should not grow by megabytes for a header.
MAX_PICTURE_BYTES = 2 << 20
#: Display names longer than this are cut (X allows 50, Mastodon 30, Bluesky 64).
MAX_NAME_CHARS = 64
MAX_HANDLE_CHARS = 256
#: Leading bytes of the image formats a card can show everywhere, and their file suffixes.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
#: The picture's file name in a model folder is this plus its suffix (``avatar.jpg``).
PICTURE_STEM = "avatar"


def picture_suffix(data: bytes) -> str | None:
    """``jpg``, ``png``, ``gif`` or ``webp`` when ``data`` starts like one; else None."""
    for magic, suffix in _MAGIC:
        if data.startswith(magic):
            return suffix
    if len(data) > 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def clean_text(value: Any, limit: int) -> str | None:
    """One printable line of at most ``limit`` characters, or None for nothing usable."""
    if not isinstance(value, str):
        return None
    kept = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in value
        if unicodedata.category(ch) not in ("Cs", "Co", "Cn")
    )
    text = " ".join(kept.split())[:limit].strip()
    return text or None


@dataclass(frozen=True)
class Profile:
    """Who the posts are by. Build with :meth:`make`, which drops unusable parts."""

    handle: str
    display_name: str | None = None
    picture: bytes | None = None

    @classmethod
    def make(
        cls, handle: Any, display_name: Any = None, picture: bytes | None = None
    ) -> Profile | None:
        """A profile from raw values, or None without a usable handle."""
        name = clean_text(handle, MAX_HANDLE_CHARS)
        if name is None:
            return None
        name = name.lstrip("@")
        if not name or any(ch.isspace() for ch in name):
            return None
        usable = picture if isinstance(picture, bytes) and usable_picture(picture) else None
        return cls(name, clean_text(display_name, MAX_NAME_CHARS), usable)

    @property
    def picture_name(self) -> str | None:
        """The picture's file name in a model folder (``avatar.jpg``), None without one."""
        suffix = picture_suffix(self.picture) if self.picture else None
        return f"{PICTURE_STEM}.{suffix}" if suffix else None

    def to_meta(self) -> dict[str, Any]:
        """JSON for a corpus's ``meta["profile"]``."""
        data: dict[str, Any] = {"handle": self.handle, "display_name": self.display_name}
        if self.picture is not None:
            data["picture"] = base64.b64encode(self.picture).decode("ascii")
        return data

    @classmethod
    def from_meta(cls, data: Any) -> Profile | None:
        """The profile in a corpus's ``meta["profile"]``; None when absent or unusable."""
        if not isinstance(data, Mapping):
            return None
        picture = None
        encoded = data.get("picture")
        if isinstance(encoded, str) and len(encoded) <= MAX_PICTURE_BYTES * 4 // 3 + 4:
            try:
                picture = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                picture = None
        return cls.make(data.get("handle"), data.get("display_name"), picture)


def usable_picture(data: bytes) -> bool:
    return 0 < len(data) <= MAX_PICTURE_BYTES and picture_suffix(data) is not None


def profile_of(meta: Mapping[str, Any] | None) -> Profile | None:
    """The profile a corpus's meta holds (a merged corpus of several accounts has none)."""
    return Profile.from_meta((meta or {}).get("profile"))
