"""The chains the CLI runs, as plain functions so the Python API gets the same behaviour."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.errors import FilterError
from tweetgen.filters.base import Filter
from tweetgen.model.base import AUTO_BASE, resolve_base_model
from tweetgen.plugins import get_filter
from tweetgen.plugins.options import parse_assignments

if TYPE_CHECKING:  # datasets, torch and transformers load on first use, not on import
    from tweetgen.corpus.corpus import Corpus
    from tweetgen.generation.generator import GenerationResult
    from tweetgen.training.config import TrainConfig
    from tweetgen.training.trainer import TrainedModel

ProgressCallback = Callable[[int], None]
#: Told the name of each stage as it starts ("filtering", "saving the corpus", ...).
StageCallback = Callable[[str], None]


def _tell(stage: StageCallback | None, name: str) -> None:
    if stage is not None:
        stage(name)


def parse_filter_spec(spec: str) -> Filter:
    """Build a filter from ``name`` or ``name:key=value:key=value`` (values parsed as JSON).

    A colon starts a new option only when ``key=`` follows it, so values may hold colons
    (``-f 'keep-languages:languages=["en","de"]'``, URLs, times).
    """
    name, _, rest = spec.partition(":")
    pairs = re.split(r":(?=[A-Za-z_][\w-]*=)", rest) if rest else []
    options = parse_assignments(pairs, what=f"option in filter {spec!r}", error=FilterError)
    filt: Filter = get_filter(name.strip(), **options)
    return filt


def default_filters(
    *, reply_mentions: bool = False, leading_mentions: bool = False
) -> list[Filter]:
    """The seed's cleaning: drop retweets, clean URLs and entities, strip the @mentions posts
    start with (``reply_mentions=True`` keeps them; ``leading_mentions=True`` strips only
    replies'), drop short posts."""
    from tweetgen.filters.builtin import default_filters as builtin_defaults

    return builtin_defaults(reply_mentions=reply_mentions, leading_mentions=leading_mentions)


#: What a corpus is built on (half a second to import); imported while a source reads.
CORPUS_LIBRARY = "datasets"


@contextmanager
def imported_meanwhile(module: str) -> Iterator[None]:
    """``module`` imported by a thread while the block runs; done by the end of the block.

    Meant for a third-party library that none of tweetgen's modules imported meanwhile
    depend on circularly. A failure in the thread is left for the caller's import to raise.
    """
    import importlib
    import threading

    def load() -> None:
        with suppress(Exception):
            importlib.import_module(module)

    thread = threading.Thread(target=load, name=f"import {module}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def read(
    source: str,
    location: str,
    *,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> Corpus:
    """Read every post from ``location`` with the named source plugin, batch by batch.

    The source starts before ``datasets`` is imported (half a second), which happens in a
    thread meanwhile: an archive's worker processes start that much sooner, and this process
    imports while it waits for them.
    """
    from tweetgen.sources.batches import source_batches
    from tweetgen.sources.inputs import check_input, reader_errors

    check_input(location)  # no FIFO, device, endless folder or zip of a million parts
    with reader_errors(source, location):  # a field of the wrong type: one line, no traceback
        stream = source_batches(source, location, progress=progress, **options)
        with imported_meanwhile(CORPUS_LIBRARY):
            batches = stream.started()
        from tweetgen.corpus.corpus import Corpus

        return Corpus.from_batches(batches, meta={"source": source, "location": str(location)})


def prepare(
    source: str,
    location: str,
    out: str | Path | None = None,
    *,
    filters: Sequence[Any] | None = None,
    progress: ProgressCallback | None = None,
    stage: StageCallback | None = None,
    **options: Any,
) -> Corpus:
    """Read, filter and (when ``out`` is given) save a corpus; its ``report`` has the steps."""
    with corpus_output(out):  # an unusable --out is refused before reading
        corpus = read(source, location, progress=progress, **options)
        return filter_and_save(corpus, out, filters, stage=stage)


def corpus_output(out: str | Path | None) -> AbstractContextManager[Any]:
    """Check ``out`` and hold its lock (nothing to do without ``out``)."""
    if out is None:
        return nullcontext()
    from tweetgen.base.atomic import output_guard
    from tweetgen.corpus import META_FILE
    from tweetgen.errors import CorpusError

    earlier = lambda p: (p / META_FILE).is_file()  # noqa: E731
    return output_guard(out, replaceable=earlier, error=CorpusError)


def filter_and_save(
    corpus: Corpus,
    out: str | Path | None,
    filters: Sequence[Any] | None = None,
    *,
    stage: StageCallback | None = None,
) -> Corpus:
    """``corpus`` filtered (by the default chain unless ``filters``), saved when ``out``."""
    _tell(stage, "filtering")
    result = corpus.filter(*(default_filters() if filters is None else filters))
    if out is not None:
        _tell(stage, "saving the corpus")
        result.save(out)
    return result


# The whole chain: source -> filters -> corpus -> model -> samples (``tweetgen run``). ---------


@dataclass
class ChainResult:
    """What ``run_chain`` made: the corpus, the model, and sample posts."""

    corpus: Corpus  # its report: what filtering did
    model: TrainedModel
    generation: GenerationResult
    seconds: float


def run_chain(
    source: str,
    location: str,
    out: str | Path,
    *,
    filters: Sequence[Any] | None = None,
    config: TrainConfig | None = None,
    trainer: str = "full",
    samples: int = 5,
    prompt: str = "",
    read_progress: ProgressCallback | None = None,
    train_progress: Callable[[Any], None] | None = None,
    stage: StageCallback | None = None,
    on_filtered: Callable[[Corpus], None] | None = None,
    **options: Any,
) -> ChainResult:
    """Read, filter, save the corpus to ``out/corpus``, train into ``out/model``, sample.

    ``config`` supplies the training settings; its ``base_model`` may be ``auto`` and its
    ``out_dir`` is replaced by ``out/model``. Samples use the training seed, so a rerun
    prints the same posts. ``on_filtered`` gets the filtered corpus before training starts
    (the CLI prints the data table then).
    """
    import time

    from tweetgen.generation.generator import Generator, check_generation_args
    from tweetgen.plugins import get_trainer_class
    from tweetgen.training.config import TrainConfig
    from tweetgen.training.places import guard_places
    from tweetgen.training.trainer import check_corpus_size

    began = time.perf_counter()
    out = Path(out)
    config = config or TrainConfig(base_model=AUTO_BASE)
    check_generation_args(prompt, samples, seed=config.seed)  # every argument before reading
    trainer_class = get_trainer_class(trainer)  # fail before any reading or writing
    base = resolve_base_model(config.base_model)
    config = config.replace(base_model=base, out_dir=out / "model")
    with corpus_output(out / "corpus"), guard_places(config):  # locked, checked: then read
        raw = read(source, location, progress=read_progress, **options)
        filtered = filter_and_save(raw, None, filters, stage=stage)
        if on_filtered is not None:
            on_filtered(filtered)
        check_corpus_size(filtered)  # too little text: say so before writing anything
        _tell(stage, "saving the corpus")
        filtered.save(out / "corpus")
        if config.wandb:  # the seed's preprocess run: raw and training posts as artifacts
            from tweetgen.training.tracking import log_preprocess

            _tell(stage, "logging the data to W&B")
            log_preprocess(raw, filtered, config)
        model = trainer_class(config).train(filtered, progress=train_progress)
        _tell(stage, "sampling")
        generation = Generator(model.path, device=config.device).generate(
            prompt, samples, seed=config.seed
        )
        seconds = time.perf_counter() - began
        return ChainResult(filtered, model, generation, seconds)
