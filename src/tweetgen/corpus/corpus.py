"""Posts held in a Hugging Face ``datasets.Dataset``, with filtering, splitting and saving."""

from __future__ import annotations

import hashlib
import json
import math
import random
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.base.atomic import atomic_dir, atomic_file
from tweetgen.corpus import META_FILE, POSTS_DIR
from tweetgen.errors import CorpusError
from tweetgen.filters.apply import run_filters
from tweetgen.filters.base import steps_of
from tweetgen.records.post import Post
from tweetgen.records.profile import Profile
from tweetgen.records.report import FilterReport, FilterStep
from tweetgen.records.schema import SCHEMA, conform, empty_table, post_batches, table_posts

#: The corpus layout (``records.schema.SCHEMA``) as ``datasets`` features.
FEATURES = datasets.Features.from_arrow_schema(SCHEMA)

FORMAT_VERSION = 1

#: What separates (and ends) the texts a fingerprint hashes.
_NUL = "\x00"
#: Rows per record batch in a saved corpus. ``datasets`` writes 1,000 (sized for images),
#: with a per-batch cost that made saving a million posts 4x slower; posts are small.
SAVE_BATCH_ROWS = 65_536
_SAVE_LOCK = threading.Lock()


def dataset_of(table: pa.Table) -> datasets.Dataset:
    """A ``datasets.Dataset`` over ``table`` without re-encoding rows (``from_dict`` does)."""
    from datasets.table import InMemoryTable

    info = datasets.DatasetInfo(features=FEATURES)
    # A random fingerprint: datasets would otherwise hash the whole table to make one.
    return datasets.Dataset(InMemoryTable(conform(table)), info=info, fingerprint=uuid.uuid4().hex)


@contextmanager
def _save_batches(rows: int) -> Iterator[None]:
    """``save_to_disk`` with ``rows`` per batch: ``datasets`` reads its batch size from its
    config module on each save and has no argument for it, so it is set for this save only
    (under a lock, so tweetgen's own saves never see each other's value)."""
    with _SAVE_LOCK:
        before = datasets.config.DEFAULT_MAX_BATCH_SIZE
        datasets.config.DEFAULT_MAX_BATCH_SIZE = rows
        try:
            yield
        finally:
            datasets.config.DEFAULT_MAX_BATCH_SIZE = before


class Split(NamedTuple):
    train: Corpus
    validation: Corpus


@dataclass(frozen=True)
class CorpusStats:
    posts: int
    authors: dict[str, int]
    kinds: dict[str, int]
    languages: dict[str, int]
    characters: int
    words: int
    first: str | None
    last: str | None


class Corpus:
    """An immutable collection of posts; every operation returns a new corpus.

    ``report`` accumulates what filtering did since the posts were read, so the data table of
    a model card can be derived from a saved corpus. ``meta`` holds where the posts came from.
    """

    def __init__(
        self,
        dataset: datasets.Dataset,
        *,
        report: FilterReport | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.dataset = dataset
        self.report = report if report is not None else FilterReport(len(dataset))
        self.meta = dict(meta or {})

    # construction -----------------------------------------------------------------------

    @classmethod
    def from_posts(cls, posts: Iterable[Post], *, meta: dict[str, Any] | None = None) -> Corpus:
        """A corpus of ``posts``, converted to Arrow one batch at a time."""
        return cls.from_batches(post_batches(posts), meta=meta)

    @classmethod
    def from_batches(
        cls, batches: Iterable[pa.RecordBatch], *, meta: dict[str, Any] | None = None
    ) -> Corpus:
        """A corpus of record batches in the corpus schema (``tweetgen.records.schema.SCHEMA``).

        Records a source read but skipped (``batches.skipped``, see ``SourceStream``) become
        the first rows of the report, so every post read is kept or counted; the account's
        profile (``batches.profile``) goes into ``meta["profile"]``.
        """
        tables = [pa.Table.from_batches([b]) for b in batches if b.num_rows]
        corpus = cls.from_table(pa.concat_tables(tables) if tables else empty_table(), meta=meta)
        profile = getattr(batches, "profile", None)
        if isinstance(profile, Profile):  # the account's face, for the card and thumbnail
            corpus.meta["profile"] = profile.to_meta()
        skipped = getattr(batches, "skipped", None)
        if skipped:
            by = str((meta or {}).get("source") or "source")  # the source's own step
            corpus.report = FilterReport.with_skipped(len(corpus), skipped, by=by)
        return corpus

    @classmethod
    def from_table(cls, table: pa.Table, *, meta: dict[str, Any] | None = None) -> Corpus:
        return cls(dataset_of(table), meta=meta)

    @classmethod
    def from_source(cls, name: str, location: str, **options: Any) -> Corpus:
        """Read ``location`` with the source plugin called ``name`` (e.g. ``x-archive``)."""
        from tweetgen.sources.batches import source_batches

        batches = source_batches(name, location, **options)
        return cls.from_batches(batches, meta={"source": name, "location": str(location)})

    # access ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.dataset)

    def __iter__(self) -> Iterator[Post]:
        return table_posts(self.table)

    def __repr__(self) -> str:
        return f"<Corpus {len(self)} posts, authors={sorted(self.authors)}>"

    @property
    def table(self) -> pa.Table:
        """The posts as an Arrow table, in order (memory-mapped after :meth:`load`; zero-copy
        without an index map)."""
        table: pa.Table = self.dataset.with_format("arrow")[:]
        return table

    @property
    def texts(self) -> list[str]:
        texts: list[str] = self.table.column("text").to_pylist()
        return texts

    @property
    def authors(self) -> set[str]:
        return set(pc.unique(self.table.column("author")).to_pylist())

    def fingerprint(self) -> str:
        """A digest of the texts in order: checkpoints use it to refuse a different corpus."""
        digest = hashlib.sha256()
        for chunk in self.table.column("text").chunks:
            if len(chunk):  # each text and a NUL, back to back: hashed from Arrow's buffer
                framed = pc.binary_join_element_wise(chunk, _NUL, "")
                ends = np.frombuffer(framed.buffers()[1], dtype=np.int32)
                first, last = ends[framed.offset], ends[framed.offset + len(framed)]
                digest.update(memoryview(framed.buffers()[2])[first:last])
        return digest.hexdigest()[:16]

    def stats(self) -> CorpusStats:
        table = self.table
        texts = table.column("text")
        dates = pc.min_max(table.column("created_at")).as_py()
        langs = pc.fill_null(table.column("lang"), "und")
        langs = pc.if_else(pc.equal(langs, ""), "und", langs)
        return CorpusStats(
            posts=len(self),
            authors=_counts(table.column("author")),
            kinds=_counts(table.column("kind")),
            languages=_counts(langs),
            characters=int(pc.sum(pc.utf8_length(texts)).as_py() or 0),
            words=sum(len(t.split()) for chunk in texts.chunks for t in chunk.to_pylist()),
            first=dates["min"].isoformat() if len(self) else None,
            last=dates["max"].isoformat() if len(self) else None,
        )

    # transformations -------------------------------------------------------------------

    def filter(self, *filters: Any) -> Corpus:
        """The corpus after ``filters``, in order, as ``datasets.Dataset.filter`` returns one.

        A filter may be a :class:`~tweetgen.filters.Filter`, a chain ``a | b`` (each member
        is its own step) or a plain function ``Post -> Post | None``. The new corpus's
        ``report`` holds this corpus's steps followed by one step per filter.
        """
        table, steps = run_filters(self.table, steps_of(filters))
        report = self.report.extend(FilterReport(len(self), steps))
        return Corpus(dataset_of(table), report=report, meta=self.meta)

    def split(self, validation: float = 0.1, *, seed: int = 0) -> Split:
        """Shuffle with ``seed`` and hold out a fraction (at least one post) for validation."""
        if not 0 < validation < 1:
            raise CorpusError(f"validation fraction must be between 0 and 1, got {validation}")
        if len(self) < 2:
            raise CorpusError(f"cannot split a corpus of {len(self)} post(s)")
        n_val = min(len(self) - 1, max(1, math.floor(len(self) * validation)))
        parts = self.dataset.train_test_split(test_size=n_val, seed=seed, shuffle=True)
        return Split(
            Corpus(parts["train"], report=self.report, meta=self.meta),
            Corpus(parts["test"], report=self.report, meta=self.meta),
        )

    @classmethod
    def merge(cls, corpora: Sequence[Corpus], *, balance: bool = False, seed: int = 0) -> Corpus:
        """Concatenate corpora; with ``balance`` oversample each author to the largest author.

        Balancing is the seed's mix of several accounts, so one prolific author does not drown
        out the others. Whole copies are repeated, then a seeded sample fills the remainder.
        """
        if not corpora:
            raise CorpusError("merge needs at least one corpus")
        merged = datasets.concatenate_datasets([c.dataset for c in corpora])
        meta: dict[str, Any] = {"merged": [c.meta for c in corpora]}
        report = FilterReport(
            sum(c.report.downloaded for c in corpora),
            _merge_steps([c.report for c in corpora]),
        )
        if not balance:
            return cls(merged, report=report, meta=meta)
        rng = random.Random(seed)
        by_author: dict[str, list[int]] = {}
        for i, author in enumerate(merged["author"]):
            by_author.setdefault(author, []).append(i)
        target = max(len(v) for v in by_author.values())
        indices: list[int] = []
        for rows in by_author.values():
            copies, rest = divmod(target, len(rows))
            indices.extend(rows * copies + rng.sample(rows, rest))
        meta["balanced"] = {a: len(v) for a, v in by_author.items()}
        return cls(merged.select(sorted(indices)), report=report, meta=meta)

    # persistence -----------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Write ``posts/`` (Arrow) and ``corpus.json`` atomically: all or nothing."""
        directory = Path(directory)
        earlier_corpus = lambda p: (p / META_FILE).is_file()  # noqa: E731
        with atomic_dir(directory, replaceable=earlier_corpus, error=CorpusError) as tmp:
            dataset = self.dataset
            if dataset._indices is not None:  # a split or a selection: write its rows only
                dataset = dataset.flatten_indices()
            with _save_batches(SAVE_BATCH_ROWS):
                dataset.save_to_disk(str(tmp / POSTS_DIR))
            meta = {
                "format": FORMAT_VERSION,
                "posts": len(self),
                "fingerprint": self.fingerprint(),
                "report": self.report.to_dict(),
                "meta": self.meta,
            }
            (tmp / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> Corpus:
        directory = Path(directory)
        meta_path = directory / META_FILE
        if not meta_path.is_file():
            raise CorpusError("not a tweetgen corpus (no corpus.json)", path=directory)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            dataset = datasets.load_from_disk(str(directory / POSTS_DIR))
        except (OSError, ValueError, KeyError) as exc:
            raise CorpusError(f"damaged corpus: {exc}", path=directory) from None
        if not isinstance(meta, dict) or not isinstance(meta.get("report"), dict):
            raise CorpusError(f"damaged {META_FILE}: no report object", path=directory)
        if not isinstance(dataset, datasets.Dataset) or meta.get("format") != FORMAT_VERSION:
            raise CorpusError("unsupported corpus format", path=directory)
        try:  # a hand-edited file: wrong types anywhere in the report
            report = FilterReport.from_dict(meta["report"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            why = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise CorpusError(f"damaged {META_FILE}: {why}", path=directory) from None
        return cls(dataset, report=report, meta=meta.get("meta"))

    def to_jsonl(self, path: str | Path) -> Path:
        """One post per line, in the JSONL source's own column names (round-trips)."""
        path = Path(path)
        with atomic_file(path) as handle:
            for post in self:
                record = post.to_record()
                record["created_at"] = post.created_at.isoformat()
                record["extra"] = post.extra
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return path


def _counts(column: pa.ChunkedArray) -> dict[str, int]:
    """Values by count, most common first (ties in order of first appearance)."""
    counts = pc.value_counts(column).to_pylist()
    ordered = sorted(counts, key=lambda c: -c["counts"])
    return {c["values"]: c["counts"] for c in ordered}


def _merge_steps(reports: Sequence[FilterReport]) -> list[FilterStep]:
    """Sum steps with the same name across authors (order of the first report kept)."""
    totals: dict[tuple[str, str], list[int]] = {}
    for report in reports:
        for s in report.steps:
            t = totals.setdefault((s.name, s.reason), [0, 0, 0])
            t[0] += s.seen
            t[1] += s.dropped
            t[2] += s.changed
    return [FilterStep(n, r, *v) for (n, r), v in totals.items()]
