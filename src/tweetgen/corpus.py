"""Posts held in a Hugging Face ``datasets.Dataset``, with filtering, splitting and saving."""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import datasets

from tweetgen.atomic import atomic_dir, atomic_file
from tweetgen.errors import CorpusError
from tweetgen.filters.base import Filter
from tweetgen.post import Post
from tweetgen.report import FilterReport, FilterStep

FORMAT_VERSION = 1
META_FILE = "corpus.json"
POSTS_DIR = "posts"

FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "author": datasets.Value("string"),
        "text": datasets.Value("string"),
        "created_at": datasets.Value("timestamp[us, tz=UTC]"),
        "source": datasets.Value("string"),
        "kind": datasets.Value("string"),
        "lang": datasets.Value("string"),
        "reply_to": datasets.Value("string"),
        "urls": datasets.List(
            {"short": datasets.Value("string"), "expanded": datasets.Value("string")}
        ),
        "mentions": datasets.List(datasets.Value("string")),
        "hashtags": datasets.List(datasets.Value("string")),
        "extra": datasets.Value("string"),
    }
)


class Filtered(NamedTuple):
    corpus: Corpus
    report: FilterReport


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
        records = [p.to_record() for p in posts]
        columns = {k: [r[k] for r in records] for k in FEATURES}
        return cls(datasets.Dataset.from_dict(columns, features=FEATURES), meta=meta)

    @classmethod
    def from_source(cls, name: str, location: str, **options: Any) -> Corpus:
        """Read ``location`` with the source plugin called ``name`` (e.g. ``x-archive``)."""
        from tweetgen.plugins import read_source

        posts = read_source(name, location, **options)
        return cls.from_posts(posts, meta={"source": name, "location": str(location)})

    # access ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.dataset)

    def __iter__(self) -> Iterator[Post]:
        for record in self.dataset:
            yield Post.from_record(record)

    def __repr__(self) -> str:
        return f"<Corpus {len(self)} posts, authors={sorted(self.authors)}>"

    @property
    def texts(self) -> list[str]:
        return list(self.dataset["text"])

    @property
    def authors(self) -> set[str]:
        return set(self.dataset["author"])

    def fingerprint(self) -> str:
        """A digest of the texts in order: checkpoints use it to refuse a different corpus."""
        digest = hashlib.sha256()
        for text in self.dataset["text"]:
            digest.update(text.encode("utf-8"))
            digest.update(b"\x00")
        return digest.hexdigest()[:16]

    def stats(self) -> CorpusStats:
        texts = self.texts
        dates = sorted(self.dataset["created_at"])
        return CorpusStats(
            posts=len(self),
            authors=dict(Counter(self.dataset["author"]).most_common()),
            kinds=dict(Counter(self.dataset["kind"]).most_common()),
            languages=dict(Counter(lang or "und" for lang in self.dataset["lang"]).most_common()),
            characters=sum(len(t) for t in texts),
            words=sum(len(t.split()) for t in texts),
            first=dates[0].isoformat() if dates else None,
            last=dates[-1].isoformat() if dates else None,
        )

    # transformations -------------------------------------------------------------------

    def _derive(self, posts: Iterable[Post], report: FilterReport | None = None) -> Corpus:
        new = Corpus.from_posts(posts, meta=self.meta)
        new.report = report if report is not None else FilterReport(len(new))
        return new

    def filter(self, *filters: Filter) -> Filtered:
        """Apply ``filters`` in order; return the new corpus and what each one did."""
        posts = list(self)
        steps: list[FilterStep] = []
        for f in filters:
            before = {p.id: p.text for p in posts}
            out = list(f(posts))
            changed = sum(1 for p in out if before.get(p.id) != p.text)
            steps.append(FilterStep(f.name, f.reason, len(posts), len(posts) - len(out), changed))
            posts = out
        step_report = FilterReport(len(self), steps)
        corpus = self._derive(posts, self.report.extend(step_report))
        return Filtered(corpus, step_report)

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
            self.dataset.flatten_indices().save_to_disk(str(tmp / POSTS_DIR))
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
        if not isinstance(dataset, datasets.Dataset) or meta.get("format") != FORMAT_VERSION:
            raise CorpusError("unsupported corpus format", path=directory)
        return cls(dataset, report=FilterReport.from_dict(meta["report"]), meta=meta.get("meta"))

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


__all__ = ["Corpus", "CorpusStats", "Filtered", "Split"]
