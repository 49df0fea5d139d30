"""tweetgen-lora: a ``lora`` trainer for tweetgen.

Installing this package is all it takes: its entry point (``tweetgen = lora``) points here and
tweetgen calls :func:`register_trainers`. torch and peft are imported only when a model is
trained or loaded, so ``tweetgen plugins`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

from tweetgen import hookimpl
from tweetgen_lora.settings import LoraSettings

if TYPE_CHECKING:
    from tweetgen_lora.load import load_adapter, resolve_base
    from tweetgen_lora.trainer import LoraTrainer

_LAZY = {
    "LoraTrainer": "tweetgen_lora.trainer",
    "load_adapter": "tweetgen_lora.load",
    "resolve_base": "tweetgen_lora.load",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tweetgen_lora' has no attribute {name!r}")


@hookimpl
def register_trainers(register: Callable[[type[Any]], None]) -> None:
    from tweetgen_lora.trainer import LoraTrainer

    register(LoraTrainer)


__all__ = ["LoraSettings", "LoraTrainer", "load_adapter", "register_trainers", "resolve_base"]
