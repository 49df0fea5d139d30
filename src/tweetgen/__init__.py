"""tweetgen: turn one person's posts into a language model that writes in their voice.

Heavy pieces (torch, transformers) load on first use, so ``import tweetgen`` stays quick.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from tweetgen.errors import (
    ArchiveError,
    CorpusError,
    FilterError,
    GenerationError,
    HubError,
    InputFormatError,
    MissingDependencyError,
    NetworkError,
    NotEnoughDataError,
    PluginError,
    PublishError,
    SourceError,
    TrainingError,
    TweetgenError,
)
from tweetgen.filters.base import Chain, Clean, Drop, Filter
from tweetgen.plugins import get_filters, get_sources, get_trainers, list_plugins
from tweetgen.plugins.hookspecs import hookimpl
from tweetgen.plugins.options import Option
from tweetgen.records.post import Post, PostKind, Url
from tweetgen.records.report import FilterReport, FilterStep

if TYPE_CHECKING:
    from tweetgen.corpus.corpus import Corpus

    __version__: str
    from tweetgen.generation.generator import Generator
    from tweetgen.generation.samples import Sample
    from tweetgen.training.config import TrainConfig
    from tweetgen.training.trainer import TrainedModel, Trainer

_LAZY = {
    "Corpus": "tweetgen.corpus.corpus",
    "Generator": "tweetgen.generation.generator",
    "Sample": "tweetgen.generation.samples",
    "TrainConfig": "tweetgen.training.config",
    "Trainer": "tweetgen.training.trainer",
    "TrainedModel": "tweetgen.training.trainer",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name == "__version__":  # read on demand: installed metadata is the one source of truth
        from tweetgen.plugins import tweetgen_version

        return tweetgen_version()
    raise AttributeError(f"module 'tweetgen' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The lazy names too, so completion and ``dir(tweetgen)`` show the whole API."""
    return sorted({*globals(), *_LAZY, "__version__"})


__all__ = [
    "ArchiveError",
    "Chain",
    "Clean",
    "Corpus",
    "CorpusError",
    "Drop",
    "Filter",
    "FilterError",
    "FilterReport",
    "FilterStep",
    "GenerationError",
    "Generator",
    "HubError",
    "InputFormatError",
    "MissingDependencyError",
    "NetworkError",
    "NotEnoughDataError",
    "Option",
    "PluginError",
    "Post",
    "PostKind",
    "PublishError",
    "Sample",
    "SourceError",
    "TrainConfig",
    "TrainedModel",
    "Trainer",
    "TrainingError",
    "TweetgenError",
    "Url",
    "get_filters",
    "get_sources",
    "get_trainers",
    "hookimpl",
    "list_plugins",
]
