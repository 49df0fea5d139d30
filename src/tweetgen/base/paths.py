"""Dataclass fields that take ``str`` or any path-like and always hold a :class:`~pathlib.Path`.

``TrainConfig(out_dir="model")`` is what people write; with a plain ``out_dir: Path`` field it
works at run time but fails strict type checking. A descriptor fixes both sides: type checkers
(mypy, pyright) read the constructor's parameter type from ``__set__`` (``str | PathLike``) and
the attribute's type from ``__get__`` (``Path``), so no caller ever needs ``Path(...)``.
Values that are not paths are stored as given, for the dataclass's own validation to reject
with a clear message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, overload

PathInput = str | os.PathLike[str]


def _as_path(value: Any) -> Any:
    """A Path for a path; anything else (``3``, ``""``, which is no path) as given."""
    is_path = isinstance(value, os.PathLike) or (isinstance(value, str) and value != "")
    return Path(value) if is_path else value


class PathField:
    """A ``Path`` attribute set from ``str`` or ``os.PathLike``; ``default`` when not given."""

    def __init__(self, default: PathInput) -> None:
        self.default = Path(default)

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = f"_{name}_path"

    @overload
    def __get__(self, obj: None, objtype: Any = None) -> Path: ...
    @overload
    def __get__(self, obj: object, objtype: Any = None) -> Path: ...
    def __get__(self, obj: object | None, objtype: Any = None) -> Path:
        if obj is None:  # the dataclass asks the class for the field's default
            return self.default
        value: Path = getattr(obj, self.attr, self.default)
        return value

    def __set__(self, obj: object, value: PathInput) -> None:
        setattr(obj, self.attr, _as_path(value))


class OptionalPathField:
    """Like :class:`PathField`, but ``None`` (the default) is allowed."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = f"_{name}_path"

    @overload
    def __get__(self, obj: None, objtype: Any = None) -> None: ...
    @overload
    def __get__(self, obj: object, objtype: Any = None) -> Path | None: ...
    def __get__(self, obj: object | None, objtype: Any = None) -> Path | None:
        if obj is None:
            return None
        value: Path | None = getattr(obj, self.attr, None)
        return value

    def __set__(self, obj: object, value: PathInput | None) -> None:
        setattr(obj, self.attr, None if value is None else _as_path(value))
