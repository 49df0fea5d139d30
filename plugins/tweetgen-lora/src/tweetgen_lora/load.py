"""Load an adapter directory written by :class:`~tweetgen_lora.LoraTrainer`.

``peft.AutoPeftModelForCausalLM`` resolves the base named in ``adapter_config.json`` from the
current directory or the hub; an embedded base (``base``) is relative to the adapter
directory instead, which is what :func:`resolve_base` handles.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from tweetgen import GenerationError, MissingDependencyError
from tweetgen.errors import TweetgenError, first_line

if TYPE_CHECKING:
    from peft import PeftModel

ADAPTER_CONFIG = "adapter_config.json"


def resolve_base(
    adapter_dir: str | os.PathLike[str], *, error: type[TweetgenError] = GenerationError
) -> str:
    """The base model's hub id or directory, with an embedded base resolved to a path."""
    path = Path(adapter_dir)
    try:
        config = json.loads((path / ADAPTER_CONFIG).read_text(encoding="utf-8"))
        ref = str(config["base_model_name_or_path"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        message = f"not a LoRA adapter directory: {first_line(exc)}"
        raise error(message, path=path) from None
    inside = path / ref
    return str(inside) if not Path(ref).is_absolute() and inside.is_dir() else ref


def load_adapter(
    adapter_dir: str | os.PathLike[str], *, error: type[TweetgenError] = GenerationError
) -> PeftModel:
    """The base model with the adapter applied, in eval mode."""
    try:
        from peft import PeftModel
    except ImportError:
        raise MissingDependencyError(
            "this model is a LoRA adapter: loading it needs peft (pip install peft)",
            path=adapter_dir,
        ) from None
    from tweetgen.model.base import load_causal_lm, load_errors

    base = load_causal_lm(resolve_base(adapter_dir, error=error), error=error)
    try:
        model = PeftModel.from_pretrained(base, str(adapter_dir))
    except load_errors() as exc:
        message = f"cannot load the adapter: {first_line(exc)}"
        raise error(message, path=adapter_dir) from None
    model.eval()
    return model


__all__ = ["load_adapter", "resolve_base"]
