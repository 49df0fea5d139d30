"""The run's base model: ``auto`` decided, ``tiny`` built, a GGUF file converted, then loaded,
its tokenizer ending texts with the token that frames the posts (:func:`use_document_token`).

Under torchrun rank 0 builds the tiny base or converts the GGUF file; the other ranks wait,
then load what it made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.errors import TrainingError
from tweetgen.model import base as base_model
from tweetgen.model import gguf
from tweetgen.training.config import TINY, TrainConfig
from tweetgen.training.distributed import Dist
from tweetgen.training.places import TINY_BASE_DIR

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

#: Blocks at least this long attend through FlexAttention on CUDA, which skips the masked
#: tiles that SDPA with a 4-D mask computes (short blocks have few of them).
FLEX_MIN_BLOCK = 512
#: The token that separates documents in pretraining (GPT-2, GPT-NeoX, Qwen2, SmolLM2). A chat
#: model's own EOS ends a turn (SmolLM2-Instruct's ``<|im_end|>``), after which its training put
#: chat markup, not a fresh text: the models fine-tuned on it began posts mid-sentence (",",
#: "and caution.": 45% of the first token's mass on a capital letter after ``<|im_end|>``,
#: 82% after ``<|endoftext|>``, against nearly all of the author's posts). Where the vocabulary
#: has this token, it frames the posts (benchmarks/RESULTS.md, "Quality").
DOCUMENT_TOKEN = "<|endoftext|>"


@dataclass
class Base:
    #: The ``base_model`` setting resolved (``auto`` decided), as the run records it.
    name: str
    #: What it was loaded from: the hub id or a directory (the built tiny base, a converted GGUF).
    path: str
    tokenizer: PreTrainedTokenizerBase
    model: PreTrainedModel
    #: What a GGUF base was converted from (tweetgen_base.json), for the card.
    origin: dict[str, Any] | None = None


def load_base(
    cfg: TrainConfig,
    train_texts: list[str],
    dist: Dist,
    device: torch.device,
    say: Callable[[str], None],
) -> Base:
    """The base of ``cfg`` (``say`` tells which), ready to train on ``device``'s kind."""
    name = cfg.base_model
    if name == base_model.AUTO_BASE:  # decided here, for the CLI and the API alike
        name, why = base_model.auto_base()
        say(f"auto chose {name} ({why})")
    else:
        name = base_model.resolve_base_model(name)
    path, origin = name, None
    if name == TINY:
        path = str(_tiny(cfg, train_texts, dist))
    elif gguf.is_gguf_base(name):
        if dist.main:
            say(f"converting {name} from GGUF (once; cached after)")
            converted = gguf.gguf_base_dir(name)
        dist.barrier()
        if not dist.main:  # converted by now: found in the cache
            converted = gguf.gguf_base_dir(name)
        path, origin = str(converted), gguf.read_origin(converted)
    say(path)
    tokenizer = use_document_token(base_model.load_tokenizer(path))
    model = base_model.load_causal_lm(path)
    limit = getattr(model.config, "max_position_embeddings", None) or cfg.block_size
    if cfg.block_size > limit:
        raise TrainingError(f"block_size {cfg.block_size} exceeds the model's limit {limit}")
    base_model.fuse_activation(model)
    if device.type == "cuda" and cfg.block_size >= FLEX_MIN_BLOCK:
        use_flex_attention(model)  # where the architecture has it (GPT-2 has not)
    return Base(name, path, tokenizer, model, origin)


def _tiny(cfg: TrainConfig, train_texts: list[str], dist: Dist) -> Path:
    """The tiny base built from the training posts, in the work folder (kept when resuming)."""
    path = cfg.work_path / TINY_BASE_DIR
    built = (path / base_model.TINY_MARKER).is_file()
    if dist.main and not (built and cfg.resume):
        sizes = cfg.tiny | {"n_positions": max(cfg.block_size, 128)}
        base_model.build_tiny_base(train_texts, path, **sizes, seed=cfg.seed)
    dist.barrier()
    return path


def use_document_token(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """``tokenizer`` with :data:`DOCUMENT_TOKEN` as its end-of-text token, when it has that
    token as one special token; as it was otherwise. Saved with the model, it is what
    generation starts from and stops at, and what evaluation frames posts with."""
    if tokenizer.eos_token == DOCUMENT_TOKEN or DOCUMENT_TOKEN not in tokenizer.all_special_tokens:
        return tokenizer
    ids = tokenizer(DOCUMENT_TOKEN, add_special_tokens=False)["input_ids"]
    if ids == [tokenizer.convert_tokens_to_ids(DOCUMENT_TOKEN)]:
        tokenizer.eos_token = DOCUMENT_TOKEN
    return tokenizer


def use_flex_attention(model: Any) -> bool:
    """Switch ``model`` to FlexAttention, which has no attention dropout (that is set to 0),
    when its architecture supports it (transformers 5.17 has no FlexAttention for GPT-2: such
    models keep SDPA with a 4-D mask). Returns whether it switched."""
    import torch

    if not getattr(model, "_supports_flex_attn", False):
        return False
    model.set_attn_implementation("flex_attention")
    for module in model.modules():
        if isinstance(getattr(module, "attn_dropout", None), torch.nn.Dropout):
            module.attn_dropout.p = 0.0
    if hasattr(model.config, "attn_pdrop"):
        model.config.attn_pdrop = 0.0
    return True
