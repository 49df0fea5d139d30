"""LoRA as a trainer object: the base frozen, low-rank adapters trained, by tweetgen's loop.

:class:`LoraFineTune` is what the plugin provides: ``prepare`` wraps the model with peft,
``save`` writes an adapter directory (with the base inside when it has no other home) and
``load`` reads one back for generation. Checkpoints need nothing extra: the trainable weights,
which the inherited ``weights`` keeps, are only the adapters. :class:`LoraTrainer` is tweetgen's
``Trainer`` with this object; the loop itself is not overridden.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen import TrainConfig, Trainer, TrainingError
from tweetgen.errors import TweetgenError, first_line
from tweetgen.training.config import TINY
from tweetgen.training.trainer import FullFineTune
from tweetgen_lora.settings import EXTRA_KEY, OPTIONS, LoraSettings

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

#: Where an embedded base model goes inside the adapter directory.
BASE_DIR = "base"
ADAPTER_CONFIG = "adapter_config.json"


class LoraFineTune(FullFineTune):
    """Settings come from ``settings``, else from ``config.extra["lora"]`` (how the command
    line passes them), else the defaults; keyword ``options`` override single fields."""

    def __init__(
        self, config: TrainConfig, settings: LoraSettings | None = None, **options: Any
    ) -> None:
        if settings is None:
            settings = LoraSettings.from_dict(config.extra.get(EXTRA_KEY) or {})
        if options:
            settings = LoraSettings.from_dict(settings.to_dict() | options)
        if config.is_tiny and settings.embed_base is False:
            raise TrainingError(
                "the tiny base is deleted with the work directory: keep embed_base on for it"
            )
        super().__init__(config.replace(extra=config.extra | {EXTRA_KEY: settings.to_dict()}))
        self.settings = settings

    @property
    def embeds_base(self) -> bool:
        """Whether the base goes inside the adapter folder: by default only the tiny base,
        which has no other home (``auto`` may have become it: the loop's resolved name)."""
        if self.settings.embed_base is not None:
            return self.settings.embed_base
        return (self.base_name or self.config.base_model) == TINY

    def prepare(self, model: PreTrainedModel) -> PreTrainedModel:
        """Freeze ``model`` and inject adapters into the target layers."""
        from peft import LoraConfig, get_peft_model

        s = self.settings
        lora = LoraConfig(
            r=s.rank,
            lora_alpha=s.alpha,
            lora_dropout=s.dropout,
            target_modules=list(s.target_modules or linear_layer_names(model)),
            fan_in_fan_out=_uses_conv1d(model),
            task_type="CAUSAL_LM",
        )
        try:
            with warnings.catch_warnings():  # peft calls a transformers API deprecated in 5.x
                warnings.filterwarnings("ignore", ".*is_gradient_checkpointing", FutureWarning)
                wrapped: PreTrainedModel = get_peft_model(model, lora)  # type: ignore[assignment]
        except ValueError as exc:
            raise TrainingError(f"cannot add LoRA adapters: {first_line(exc)}") from None
        return wrapped

    def save(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, path: Path) -> None:
        """Adapter config and weights, the tokenizer, and ``base/`` when embedding the base."""
        from tweetgen.model.base import load_causal_lm, load_tokenizer

        peft_config = model.peft_config["default"]
        peft_config.base_model_name_or_path = self.base_reference()
        # The vocabulary is never resized, so the full embeddings need no saving (and peft
        # need not look the base up, maybe online, to find that out).
        model.save_pretrained(path, save_embedding_layers=False)
        tokenizer.save_pretrained(path)
        if self.embeds_base:
            load_causal_lm(self.base).save_pretrained(path / BASE_DIR)
            load_tokenizer(self.base).save_pretrained(path / BASE_DIR)

    def base_reference(self) -> str:
        """What ``adapter_config.json`` names as the base: ``base`` (relative to the adapter
        directory) when embedded, an absolute path for a local base, else the hub id."""
        if self.embeds_base:
            return BASE_DIR
        local = Path(self.base)
        return str(local.resolve()) if local.is_dir() else self.base

    @classmethod
    def claims(cls, path: Path) -> bool:
        return (path / ADAPTER_CONFIG).is_file()

    @classmethod
    def load(cls, path: Path, *, error: type[TweetgenError]) -> tuple[Any, Any]:
        """Base plus adapter, and the adapter's tokenizer (else its base's)."""
        from tweetgen.model.base import load_tokenizer
        from tweetgen_lora.load import load_adapter, resolve_base

        model = load_adapter(path, error=error)
        has_tokenizer = (path / "tokenizer_config.json").is_file()
        tokenizer = load_tokenizer(path if has_tokenizer else resolve_base(path), error=error)
        return model, tokenizer


class LoraTrainer(Trainer):
    """Train LoRA adapters; the output loads with ``peft.PeftModel.from_pretrained``.

    ``LoraTrainer(config, rank=4)``: tweetgen's loop with a :class:`LoraFineTune`.
    """

    name = "lora"
    description = "Train LoRA adapters (peft) on a frozen base: a few-MB model per voice."
    method_class = LoraFineTune
    options = OPTIONS

    def __init__(
        self, config: TrainConfig, settings: LoraSettings | None = None, **options: Any
    ) -> None:
        super().__init__(config, LoraFineTune(config, settings, **options))
        self.settings = self.method.settings  # type: ignore[attr-defined]


def linear_layer_names(model: Any) -> list[str]:
    """The names (last part) of the model's linear layers, except its output layer: the LoRA
    targets of any architecture, without a table of module names per model type.

    GPT-2's ``Conv1D`` counts as linear; the output layer is whatever
    ``get_output_embeddings`` returns (``lm_head``, GPT-NeoX's ``embed_out``).
    """
    import torch
    from transformers.pytorch_utils import Conv1D

    output = model.get_output_embeddings()
    names = {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear | Conv1D) and module is not output
    }
    if not names:
        raise TrainingError(f"no linear layers to adapt in this {type(model).__name__}")
    return sorted(names)


def _uses_conv1d(model: Any) -> bool:
    """GPT-2 stores its linear layers transposed (``Conv1D``); LoRA must know."""
    from transformers.pytorch_utils import Conv1D

    return any(isinstance(m, Conv1D) for m in model.modules())


__all__ = ["BASE_DIR", "LoraFineTune", "LoraTrainer", "linear_layer_names"]
