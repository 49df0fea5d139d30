"""Check a local model directory before loading it, so a damaged one is a one-line error.

transformers loads a ``model.safetensors`` with renamed keys or half its tensors missing with
*random* weights for the rest (a warning at most), and a ``config.json`` saying ``bert``, or
holding a list, fails deep inside. Here each file is checked up front, and the message names
the file that is wrong:

* ``config.json``: a regular file of bounded size, a JSON object, a GPT-2-style decoder
  (``model_type``), positive integer sizes;
* the weights: every tensor the model expects is present with the expected shape, and there is
  no tensor it does not expect (expected ones come from the config, on the ``meta`` device:
  nothing is allocated);
* the tokenizer: ``tokenizer.json`` (or ``vocab.json`` + ``merges.txt``) present, JSON that
  parses;
* ``generation_config.json``, when present: a JSON object, its sampling settings in range.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tweetgen.errors import TweetgenError, first_line

#: The default work folder (checkpoints, token cache, tiny base, W&B files), inside
#: ``out_dir``: hidden, skipped by everything that reads or ships a model, and carried into
#: each new model folder when it replaces the old one (:func:`tweetgen.base.atomic.atomic_dir`).
WORK_DIR_NAME = ".tweetgen-work"
#: How a model folder was made (tweetgen's record: config, data table, metrics).
METADATA_FILE = "tweetgen.json"
CONFIG = "config.json"
GENERATION_CONFIG = "generation_config.json"
WEIGHTS = "model.safetensors"
WEIGHTS_INDEX = "model.safetensors.index.json"
LEGACY_WEIGHTS = "pytorch_model.bin"
TOKENIZER = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"
VOCAB_FILES = ("vocab.json", "merges.txt")
ADAPTER_CONFIG = "adapter_config.json"
#: Decoder-only causal LMs whose framing (``<|endoftext|>post<|endoftext|>``) tweetgen trains.
GPT2_STYLE_MODEL_TYPES = frozenset(
    {
        "gpt2",
        "gpt_neo",
        "gpt_neox",
        "gptj",
        "gpt_bigcode",
        "llama",
        "mistral",
        "qwen2",
        "phi",
        "opt",
        "bloom",
        "falcon",
    }
)
#: JSON metadata files are small; anything bigger is not one.
MAX_JSON_BYTES = 64 << 20
#: Size fields of a config: positive integers below this (bigger ones cannot be a real model).
MAX_SIZE_FIELD = 10_000_000
#: Sampling settings tweetgen uses (it always samples), with the ranges that work:
#: ``(low, high, type)``. Temperatures are those ``tweetgen generate --temperature`` takes:
#: beyond them sampling meets inf or nan probabilities.
MIN_TEMPERATURE = 1e-2
MAX_TEMPERATURE = 100.0
_TINY = 1e-9  # "above 0" for a closed range
_GENERATION_RANGES: dict[str, tuple[float, float, type, str]] = {
    "temperature": (MIN_TEMPERATURE, MAX_TEMPERATURE, float, "a number from 0.01 to 100"),
    "top_p": (_TINY, 1.0, float, "a number above 0, at most 1"),
    "typical_p": (_TINY, 1.0, float, "a number above 0, at most 1"),
    "top_k": (0, MAX_SIZE_FIELD, int, "an integer of 0 or more"),
    "repetition_penalty": (_TINY, 1e9, float, "a positive number"),
    "max_length": (1, MAX_SIZE_FIELD, int, "a positive integer"),
    "max_new_tokens": (1, MAX_SIZE_FIELD, int, "a positive integer"),
    "min_length": (0, MAX_SIZE_FIELD, int, "an integer of 0 or more"),
    "min_new_tokens": (0, MAX_SIZE_FIELD, int, "an integer of 0 or more"),
    "no_repeat_ngram_size": (0, MAX_SIZE_FIELD, int, "an integer of 0 or more"),
    # each prompt must give one sample: tweetgen counts the rows it asked for
    "num_return_sequences": (1, 1, int, "1"),
}
_TOKEN_ID_FIELDS = ("eos_token_id", "pad_token_id", "bos_token_id", "decoder_start_token_id")
_SIZE_FIELDS = (
    "vocab_size",
    "n_embd",
    "n_layer",
    "n_head",
    "n_positions",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "max_position_embeddings",
    "intermediate_size",
)


def model_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files that make up the model in ``path``, sorted: what is shipped or logged.

    Hidden top-level entries are skipped: the work folder a run keeps inside its model folder
    (checkpoints, W&B files), the ownership marker and temporaries. Links are not followed.
    """
    root = Path(path)
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        if Path(folder) == root:
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            files = [f for f in files if not f.startswith(".")]
        found.extend(Path(folder) / name for name in files)
    return sorted(p for p in found if p.is_file() and not p.is_symlink())


def model_folder(path: str | os.PathLike[str], *, error: type[TweetgenError]) -> Path:
    """``path`` when it is a folder holding a model or an adapter (cheap: before a slow load)."""
    folder = Path(path)
    if not folder.is_dir():
        raise error("no such model directory", path=folder)
    if not (folder / CONFIG).is_file() and not (folder / ADAPTER_CONFIG).is_file():
        raise error("not a model directory (no config.json)", path=folder)
    return folder


def check_model_dir(path: str | os.PathLike[str], *, error: type[TweetgenError]) -> None:
    """Config, weights and tokenizer of a full model directory (not an adapter)."""
    check_weights(path, error=error)
    check_tokenizer(path, error=error)


def check_config(path: str | os.PathLike[str], *, error: type[TweetgenError]) -> dict[str, Any]:
    """``config.json`` as a dict, after the checks in the module docstring."""
    file = Path(path) / CONFIG
    config = read_json(file, error=error)
    if not isinstance(config, dict):
        raise error(f"must hold a JSON object, not {type(config).__name__}", path=file)
    model_type = config.get("model_type")
    if model_type not in GPT2_STYLE_MODEL_TYPES:
        raise error(
            f"model_type {model_type!r} is not a GPT-2-style causal language model "
            f"(expected one of {', '.join(sorted(GPT2_STYLE_MODEL_TYPES))})",
            path=file,
        )
    for name in _SIZE_FIELDS:
        value = config.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < MAX_SIZE_FIELD:
            raise error(f"{name} must be a positive integer, got {value!r}", path=file)
    return config


def check_weights(path: str | os.PathLike[str], *, error: type[TweetgenError]) -> None:
    """Every tensor the config's model expects is in the weights, with its shape; no others."""
    folder = Path(path)
    config = check_config(folder, error=error)
    found, file = _stored_shapes(folder, error)
    if found is None:
        return  # legacy pickled weights: transformers checks those as it loads them
    expected, groups = _expected_shapes(folder, config, error)
    present = set(found)
    missing = [g[0] for g in groups if not present & set(g)]
    unexpected = sorted(present - set(expected))
    wrong = sorted(k for k in present & set(expected) if found[k] != expected[k])
    problems = []
    if missing:
        problems.append(f"{len(missing)} expected tensor(s) missing (e.g. {missing[0]})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected tensor(s) (e.g. {unexpected[0]})")
    if wrong:
        k = wrong[0]
        problems.append(
            f"{len(wrong)} tensor(s) of the wrong shape (e.g. {k}: {list(found[k])}, "
            f"expected {list(expected[k])})"
        )
    if problems:
        raise error("; ".join(problems) + ": damaged, or the weights of another model", path=file)


def check_tokenizer(path: str | os.PathLike[str], *, error: type[TweetgenError]) -> None:
    folder = Path(path)
    if (folder / TOKENIZER).exists():
        read_json(folder / TOKENIZER, error=error)
    elif not all((folder / name).exists() for name in VOCAB_FILES):
        raise error(
            f"no tokenizer: neither {TOKENIZER} nor {' + '.join(VOCAB_FILES)} is there",
            path=folder,
        )
    else:
        for name in VOCAB_FILES:
            regular_file(folder / name, error=error)
    if (folder / TOKENIZER_CONFIG).exists():
        settings = read_json(folder / TOKENIZER_CONFIG, error=error)
        if not isinstance(settings, dict):
            raise error("must hold a JSON object", path=folder / TOKENIZER_CONFIG)


def check_generation_config(path: str | os.PathLike[str], *, error: type[TweetgenError]) -> None:
    """``generation_config.json``, when there is one: a JSON object whose sampling settings
    are in range. transformers reads it without complaint and fails only at the first
    ``generate`` (a ``"temperature": -5`` is a traceback deep in its sampling code)."""
    file = Path(path) / GENERATION_CONFIG
    if not file.exists():
        return
    settings = read_json(file, error=error)
    if not isinstance(settings, dict):
        raise error(f"must hold a JSON object, not {type(settings).__name__}", path=file)
    for name, (low, high, kind, wanted) in _GENERATION_RANGES.items():
        value = settings.get(name)
        if value is not None and not _in_range(value, low, high, kind):
            raise error(f"{name} must be {wanted}, got {value!r}", path=file)
    if "do_sample" in settings and not isinstance(settings["do_sample"], bool):
        raise error(f"do_sample must be true or false, got {settings['do_sample']!r}", path=file)
    for name in _TOKEN_ID_FIELDS:
        value = settings.get(name)
        ids = value if isinstance(value, list) else [value]
        if value is not None and not all(_in_range(i, 0, MAX_SIZE_FIELD, int) for i in ids):
            raise error(f"{name} must be a token id or a list of them, got {value!r}", path=file)


def _in_range(value: Any, low: float, high: float, kind: type) -> bool:
    if isinstance(value, bool) or not isinstance(value, int if kind is int else int | float):
        return False
    return math.isfinite(value) and low <= value <= high


def regular_file(file: Path, *, error: type[TweetgenError], limit: int | None = None) -> int:
    """The size of ``file``; an error when it is missing, not a regular file, or too big."""
    try:
        info = file.stat()
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", path=file) from None
    if not stat.S_ISREG(info.st_mode):
        raise error("is not a regular file", path=file)
    if limit is not None and info.st_size > limit:
        raise error(f"is {info.st_size:,} bytes; at most {limit:,} expected", path=file)
    return info.st_size


def read_json(file: Path, *, error: type[TweetgenError]) -> Any:
    regular_file(file, error=error, limit=MAX_JSON_BYTES)
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise error(f"not valid JSON: {first_line(exc)}", path=file) from None


def json_object(file: Path) -> dict[str, Any] | None:
    """The JSON object in ``file``; None when it is missing, unreadable or not an object."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _stored_shapes(
    folder: Path, error: type[TweetgenError]
) -> tuple[dict[str, tuple[int, ...]] | None, Path]:
    """Tensor names and shapes from the safetensors headers (no tensor data is read)."""
    from safetensors import SafetensorError, safe_open

    single, index = folder / WEIGHTS, folder / WEIGHTS_INDEX
    if single.exists():
        files = [single]
    elif index.exists():
        weight_map = read_json(index, error=error).get("weight_map")
        if not isinstance(weight_map, dict):
            raise error("has no weight_map", path=index)
        files = sorted({folder / str(name) for name in weight_map.values()})
    elif (folder / LEGACY_WEIGHTS).exists():
        regular_file(folder / LEGACY_WEIGHTS, error=error)
        return None, folder / LEGACY_WEIGHTS
    else:
        raise error(f"no weights: {WEIGHTS} is missing", path=folder)
    shapes: dict[str, tuple[int, ...]] = {}
    for file in files:
        if file.parent != folder:
            raise error(f"names a weights file outside the folder: {file.name}", path=index)
        regular_file(file, error=error)
        try:
            with safe_open(str(file), "pt") as handle:
                for key in handle.keys():  # noqa: SIM118 - safe_open is not a mapping
                    shapes[key] = tuple(handle.get_slice(key).get_shape())
        except (SafetensorError, OSError, ValueError) as exc:
            raise error(
                f"cannot load the model: damaged weights ({first_line(exc)})", path=file
            ) from None
    return shapes, files[0] if len(files) == 1 else index


def _expected_shapes(
    folder: Path, config: dict[str, Any], error: type[TweetgenError]
) -> tuple[dict[str, tuple[int, ...]], list[list[str]]]:
    """What the config's model holds, built on the ``meta`` device (no memory is allocated);
    also the groups of names that share one tensor (tied embeddings: one stored is enough)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    try:
        with quiet_transformers(), torch.device("meta"):
            model_config = AutoConfig.for_model(**config)
            model = AutoModelForCausalLM.from_config(model_config)
    except Exception as exc:  # any bad field value: transformers raises many kinds
        raise error(f"unusable config: {first_line(exc)}", path=folder / CONFIG) from None
    state = _as_saved(model, model.state_dict(keep_vars=True))
    groups: dict[int, list[str]] = {}
    for name, tensor in state.items():
        groups.setdefault(id(tensor), []).append(name)
    return {k: tuple(v.shape) for k, v in state.items()}, list(groups.values())


def _as_saved(model: Any, state: dict[str, Any]) -> dict[str, Any]:
    """The state dict under the names ``save_pretrained`` writes: transformers 5 renames some
    weights on saving and back on loading (GPT-NeoX's ``lm_head`` is ``embed_out`` on disk)."""
    try:
        from transformers.core_model_loading import revert_weight_conversion
    except ImportError:  # a transformers without renaming: the names are the stored ones
        return state
    try:
        return dict(revert_weight_conversion(model, dict(state)))
    except Exception:  # a conversion that cannot run on meta tensors: check the plain names
        return state


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' progress bars and info logs (library code must not print)."""
    from transformers.utils import logging

    bars, verbosity = logging.is_progress_bar_enabled(), logging.get_verbosity()
    logging.disable_progress_bar()
    logging.set_verbosity_error()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()


def load_errors() -> tuple[type[BaseException], ...]:
    """What loading a bad or missing model raises: a corrupt ``model.safetensors`` raises
    ``SafetensorError``, which is neither an OSError nor a ValueError."""
    from safetensors import SafetensorError

    return (OSError, ValueError, RuntimeError, SafetensorError)
