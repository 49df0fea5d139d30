"""Typed errors: the library raises these, the CLI turns them into one-line messages."""

from __future__ import annotations

from os import PathLike


class TweetgenError(Exception):
    """Base class of every error tweetgen raises on purpose.

    ``path`` names the file the problem is in, when there is one, so the CLI can print
    ``path: message`` without a traceback.
    """

    def __init__(self, message: str, *, path: str | PathLike[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (library errors can run to pages)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class PluginError(TweetgenError):
    """A plugin is unknown, broken, or registers a name another plugin already took."""


class SourceError(TweetgenError):
    """A source could not read its input."""


class InputFormatError(SourceError):
    """The input exists but is not in the shape the source expects (bad JSON, bad UTF-8...)."""


class ArchiveError(SourceError):
    """An archive file is not a valid archive, or is unsafe to open (zip slip, zip bomb)."""


class NetworkError(SourceError):
    """A remote service failed or refused (rate limits, authentication)."""


class CorpusError(TweetgenError):
    """A corpus directory is missing, damaged, or unsuitable for the operation."""


class NotEnoughDataError(CorpusError):
    """Too little text survived filtering to train a model on."""


class FilterError(TweetgenError):
    """A filter was configured with invalid options."""


class TrainingError(TweetgenError):
    """Training could not start or continue (bad config, bad checkpoint, bad base model)."""


class TrackingError(TweetgenError):
    """Experiment tracking (W&B) could not start or record a run."""


class GenerationError(TweetgenError):
    """Sampling from a trained model failed."""


class RequestError(GenerationError):
    """A generation setting out of range; ``param`` names it as the caller spelled it."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


class EvaluationError(TweetgenError):
    """A model or corpus could not be evaluated (missing files, a damaged training log)."""


class HubError(TweetgenError):
    """Pushing to the Hugging Face Hub failed."""


class MissingDependencyError(TweetgenError):
    """An optional package a feature needs is not installed."""


class ServeError(TweetgenError):
    """``tweetgen serve`` cannot start: a model cannot be served, or the address needs a key."""


class PublishError(TweetgenError):
    """Posting to a network failed or was refused (a bad token, a rate limit, a server error)."""
