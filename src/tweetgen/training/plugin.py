"""Registers the built-in ``full`` trainer.

``tweetgen.training.trainer`` imports torch and transformers only inside functions, so
registering it keeps ``import tweetgen`` and ``tweetgen plugins`` fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tweetgen.plugins.hookspecs import hookimpl


@hookimpl
def register_trainers(register: Callable[[type[Any]], None]) -> None:
    from tweetgen.training.trainer import Trainer

    register(Trainer)
