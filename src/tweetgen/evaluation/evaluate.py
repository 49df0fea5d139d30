"""``tweetgen eval MODEL CORPUS`` as a function: :func:`evaluate` returns an :class:`EvalReport`.

What is measured, and on what:

* held-out loss (perplexity, bits per character) of the fine-tune and of its base, on the
  posts the model did not train on: its own validation split when ``corpus`` is the corpus it
  was trained on (same fingerprint; the split is redone with the model's ``validation`` and
  ``seed``), else every post of ``corpus``;
* ``samples`` unprompted samples of each model (copies kept, so they can be counted): the share
  that are near-copies of a training post, length KS against the author's posts, distinct-1/2
  and the words used more often than the author uses them.

The base is the one named in the model's ``tweetgen.json``: a local directory, a hub id already
in the local cache, or ``tiny``, rebuilt from the training split (it is deterministic).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.errors import EvaluationError, TweetgenError
from tweetgen.evaluation import textstats
from tweetgen.evaluation.heldout import score_posts
from tweetgen.evaluation.report import EvalReport, ModelQuality
from tweetgen.evaluation.trainlog import read_training_curve
from tweetgen.model import gguf
from tweetgen.model.files import model_folder
from tweetgen.model.finish import read_metadata
from tweetgen.model.novelty import NoveltyIndex

if TYPE_CHECKING:
    from tweetgen.corpus.corpus import Corpus

#: Samples per model when not told otherwise (the copy share is a share of these).
DEFAULT_SAMPLES = 100
Stage = Callable[[str], None]


@dataclass(frozen=True)
class HeldOut:
    """The posts scored, the posts trained on (when known), and where they came from."""

    texts: list[str]
    train: list[str] | None
    source: str


def evaluate(
    model_dir: str | os.PathLike[str],
    corpus: Corpus | str | os.PathLike[str],
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 42,
    base: bool = True,
    base_samples: bool = True,
    device: str = "auto",
    stage: Stage | None = None,
) -> EvalReport:
    """Measure the model in ``model_dir`` against the author's posts in ``corpus``.

    ``samples=0`` skips sampling (loss only); ``base=False`` skips the base model,
    ``base_samples=False`` scores the base's loss but draws no samples from it. ``stage`` is
    told the name of each step as it starts. Samples end at the first newline, as
    ``tweetgen generate`` writes them.
    """
    began = time.perf_counter()
    tell = stage or (lambda _name: None)
    model_path = model_folder(model_dir, error=EvaluationError)
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 0:
        raise EvaluationError(f"samples must be a whole number from 0, got {samples!r}")
    loaded = _load_corpus(corpus)
    meta = read_metadata(model_path) or {}
    config = _mapping(meta.get("config"))
    held_out = held_out_posts(loaded, meta, config)
    report = _new_report(model_path, loaded, held_out)
    tell("scoring the fine-tune")
    run = _Run(held_out, report, seed, device, tell)
    report.fine_tune = run.measure("fine-tune", model_path, samples)
    if base:
        with base_folder(config, held_out, report.notes) as folder:
            if folder is not None:
                tell("scoring the base")
                report.base = run.measure("base", folder, samples if base_samples else 0)
    _compare_with_author(report, held_out)
    report.curve = read_training_curve(model_path)
    report.seconds = time.perf_counter() - began
    return report


def _mapping(value: Any) -> dict[str, Any]:
    """A JSON object read from ``tweetgen.json``, or ``{}`` for anything else."""
    return value if isinstance(value, dict) else {}


def _load_corpus(corpus: Corpus | str | os.PathLike[str]) -> Corpus:
    from tweetgen.corpus.corpus import Corpus

    if isinstance(corpus, Corpus):
        found = corpus
    else:
        path = Path(corpus)
        if not path.is_dir():
            raise EvaluationError("no such corpus directory", path=path)
        found = Corpus.load(path)
    if len(found) < 2:
        raise EvaluationError(f"the corpus has {len(found)} post(s): nothing to evaluate on")
    return found


def held_out_posts(corpus: Corpus, meta: dict[str, Any], config: dict[str, Any]) -> HeldOut:
    """The model's validation split when ``corpus`` is its training corpus, else all posts."""
    trained_on = _mapping(meta.get("corpus")).get("fingerprint")
    if trained_on and trained_on == corpus.fingerprint():
        validation = float(config.get("validation", 0.1))
        split = corpus.split(validation, seed=int(config.get("seed", 42)))
        n = len(split.validation)
        source = f"the model's validation split ({n:,} posts it did not train on)"
        return HeldOut(split.validation.texts, split.train.texts, source)
    source = f"all {len(corpus):,} posts (not the corpus the model was trained on)"
    return HeldOut(corpus.texts, None, source)


def _new_report(model_path: Path, corpus: Corpus, held_out: HeldOut) -> EvalReport:
    texts = corpus.texts
    return EvalReport(
        model=str(model_path),
        corpus=str(corpus.meta.get("location") or corpus.meta.get("source") or "corpus"),
        held_out_from=held_out.source,
        real_lengths=[len(t) for t in texts],
        author_distinct_1=textstats.distinct_n(texts, 1),
        author_distinct_2=textstats.distinct_n(texts, 2),
        fine_tune=ModelQuality("fine-tune", str(model_path)),
    )


@dataclass
class _Run:
    """What every model of one evaluation shares: the posts, the seed, sampling settings."""

    held_out: HeldOut
    report: EvalReport
    seed: int
    device: str
    tell: Stage
    sampling: dict[str, Any] = field(default_factory=dict)  # the fine-tune's, for the base too
    index: NoveltyIndex | None = None
    #: The fine-tune's framing token, for the base too (the trainer may have framed posts
    #: with ``<|endoftext|>`` where the base's own EOS is a chat model's ``<|im_end|>``).
    frame: int | None = None

    def measure(self, label: str, path: Path, samples: int) -> ModelQuality:
        """Held-out loss and ``samples`` samples of one model folder, through the Generator."""
        from tweetgen.generation.generator import Generator

        generator = Generator(path, device=self.device)
        quality = ModelQuality(label, str(path))
        tokenizer = generator.tokenizer
        if self.frame is None:
            self.frame = tokenizer.eos_token_id
        elif tokenizer.eos_token_id != self.frame:
            start_from_frame(generator, self.frame)
        quality.held_out = score_posts(
            generator.model, tokenizer, self.held_out.texts, frame=self.frame
        )
        if not self.sampling:
            config = generator.generation_config
            self.sampling = {"temperature": config.temperature, "top_p": config.top_p}
            self.sampling["max_new_tokens"] = max(1, (config.max_length or 160) - 1)
            self.index = self._copy_index(generator.novelty)
        if samples:
            self.tell(f"sampling the {label}")
            drawn = generator.generate(n=samples, seed=self.seed, novelty=False, **self.sampling)
            quality.samples = drawn.texts
            if self.index is not None:
                quality.copies = sum(self.index.is_copy(t) for t in quality.samples)
            lengths = quality.sample_lengths
            quality.length_ks = textstats.ks_distance(lengths, self.report.real_lengths)
            quality.distinct_1 = textstats.distinct_n(quality.samples, 1)
            quality.distinct_2 = textstats.distinct_n(quality.samples, 2)
        return quality

    def _copy_index(self, model_index: NoveltyIndex | None) -> NoveltyIndex | None:
        """The training split's posts when known, else the model's own novelty index."""
        if self.held_out.train is not None:
            return NoveltyIndex.build(self.held_out.train)
        if model_index is None:
            self.report.notes.append("no novelty.json and no training split: copies not counted")
        return model_index


def start_from_frame(generator: Any, frame: int) -> None:
    """Let ``generator`` (the base's) start its samples where the fine-tune's do, at ``frame``,
    and stop there as well as at its own end token: a chat base's ``<|im_end|>`` ends a turn,
    and samples started after it began mid-sentence (docs/evaluation.md)."""
    tokenizer = generator.tokenizer
    config = generator.generation_config
    own = config.eos_token_id
    stops = [own] if isinstance(own, int) else list(own or [])
    tokenizer.eos_token = tokenizer.convert_ids_to_tokens(frame)
    config.eos_token_id = [frame, *(t for t in stops if t != frame)]


def _compare_with_author(report: EvalReport, held_out: HeldOut) -> None:
    """Overused words, and the author's distinct-n on as many posts as there are samples."""
    author = held_out.train if held_out.train is not None else held_out.texts
    for quality in report.models():
        quality.overused = textstats.overused_words(quality.samples, author)
    size = len(report.fine_tune.samples)
    if size:
        subset = textstats.author_subset(author, size)
        report.author_distinct_1 = textstats.distinct_n(subset, 1)
        report.author_distinct_2 = textstats.distinct_n(subset, 2)


@contextmanager
def base_folder(
    config: dict[str, Any], held_out: HeldOut, notes: list[str]
) -> Iterator[Path | None]:
    """A folder holding the base the model was fine-tuned from, or None (with a note)."""
    name = str(config.get("base_model") or "")
    if name == "tiny":
        if held_out.train is None:
            notes.append("the tiny base is rebuilt from the training split: base not measured")
            yield None
            return
        with tempfile.TemporaryDirectory(prefix="tweetgen-eval-") as tmp:
            yield _rebuild_tiny(config, held_out.train, Path(tmp) / "tiny-base")
        return
    if name and gguf.is_gguf_base(name):  # smollm2-135m, a .gguf file or a folder of one
        yield _converted(name, notes)
        return
    if name and Path(name).is_dir():
        yield Path(name)
        return
    yield _cached_hub_model(name, notes)


def _converted(name: str, notes: list[str]) -> Path | None:
    """The model folder a GGUF base was converted into (converted now if not cached)."""
    try:
        return gguf.gguf_base_dir(name, error=EvaluationError)
    except TweetgenError as exc:  # the package is gone, the file is damaged: say so, go on
        notes.append(f"the base {name!r} could not be loaded ({exc}): base not measured")
        return None


def _rebuild_tiny(config: dict[str, Any], texts: Sequence[str], path: Path) -> Path:
    """The tiny base exactly as the trainer built it (same texts, sizes and seed)."""
    from tweetgen.model.base import build_tiny_base

    sizes = _mapping(config.get("tiny"))
    positions = max(int(config.get("block_size", 128)), 128)
    return build_tiny_base(
        texts, path, **sizes, n_positions=positions, seed=int(config.get("seed", 42))
    )


def _cached_hub_model(name: str, notes: list[str]) -> Path | None:
    """A hub base from the local cache only: evaluation never downloads."""
    if not name:
        notes.append("the model does not name its base: base not measured")
        return None
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception:  # not cached, not a repo id: the same answer
        notes.append(f"the base {name!r} is not in the local cache: base not measured")
        return None
