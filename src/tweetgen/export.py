"""Turn a directory of trained weights into a self-describing model directory.

After training, the directory gets the seed's sampling defaults (``generation_config.json``),
a model card (``README.md``), the training metadata (``tweetgen.json``) and the novelty index
(``novelty.json``). It stays an ordinary transformers directory:
``pipeline("text-generation", model=DIR)`` loads it unchanged.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.atomic import atomic_file, write_json
from tweetgen.card import render_card
from tweetgen.errors import GenerationError, TrainingError
from tweetgen.novelty import NoveltyIndex
from tweetgen.secrets import redact

if TYPE_CHECKING:
    from tweetgen.corpus import Corpus

FORMAT_VERSION = 1
METADATA_FILE = "tweetgen.json"
NOVELTY_FILE = "novelty.json"
CARD_FILE = "README.md"
#: The seed's sampling settings (huggingtweets), stored as the model's generation defaults.
SAMPLING_DEFAULTS: dict[str, Any] = {
    "do_sample": True,
    "top_p": 0.95,
    "temperature": 1.0,
    "max_length": 160,
    "min_length": 10,
}
#: Settings that say where files went, not how the model was made: kept out of the metadata
#: because a pushed model would otherwise publish local paths.
_LOCAL_FIELDS = ("out_dir", "work_dir", "resume")


def finalize_model_dir(
    path: str | os.PathLike[str],
    *,
    corpus: Corpus,
    config: Any,
    metrics: Mapping[str, Any],
) -> None:
    """Write generation defaults, card, metadata and novelty index into the model at ``path``.

    ``config`` is a :class:`~tweetgen.training.config.TrainConfig` (or its ``to_dict()``);
    ``corpus`` is every post the model learned from (the data table and the novelty index come
    from it). Each file is written atomically.
    """
    path = Path(path)
    config_dict = dict(config.to_dict() if hasattr(config, "to_dict") else config)
    write_generation_config(path)
    # The trainer may have written its own record (history, framing): keep it, ours wins.
    meta = (read_metadata(path) or {}) | build_metadata(
        corpus=corpus, config=config_dict, metrics=metrics
    )
    meta.pop("corpus_fingerprint", None)  # now meta["corpus"]["fingerprint"]
    write_json(path / METADATA_FILE, meta)
    write_json(path / NOVELTY_FILE, NoveltyIndex.build(corpus.texts).to_dict())
    ref = _local_ref(Path(config_dict.get("out_dir") or path))
    write_card(path, meta, model_ref=ref)


def write_generation_config(path: Path) -> None:
    """``generation_config.json`` with the seed's sampling and the tokenizer's special ids."""
    from transformers import AutoTokenizer, GenerationConfig

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path))
    except (OSError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        message = f"no usable tokenizer in the model directory: {first}"
        raise TrainingError(message, path=path) from None
    eos = tokenizer.eos_token_id
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else eos
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    settings = dict(SAMPLING_DEFAULTS)
    positions = _max_positions(path)
    if positions is not None:  # a small model cannot be asked for more than it has
        settings["max_length"] = min(settings["max_length"], positions)
    generation = GenerationConfig(**settings, eos_token_id=eos, bos_token_id=bos, pad_token_id=pad)
    generation.save_pretrained(str(path))


def _max_positions(path: Path) -> int | None:
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = config.get("n_positions", config.get("max_position_embeddings"))
    return value if isinstance(value, int) else None


def build_metadata(
    *, corpus: Corpus, config: Mapping[str, Any], metrics: Mapping[str, Any]
) -> dict[str, Any]:
    """The content of ``tweetgen.json``: JSON types only, no credentials, no local paths."""
    from tweetgen.plugins import tweetgen_version

    stats = corpus.stats()
    language = next((k for k in stats.languages if k.isalpha() and k != "und"), None)
    merged = corpus.meta.get("merged") or []
    source = corpus.meta.get("source") or ", ".join(
        sorted({str(m.get("source")) for m in merged if isinstance(m, dict) and m.get("source")})
    )
    return {
        "format": FORMAT_VERSION,
        "tweetgen_version": tweetgen_version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": redact({k: v for k, v in config.items() if k not in _LOCAL_FIELDS}),
        "corpus": {
            "fingerprint": corpus.fingerprint(),
            "posts": len(corpus),
            "authors": sorted(stats.authors),
            "source": source or None,
            "language": language,
            "first": stats.first,
            "last": stats.last,
        },
        "data": [[label, count] for label, count in corpus.report.table()],
        "report": corpus.report.to_dict(),
        "metrics": {str(k): _json_number(v) for k, v in metrics.items()},
        "generation": SAMPLING_DEFAULTS,
    }


def write_card(
    path: Path, meta: Mapping[str, Any], *, model_ref: str, on_hub: bool = False
) -> None:
    card = render_card(meta, model_ref=model_ref, on_hub=on_hub)
    with atomic_file(path / CARD_FILE) as handle:
        handle.write(card)


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``tweetgen.json`` of a model directory, or None for a model tweetgen did not make."""
    return _read_json(Path(path) / METADATA_FILE)


def read_novelty(path: str | os.PathLike[str]) -> NoveltyIndex | None:
    data = _read_json(Path(path) / NOVELTY_FILE)
    return None if data is None else NoveltyIndex.from_dict(data)


def _read_json(file: Path) -> dict[str, Any] | None:
    if not file.is_file():
        return None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GenerationError(f"unreadable: {exc}", path=file) from None
    if not isinstance(data, dict):
        raise GenerationError("expected a JSON object", path=file)
    return data


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _local_ref(out_dir: Path) -> str:
    """How the card's usage snippet names a local model: relative when possible."""
    if not out_dir.is_absolute():
        return out_dir.as_posix()
    try:
        return out_dir.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return out_dir.name


__all__ = [
    "CARD_FILE",
    "METADATA_FILE",
    "NOVELTY_FILE",
    "SAMPLING_DEFAULTS",
    "build_metadata",
    "finalize_model_dir",
    "read_metadata",
    "read_novelty",
    "write_card",
]
