"""Helpers for tests of trainers (tweetgen's own and plugins'): small corpora, tiny configs."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tweetgen.corpus.corpus import Corpus
from tweetgen.records.post import Post
from tweetgen.training.config import TrainConfig

_SUBJECTS = ["the cat", "my dog", "a robot", "the old man", "our team", "the bird", "my code"]
_VERBS = ["likes", "hates", "eats", "builds", "watches", "sings to", "forgets"]
_OBJECTS = ["the moon", "green apples", "cold coffee", "the river", "tiny boxes", "loud music"]
_ENDINGS = ["today.", "again!", "every morning.", "on mondays.", "and nobody cares.", "lol"]


def corpus_from_texts(texts: Sequence[str], *, author: str = "tester") -> Corpus:
    """A corpus of original posts with the given texts (ids and dates made up)."""
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    posts = (
        Post(str(i), author, text, start + timedelta(hours=i), "test")
        for i, text in enumerate(texts)
    )
    return Corpus.from_posts(posts, meta={"source": "test"})


def synthetic_texts(n: int = 300, *, seed: int = 0) -> list[str]:
    """Posts from a tiny grammar: learnable, so perplexity must fall quickly."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = [rng.choice(w) for w in (_SUBJECTS, _VERBS, _OBJECTS, _ENDINGS)]
        out.append(" ".join(parts))
    return out


def tiny_config(out_dir: Path, **overrides: Any) -> TrainConfig:
    """A "tiny" base small enough to train in a second or two on a CPU.

    ``overrides`` are settings as :meth:`TrainConfig.from_settings` takes them
    (``epochs=3``, ``tiny={"n_embd": 96}``, or dotted names in a dict: ``**{"tiny.n_layer": 1}``).
    """
    settings: dict[str, Any] = {
        "epochs": 2,
        "batch_tokens": 512,
        "block_size": 64,
        "tiny": {"vocab_size": 400, "n_layer": 2, "n_head": 2, "n_embd": 64},
        "warmup": 0.0,
        "device": "cpu",
        "seed": 0,
        "threads": 1,
    }
    if isinstance(overrides.get("tiny"), dict):
        overrides["tiny"] = settings["tiny"] | overrides["tiny"]
    return TrainConfig.tiny_preset(out_dir, **(settings | overrides))


#: Architectures :func:`build_arch_base` builds, each with the tokenizer habits of its family.
ARCHITECTURES = ("gpt2", "llama", "qwen2", "gpt_neox")
#: A chat template like the ones chat models ship (tweetgen must ignore it).
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
)


def build_arch_base(kind: str, texts: Sequence[str], out_dir: Path, *, seed: int = 0) -> Path:
    """A tiny random model directory of architecture ``kind`` (see :data:`ARCHITECTURES`).

    The tokenizer is a byte-level BPE trained on ``texts`` with the special tokens of the
    family: GPT-2 and GPT-NeoX use ``<|endoftext|>`` for BOS and EOS; Llama has ``<s>`` and
    ``</s>`` and adds ``<s>`` to every encoding; Qwen2 has no BOS and ends texts with
    ``<|endoftext|>``. None has a pad token; Llama and Qwen2 carry a chat template.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, PreTrainedTokenizerFast

    from tweetgen.model.base import quiet_transformers, train_bpe

    special = _SPECIAL[kind]
    backend = train_bpe(texts, 400)
    backend.add_special_tokens([*special.values(), *_CHAT_TOKENS.get(kind, [])])
    if kind == "llama":  # adds <s> in front of every encoding, as Llama tokenizers do
        from tokenizers import processors

        bos = special["bos_token"]
        backend.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A",
            pair=f"{bos} $A {bos} $B",
            special_tokens=[(bos, backend.token_to_id(bos))],
        )
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, **special)
    if kind in ("llama", "qwen2"):
        tokenizer.chat_template = CHAT_TEMPLATE
    ids = {k.replace("_token", "_token_id"): backend.token_to_id(v) for k, v in special.items()}
    config = AutoConfig.for_model(kind, vocab_size=len(tokenizer), **_SIZES[kind], **ids)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    with quiet_transformers():
        model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)
    return out_dir


_SPECIAL: dict[str, dict[str, Any]] = {
    "gpt2": {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"},
    "gpt_neox": {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"},
    "llama": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "qwen2": {"eos_token": "<|endoftext|>"},
}
#: Special tokens beyond the roles: a chat model's turn markers.
_CHAT_TOKENS = {"qwen2": ["<|im_start|>", "<|im_end|>"]}
_LLAMA_SIZES = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 128,
}
_SIZES: dict[str, dict[str, Any]] = {
    "gpt2": {"n_embd": 32, "n_layer": 2, "n_head": 2, "n_positions": 128},
    "llama": _LLAMA_SIZES | {"tie_word_embeddings": True},  # as SmolLM2's
    "qwen2": _LLAMA_SIZES | {"tie_word_embeddings": False},
    "gpt_neox": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "max_position_embeddings": 128,
    },
}
