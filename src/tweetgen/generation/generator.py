"""Sample posts from a trained model directory, as the seed did, minus copies of the training set.

Prompts start with the token that began every post in training (the tokenizer's end-of-text
token, ``<|endoftext|>`` for GPT-2; never a chat model's BOS), each
sample ends at the end-of-text token or (by default) the first newline, and never exceeds one
post (280 characters, cut on a word boundary). With the model's ``novelty.json``, samples
that copy a training post are dropped (see :mod:`tweetgen.model.novelty`) and more are drawn,
up to a cap.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.errors import GenerationError, MissingDependencyError, first_line
from tweetgen.generation.rows import BatchDraw, cache_argument
from tweetgen.generation.samples import (
    GenerationResult,
    RequestLimits,
    Sample,
    SampleRequest,
    check_generation_args,
    check_settings,
)
from tweetgen.model.base import load_causal_lm, load_tokenizer
from tweetgen.model.device import resolve_device
from tweetgen.model.files import (
    ADAPTER_CONFIG,
    check_generation_config,
    model_folder,
    quiet_transformers,
)
from tweetgen.model.finish import SAMPLING_DEFAULTS, read_novelty
from tweetgen.model.novelty import NoveltyIndex

if TYPE_CHECKING:
    import torch
    from transformers import GenerationConfig, PreTrainedTokenizerBase

MAX_CHARS = 280


def cap_length(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` cut to ``limit`` characters, at the last word boundary when there is one."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    return (head[:cut] if cut > 0 else text[:limit]).rstrip()


def finish_text(prompt: str, continuation: str, *, cut_at_newline: bool = True) -> str:
    """The post a raw continuation makes: cut, cleaned, capped; "" when nothing was written."""
    if cut_at_newline:
        continuation = continuation.split("\n", 1)[0].split("\r", 1)[0]
    continuation = _printable(continuation)
    if not continuation.strip():
        return ""
    return cap_length((prompt + continuation).strip())


class Generator:
    """Samples posts from a model directory (any causal LM; a PEFT adapter directory too)."""

    def __init__(self, model_dir: str | os.PathLike[str], *, device: str = "auto") -> None:
        self.path = model_folder(model_dir, error=GenerationError)
        self.device = str(resolve_device(device, error=GenerationError))
        check_generation_config(self.path, error=GenerationError)  # before the slow load
        with quiet_transformers():  # no "Loading weights" bars: library code never prints
            # Any: transformers' wrapped ``to`` and ``generate`` confuse type checkers.
            self.model: Any
            self.model, self.tokenizer = self._load()
            self.generation_config = self._load_generation_config()
        self.model.to(self.device)
        self.model.eval()
        self.novelty: NoveltyIndex | None = read_novelty(self.path)
        self._newline_ids: list[int] | None = None
        self.cache_argument = cache_argument(self.model)

    # loading ---------------------------------------------------------------------------

    @property
    def is_adapter(self) -> bool:
        return (self.path / ADAPTER_CONFIG).is_file()

    def _load(self) -> tuple[Any, PreTrainedTokenizerBase]:
        """Model and tokenizer, read by the trainer object that made this kind of directory."""
        model, tokenizer = load_model(self.path)
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        return model, tokenizer

    def _load_generation_config(self) -> GenerationConfig:
        from transformers import GenerationConfig

        if (self.path / "generation_config.json").is_file():
            try:
                return GenerationConfig.from_pretrained(str(self.path))
            except (OSError, ValueError) as exc:
                raise GenerationError(
                    f"bad generation_config.json: {first_line(exc)}", path=self.path
                ) from None
        eos = self.tokenizer.eos_token_id
        return GenerationConfig(**SAMPLING_DEFAULTS, eos_token_id=eos, pad_token_id=eos)

    # sampling --------------------------------------------------------------------------

    def generate(
        self,
        prompt: str = "",
        n: int = 5,
        *,
        seed: int | None = None,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        batch_size: int = 8,
        cut_at_newline: bool = True,
        novelty: bool = True,
    ) -> GenerationResult:
        """``n`` posts starting with ``prompt``; the same ``seed`` gives the same posts.

        Unset sampling settings come from the model's ``generation_config.json``. With
        ``novelty``, copies of training posts are dropped and replaced by new draws (at most
        ``5 * n`` draws in all), so fewer than ``n`` samples may come back.
        """
        check_generation_args(prompt, n, seed=seed, batch_size=batch_size)
        request = SampleRequest(
            prompt, n, max_new_tokens, temperature, top_p, cut_at_newline, novelty
        )
        return self.generate_batch([request], seed=seed, batch_size=batch_size)[0]

    def generate_batch(
        self,
        requests: Sequence[SampleRequest],
        *,
        seed: int | None = None,
        batch_size: int = 8,
        on_sample: Callable[[int, Sample], None] | None = None,
        cancelled: Callable[[int], bool] | None = None,
        joining: Callable[[int], Sequence[SampleRequest]] | None = None,
    ) -> list[GenerationResult]:
        """One result per request, drawn together: rows of different prompts and settings
        share each step of one decode loop (at most ``batch_size`` rows), which is what lets a
        server answer many clients at the cost of about one. :meth:`generate` is this with one
        request, so both follow the same defaults, newline cut and novelty filter.

        ``on_sample(i, sample)`` is called (in this thread) as soon as a post of request ``i``
        is finished and kept, before the rest of the batch is done; requests for which
        ``cancelled(i)`` turns true stop costing work at the next token. ``joining(room)`` is
        asked between steps for requests that arrived meanwhile (rows for at most ``room``
        posts): they join the batch being written and get the next indexes, and their results
        follow the others'.
        """
        import torch

        check_generation_args(batch_size=batch_size, seed=seed)
        for request in requests:
            self.check_request(request)
        results = [GenerationResult(novelty_checked=self.novelty is not None) for _ in requests]
        draw = BatchDraw(
            self, requests, results, on_sample, cancelled or (lambda _: False), joining
        )
        devices = [torch.device(self.device)] if self.device.startswith("cuda") else []
        with torch.random.fork_rng(devices=devices):
            if seed is not None:
                torch.manual_seed(seed)
            while rows := draw.plan(batch_size):
                draw.run(rows, batch_size)
        return draw.results

    def check_request(self, request: SampleRequest) -> None:
        """Raise :class:`GenerationError` for a request this model cannot answer (a setting
        out of range, a prompt longer than the model's positions): cheap, no sampling."""
        check_settings(request)
        limit = self.position_limit
        if limit is not None and self.prompt_tokens(request.prompt) >= limit:
            raise GenerationError(f"the prompt is longer than the model's {limit} tokens")

    @property
    def position_limit(self) -> int | None:
        limit = getattr(self.model.config, "max_position_embeddings", None)
        return limit if isinstance(limit, int) else None

    def prompt_tokens(self, prompt: str) -> int:
        """Tokens of ``prompt`` with the start-of-post token."""
        return int(self.encode_rows([prompt])[0].shape[1])

    def keep_sample(
        self,
        result: GenerationResult,
        prompt: str,
        continuation: str,
        tokens: int,
        cut_at_newline: bool,
        novelty: bool,
    ) -> Sample | None:
        """Count one drawn continuation into ``result``; the sample when it is kept."""
        result.drawn += 1
        text = finish_text(prompt, continuation, cut_at_newline=cut_at_newline)
        if not text:
            result.dropped_empty += 1
            return None
        copied = self.novelty is not None and self.novelty.is_copy(text)
        if copied and novelty:
            result.dropped_copies += 1
            return None
        sample = Sample(text, prompt, tokens, novel=not copied)
        result.samples.append(sample)
        return sample

    def encode_rows(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids and attention mask of several prompts, left-padded. Each starts with the
        token that began every post in training: the end-of-text token (not a BOS such as
        SmolLM2's ``<|im_start|>``, after which samples began mid-sentence)."""
        start = self.tokenizer.eos_token or self.tokenizer.bos_token or ""
        encoded = self.tokenizer(
            [start + p for p in prompts],
            add_special_tokens=False,
            padding=True,
            return_tensors="pt",
        )
        if encoded["input_ids"].shape[1] == 0:
            raise GenerationError("the tokenizer has no start token and the prompt is empty")
        return encoded["input_ids"].to(self.device), encoded["attention_mask"].to(self.device)

    @property
    def newline_ids(self) -> list[int]:
        """Token ids whose text holds a line break: a row that draws one is finished."""
        if self._newline_ids is None:
            vocab = len(self.tokenizer)
            texts = self.tokenizer.batch_decode([[i] for i in range(vocab)])
            self._newline_ids = [i for i, t in enumerate(texts) if "\n" in t or "\r" in t]
        return self._newline_ids


def load_model(path: Path) -> tuple[Any, PreTrainedTokenizerBase]:
    """Model and tokenizer of the folder ``path``: read by the trainer plugin that claims it
    (LoRA's adapters), else as a plain Hugging Face model folder."""
    from tweetgen.plugins import get_trainers

    for trainer in get_trainers().values():
        method_class = getattr(trainer, "method_class", None)
        if method_class is not None and method_class.claims(path):
            loaded: tuple[Any, PreTrainedTokenizerBase] = method_class.load(
                path, error=GenerationError
            )
            return loaded
    if (path / ADAPTER_CONFIG).is_file():
        raise MissingDependencyError(
            "this model is a LoRA adapter: install tweetgen-lora and peft to load it", path=path
        )
    error = GenerationError
    return load_causal_lm(path, error=error), load_tokenizer(path, error=error)


def _printable(text: str) -> str:
    """Drop control characters and the replacement character (broken byte sequences)."""
    return "".join(
        c for c in text if c in "\n\t" or (c != "\ufffd" and unicodedata.category(c) != "Cc")
    )


__all__ = [
    "MAX_CHARS",
    "GenerationResult",
    "Generator",
    "RequestLimits",
    "Sample",
    "SampleRequest",
    "cap_length",
    "check_generation_args",
    "check_settings",
    "finish_text",
    "load_model",
]
