"""``LoraTrainer``: the built-in trainer with the base frozen and low-rank adapters trained.

Everything but the model is inherited from :class:`tweetgen.Trainer`: the data pipeline,
the loop, evaluation, checkpoints and resume. ``prepare_model`` wraps the model with peft,
``save_model`` writes an adapter directory instead of a full model, and ``resolve_base``
remembers which base to name or embed. Checkpoints need no change: the inherited
``checkpoint_weights`` keeps the trainable weights, which are now only the adapters.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen import TrainConfig, Trainer, TrainingError
from tweetgen.errors import first_line
from tweetgen_lora.settings import EXTRA_KEY, OPTIONS, LoraSettings

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

#: Where an embedded base model goes inside the adapter directory.
BASE_DIR = "base"


class LoraTrainer(Trainer):
    """Train LoRA adapters; the output loads with ``peft.PeftModel.from_pretrained``.

    Settings come from ``settings``, else from ``config.extra["lora"]`` (how the command line
    passes them), else the defaults; keyword ``options`` override single fields, e.g.
    ``LoraTrainer(config, rank=4)``.
    """

    name = "lora"
    description = "Train LoRA adapters (peft) on a frozen base: a few-MB model per voice."
    options = OPTIONS

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
        self._base = ""

    @property
    def embeds_base(self) -> bool:
        return self.config.is_tiny if self.settings.embed_base is None else self.settings.embed_base

    def resolve_base(self, train_texts: list[str]) -> str:
        self._base = super().resolve_base(train_texts)
        return self._base

    def prepare_model(self, model: PreTrainedModel) -> PreTrainedModel:
        """Freeze ``model`` and inject adapters into the target layers."""
        from peft import LoraConfig, get_peft_model

        s = self.settings
        lora = LoraConfig(
            r=s.rank,
            lora_alpha=s.alpha,
            lora_dropout=s.dropout,
            target_modules=list(s.target_modules) if s.target_modules else None,
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

    def save_model(
        self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, path: Path
    ) -> None:
        """Adapter config and weights, the tokenizer, and ``base/`` when embedding the base."""
        peft_config = model.peft_config["default"]
        peft_config.base_model_name_or_path = self.base_reference()
        # The vocabulary is never resized, so the full embeddings need no saving (and peft
        # need not look the base up, maybe online, to find that out).
        model.save_pretrained(path, save_embedding_layers=False)
        tokenizer.save_pretrained(path)
        if self.embeds_base:
            base = self.load_model(self._base)
            base.save_pretrained(path / BASE_DIR)
            self.load_tokenizer(self._base).save_pretrained(path / BASE_DIR)

    def base_reference(self) -> str:
        """What ``adapter_config.json`` names as the base: ``base`` (relative to the adapter
        directory) when embedded, an absolute path for a local base, else the hub id."""
        if self.embeds_base:
            return BASE_DIR
        local = Path(self._base)
        return str(local.resolve()) if local.is_dir() else self._base


def _uses_conv1d(model: Any) -> bool:
    """GPT-2 stores its linear layers transposed (``Conv1D``); LoRA must know."""
    from transformers.pytorch_utils import Conv1D

    return any(isinstance(m, Conv1D) for m in model.modules())


__all__ = ["BASE_DIR", "LoraTrainer"]
