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
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.base.atomic import atomic_file, umask, write_json
from tweetgen.base.secrets import redact
from tweetgen.corpus.datatable import source_of
from tweetgen.errors import GenerationError, TrainingError
from tweetgen.filters.languages import is_language
from tweetgen.model.card import PIPELINE_FILE, render_card
from tweetgen.model.files import CONFIG, METADATA_FILE, json_object, model_files
from tweetgen.model.novelty import NoveltyIndex
from tweetgen.records.profile import Profile, profile_of

if TYPE_CHECKING:
    from tweetgen.corpus.corpus import Corpus

FORMAT_VERSION = 1
NOVELTY_FILE = "novelty.json"
CARD_FILE = "README.md"
#: The seed's sampling settings (huggingtweets), stored as the model's generation defaults,
#: less its ``min_length`` of 10 tokens: 6-15% of the posts of three of the four benchmark
#: voices are shorter than that allows, which kept length KS up (benchmarks/RESULTS.md).
SAMPLING_DEFAULTS: dict[str, Any] = {
    "do_sample": True,
    "top_p": 0.95,
    "temperature": 1.0,
    "max_length": 160,
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
    model_type = (json_object(path / CONFIG) or {}).get("model_type")
    if isinstance(model_type, str):
        meta["model_type"] = model_type
    meta |= write_face(path, profile_of(corpus.meta))
    write_json(path / METADATA_FILE, meta)
    write_json(path / NOVELTY_FILE, NoveltyIndex.build(corpus.texts).to_dict())
    write_card(path, meta, model_ref=local_ref(Path(config_dict.get("out_dir") or path)))
    usual_modes(path)


#: The pipeline picture shipped with tweetgen (also docs/pipeline.svg), copied into each model.
PIPELINE_PICTURE = Path(__file__).with_name(PIPELINE_FILE)


def write_face(path: Path, profile: Profile | None) -> dict[str, Any]:
    """The account's picture and the pipeline picture, written into the model at ``path``;
    returns what ``tweetgen.json`` records of them (file names, never the bytes)."""
    found: dict[str, Any] = {}
    if PIPELINE_PICTURE.is_file():
        with atomic_file(path / PIPELINE_FILE, "wb") as handle:
            handle.write(PIPELINE_PICTURE.read_bytes())
        found["pipeline_picture"] = PIPELINE_FILE
    if profile is None:
        return found
    face: dict[str, Any] = {"handle": profile.handle, "display_name": profile.display_name}
    if profile.picture is not None and profile.picture_name is not None:
        with atomic_file(path / profile.picture_name, "wb") as handle:
            handle.write(profile.picture)
        face["picture"] = profile.picture_name
    found["profile"] = face
    return found


def usual_modes(path: Path) -> None:
    """Give every file the mode a new file gets (0644 under the usual umask).

    transformers writes ``model.safetensors`` through a private temporary file (0600), so
    without this the weights alone would be unreadable to anyone else who may read the rest.
    """
    mode = 0o666 & ~umask()
    for file in model_files(path):  # the work folder's files are not the model's
        file.chmod(mode)


def add_tracking_links(path: str | os.PathLike[str], links: Mapping[str, str]) -> None:
    """Record an online W&B run's links in ``tweetgen.json`` and re-render the card with them."""
    path = Path(path)
    meta = read_metadata(path)
    if meta is None:
        return
    meta["wandb"] = dict(links)
    write_json(path / METADATA_FILE, meta)
    write_card(path, meta, model_ref=local_ref(path))


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
    # generation from nothing starts at bos_token_id: the end-of-text token that began every
    # post in training (tweetgen.training.data), whatever BOS the tokenizer has
    bos = eos if eos is not None else tokenizer.bos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    settings = dict(SAMPLING_DEFAULTS)
    config = json_object(path / CONFIG) or {}
    positions = config.get("n_positions", config.get("max_position_embeddings"))
    if isinstance(positions, int):  # a small model cannot be asked for more than it has
        settings["max_length"] = min(settings["max_length"], positions)
    generation = GenerationConfig(**settings, eos_token_id=eos, bos_token_id=bos, pad_token_id=pad)
    generation.save_pretrained(str(path))


def build_metadata(
    *, corpus: Corpus, config: Mapping[str, Any], metrics: Mapping[str, Any]
) -> dict[str, Any]:
    """The content of ``tweetgen.json``: JSON types only, no credentials, no local paths."""
    from tweetgen.plugins import tweetgen_version

    stats = corpus.stats()
    language = next((k for k in stats.languages if is_language(k)), None)
    base = str(config.get("base_model") or "")
    return {
        "format": FORMAT_VERSION,
        "tweetgen_version": tweetgen_version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": redact({k: v for k, v in config.items() if k not in _LOCAL_FIELDS}),
        "corpus": {
            "fingerprint": corpus.fingerprint(),
            "posts": len(corpus),
            "authors": sorted(stats.authors),
            "source": source_of(corpus.meta),
            "language": language,
            "first": stats.first,
            "last": stats.last,
        },
        "data": [[label, count] for label, count in corpus.report.table()],
        "report": corpus.report.to_dict(),
        "metrics": {str(k): _json_number(v) for k, v in metrics.items()},
        "generation": SAMPLING_DEFAULTS,
        "base_model_on_hub": _is_hub_id(base),
    }


def _is_hub_id(base: str) -> bool:
    """Whether the base model names a hub repository (not ``tiny``, not a local folder)."""
    from tweetgen.model.gguf import is_gguf_base

    if not base or base == "tiny" or os.path.isabs(base) or Path(base).exists():
        return False
    if is_gguf_base(base):  # smollm2-135m: the card names the original (tweetgen.json "base")
        return False
    return re.fullmatch(r"[\w.-]+(/[\w.-]+)?", base) is not None


def write_card(path: Path, meta: Mapping[str, Any], *, model_ref: str) -> None:
    card = render_card(meta, model_ref=model_ref)
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


def local_ref(out_dir: Path) -> str:
    """How a local card's usage snippet names the model: its absolute path, so the snippet
    runs from any folder. ``tweetgen push`` re-renders the card with the hub id instead, and
    ``tweetgen.json`` never holds the path."""
    return Path(os.path.abspath(out_dir)).as_posix()
