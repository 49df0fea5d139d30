"""The rows of :meth:`Generator.generate_batch`: many requests (prompts, settings, token
budgets) written one token of every row per step, by one decode loop.

``model.generate`` applies one sampling setting to a whole batch and keeps a finished row in
it until the longest is done. Here each row has its own settings (:class:`RowSampling`: minimum
length, temperature, top-k, top-p, in transformers' order) and its own end (:class:`RowStops`:
end of text, line break, budget, a client gone). A finished row is handed over at once, so a
post can be sent before the rest of its batch is written, and leaves the batch with its part of
the model's cache, so a batch costs about its posts' own lengths, not its longest post's length
times its row count. Rows that share a prompt read it once. Requests that arrive while a batch
is being written join it at the next step (:meth:`BatchDraw.join`) when the model's cache is a
plain growing one, so a server never holds a newcomer until the batch ahead of it is done.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from tweetgen.generation.samples import GenerationResult, Sample, SampleRequest

if TYPE_CHECKING:
    import torch
    from transformers import GenerationConfig, PreTrainedTokenizerBase


#: Draw at most this many samples per requested one before giving up on the novelty filter.
TRIES_PER_SAMPLE = 5
#: Rows drawn beyond a request's need, as a share of it: some posts come out empty or copied,
#: and a spare row is cheaper than another round for them. Rows past the need stop as soon as
#: their request has its posts.
SPARE_ROWS = 0.25
#: Finished rows stay in the batch (masked out of nothing, just not read) until they are at
#: least this share of it: dropping rows copies the whole cache, which costs more than a few
#: idle rows do for a step or two.
COMPACT_SHARE = 0.125
#: transformers' top-k when a generation config leaves it unset.
DEFAULT_TOP_K = 50


class RowSource(Protocol):
    """What the rows need of :class:`tweetgen.generation.generator.Generator` (which imports
    this module, so it is named by shape here)."""

    model: Any
    tokenizer: PreTrainedTokenizerBase
    generation_config: GenerationConfig
    device: str
    cache_argument: str

    @property
    def position_limit(self) -> int | None: ...

    @property
    def newline_ids(self) -> list[int]: ...

    def check_request(self, request: SampleRequest) -> None: ...

    def encode_rows(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]: ...

    def keep_sample(
        self,
        result: GenerationResult,
        prompt: str,
        continuation: str,
        tokens: int,
        cut_at_newline: bool,
        novelty: bool,
    ) -> Sample | None: ...


def token_ids(value: int | list[int] | None) -> set[int]:
    """Token ids of a setting that may be one id, several, or unset."""
    if value is None:
        return set()
    return {value} if isinstance(value, int) else set(value)


def cache_argument(model: Any) -> str:
    """The name under which this model's forward takes its cache: ``cache`` from transformers
    5.2x, ``past_key_values`` before (and in models written for it)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"


def output_cache(output: Any) -> Any:
    cache = getattr(output, "cache", None)
    return cache if cache is not None else getattr(output, "past_key_values", None)


class BatchDraw:
    """The rounds of one :meth:`Generator.generate_batch` call: which rows to draw next, and
    each finished row turned into a kept or dropped sample of its request."""

    def __init__(
        self,
        generator: RowSource,
        requests: Sequence[SampleRequest],
        results: list[GenerationResult],
        on_sample: Callable[[int, Sample], None] | None,
        cancelled: Callable[[int], bool],
        joining: Callable[[int], Sequence[SampleRequest]] | None = None,
    ) -> None:
        self.generator = generator
        self.requests = list(requests)
        self.results = results
        self.on_sample = on_sample
        self.cancelled = cancelled
        self.joining = joining

    def plan(self, batch_size: int, first: int = 0) -> list[int]:
        """The request of each row of the next round: every request from ``first`` on still
        short of its posts (and of its draws), in order, at most ``batch_size`` rows."""
        rows: list[int] = []
        for i in range(first, len(self.requests)):
            request, result = self.requests[i], self.results[i]
            if self.cancelled(i):
                continue
            need = request.n - len(result.samples)
            spare = round(need * SPARE_ROWS) if need > 0 else 0
            need = min(need + spare, TRIES_PER_SAMPLE * request.n - result.drawn)
            rows += [i] * max(0, min(need, batch_size - len(rows)))
        return rows

    def join(self, room: int) -> list[int]:
        """Rows for the requests that arrived since the last call (at most ``room`` rows); they
        are added to this call's requests and results."""
        if self.joining is None or room <= 0:
            return []
        arrived = list(self.joining(room))
        first = len(self.requests)
        for request in arrived:
            self.generator.check_request(request)
            self.requests.append(request)
            self.results.append(GenerationResult(novelty_checked=self.results[0].novelty_checked))
        return self.plan(room, first) if arrived else []

    def stopped(self, i: int) -> bool:
        """Whether rows of request ``i`` are no longer wanted (cancelled, or it has all its
        posts)."""
        return self.cancelled(i) or len(self.results[i].samples) >= self.requests[i].n

    def run(self, rows: list[int], batch_size: int) -> None:
        """Write ``rows`` (one per post), a token of each per step, until each is finished;
        rows of requests that join meanwhile are written with them, up to ``batch_size``."""
        import torch

        batch = self._start(rows)
        joinable = self.joining is not None and is_growing(batch.cache)
        with torch.inference_mode():
            while True:
                batch.draw_tokens()
                keep = batch.stops.check(batch.ids, batch.starts)
                if keep is None:
                    return
                if keep.shape[0] < batch.ids.shape[0]:
                    batch.select(keep, trim=joinable)
                batch.step()
                if joinable and (joined := self.join(batch_size - batch.ids.shape[0])):
                    batch.admit(self._start(joined))

    def _start(self, rows: list[int]) -> Rows:
        """``rows`` with their prompts read, ready to draw their first token."""
        import torch

        requests = [self.requests[i] for i in rows]
        ids, mask = self.generator.encode_rows([r.prompt for r in requests])
        lengths = [int(n) for n in mask.sum(dim=1).tolist()]
        sampling = RowSampling(self.generator, requests, lengths)
        stops = RowStops(self, rows, self._budgets(requests, lengths))
        with torch.inference_mode():
            logits, cache = self._prefill(ids, mask)
        starts = torch.full((len(rows),), ids.shape[1], device=ids.device)
        return Rows(self, ids, mask, starts, logits, cache, sampling, stops)

    def _prefill(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """The next-token scores after each prompt, and the model's cache of the prompts: read
        once per distinct prompt and copied to each of its rows (the posts of one request,
        and requests with the page's default prompt, share a prompt)."""
        import torch

        gen = self.generator
        # rows alike in tokens and in padding (a prompt may spell the padding token itself)
        unique, inverse = torch.unique(torch.cat([ids, mask], dim=1), dim=0, return_inverse=True)
        length = ids.shape[1]
        tokens, head = unique[:, :length], unique[:, length:]
        output = gen.model(
            input_ids=tokens,
            attention_mask=head,
            position_ids=(head.cumsum(-1) - 1).clamp(min=0),
            use_cache=True,
            logits_to_keep=1,
        )
        cache = output_cache(output)
        if unique.shape[0] < ids.shape[0]:
            cache.batch_select_indices(inverse)
        return output.logits[inverse, -1].float(), cache

    def _step(
        self, tokens: torch.Tensor, mask: torch.Tensor, cache: Any
    ) -> tuple[torch.Tensor, Any]:
        """The model reads each row's newest token on top of its cache."""
        gen = self.generator
        positions = mask.sum(dim=1, keepdim=True) - 1
        output = gen.model(
            input_ids=tokens[:, None],
            attention_mask=mask,
            position_ids=positions,
            use_cache=True,
            **{gen.cache_argument: cache},
        )
        return output.logits[:, -1].float(), output_cache(output)

    def _budgets(self, requests: list[SampleRequest], lengths: list[int]) -> list[int]:
        """New tokens each row may write: asked, else up to the model's ``max_length``; never
        past the model's position table (the model would crash there)."""
        gen = self.generator
        default = gen.generation_config.max_length or 160
        budgets = [
            r.max_new_tokens or max(1, default - n) for r, n in zip(requests, lengths, strict=True)
        ]
        limit = gen.position_limit
        if limit is not None:
            budgets = [max(1, min(b, limit - n)) for b, n in zip(budgets, lengths, strict=True)]
        return budgets

    def finish(self, i: int, tokens: list[int]) -> None:
        """Row tokens (after the prompt) of request ``i`` made into a sample, or dropped."""
        if self.stopped(i):
            return
        gen, request = self.generator, self.requests[i]
        config = gen.generation_config
        stops = token_ids(config.eos_token_id) | token_ids(config.pad_token_id)
        end = next((k for k, t in enumerate(tokens) if t in stops), len(tokens))
        text = str(gen.tokenizer.decode(tokens[:end], skip_special_tokens=True))
        kept = gen.keep_sample(
            self.results[i], request.prompt, text, end, request.cut_at_newline, request.novelty
        )
        if kept is not None and self.on_sample is not None:
            self.on_sample(i, kept)


class Rows:
    """The rows being written: their tokens so far (left-padded), where each row's own tokens
    begin, the model's cache and the next-token scores, with each row's sampling and stops."""

    def __init__(
        self,
        draw: BatchDraw,
        ids: torch.Tensor,
        mask: torch.Tensor,
        starts: torch.Tensor,
        logits: torch.Tensor,
        cache: Any,
        sampling: RowSampling,
        stops: RowStops,
    ) -> None:
        self.draw, self.ids, self.mask, self.starts = draw, ids, mask, starts
        self.logits, self.cache, self.sampling, self.stops = logits, cache, sampling, stops
        self.tokens = ids[:, -1]

    def draw_tokens(self) -> None:
        import torch

        self.tokens = self.sampling.draw(self.ids, self.logits, self.ids.shape[1] - self.starts)
        self.ids = torch.cat([self.ids, self.tokens[:, None]], dim=1)
        self.mask = torch.cat([self.mask, self.mask.new_ones((self.mask.shape[0], 1))], dim=1)

    def step(self) -> None:
        self.logits, self.cache = self.draw._step(self.tokens, self.mask, self.cache)

    def select(self, keep: torch.Tensor, *, trim: bool) -> None:
        """Keep only the rows ``keep``; with ``trim``, drop the columns that are padding in
        every row left (a batch that others keep joining would otherwise only grow)."""
        self.ids, self.mask, self.tokens = self.ids[keep], self.mask[keep], self.tokens[keep]
        self.starts = self.starts[keep]
        self.cache.batch_select_indices(keep)
        self.sampling.select(keep)
        if trim and (cut := int(self.mask.any(dim=0).int().argmax())) > 0:
            self.ids, self.mask, self.starts = (
                self.ids[:, cut:],
                self.mask[:, cut:],
                self.starts - cut,
            )
            for layer in self.cache.layers:
                layer.keys, layer.values = layer.keys[:, :, cut:], layer.values[:, :, cut:]

    def admit(self, other: Rows) -> None:
        """Take ``other``'s rows into this batch, both left-padded to the longer one."""
        import torch

        width = max(self.ids.shape[1], other.ids.shape[1])
        pad = self.draw.generator.tokenizer.pad_token_id
        for rows in (self, other):
            rows.pad_left(width - rows.ids.shape[1], pad)
        self.ids = torch.cat([self.ids, other.ids])
        self.mask = torch.cat([self.mask, other.mask])
        self.starts = torch.cat([self.starts, other.starts])
        self.tokens = torch.cat([self.tokens, other.tokens])
        self.logits = torch.cat([self.logits, other.logits])
        for mine, theirs in zip(self.cache.layers, other.cache.layers, strict=True):
            mine.keys = torch.cat([mine.keys, theirs.keys])
            mine.values = torch.cat([mine.values, theirs.values])
        self.sampling.extend(other.sampling)
        self.stops.extend(other.stops)

    def pad_left(self, columns: int, pad: int) -> None:
        import torch.nn.functional as F

        if columns <= 0:
            return
        self.ids = F.pad(self.ids, (columns, 0), value=pad)
        self.mask = F.pad(self.mask, (columns, 0), value=0)
        self.starts = self.starts + columns
        for layer in self.cache.layers:
            layer.keys = F.pad(layer.keys, (0, 0, columns, 0))
            layer.values = F.pad(layer.values, (0, 0, columns, 0))


def is_growing(cache: Any) -> bool:
    """Whether ``cache`` is transformers' plain dynamic cache (each layer's keys and values one
    tensor per batch, grown by a column per step), which rows can join and leave."""
    from transformers.cache_utils import DynamicLayer

    layers = getattr(cache, "layers", None) or []
    return bool(layers) and all(type(layer) is DynamicLayer for layer in layers)


class RowSampling:
    """Each row's next token, drawn as transformers' sampling would draw it with that row's
    settings: the model's own penalties (repetition, n-gram ban), then minimum length,
    temperature, top-k and top-p, in transformers' order.

    Top-p is taken among the top-k candidates only (sorting a few dozen scores, not the
    vocabulary); where transformers would keep extra tokens tied with the k-th score, this
    keeps exactly k.
    """

    def __init__(self, gen: RowSource, requests: list[SampleRequest], lengths: list[int]) -> None:
        import torch

        config = gen.generation_config
        device = gen.device
        temperatures = [r.temperature or config.temperature or 1.0 for r in requests]
        tops = [r.top_p or config.top_p or 1.0 for r in requests]
        min_length = config.min_length or 0
        self.temperature = torch.tensor(temperatures, device=device)[:, None]
        self.top_p = torch.tensor(tops, device=device)[:, None]
        self.min_new = torch.tensor([min_length - n for n in lengths], device=device)
        top_k = DEFAULT_TOP_K if config.top_k is None else config.top_k
        self.top_k = top_k or len(gen.tokenizer)
        self.eos = torch.tensor(sorted(token_ids(config.eos_token_id)), dtype=torch.long)
        self.processors = model_processors(config)

    def select(self, keep: torch.Tensor) -> None:
        """Keep only the rows ``keep`` (indexes into the current batch)."""
        self.temperature, self.top_p, self.min_new = (
            t[keep] for t in (self.temperature, self.top_p, self.min_new)
        )

    def extend(self, other: RowSampling) -> None:
        """Add ``other``'s rows after these."""
        import torch

        self.temperature = torch.cat([self.temperature, other.temperature])
        self.top_p = torch.cat([self.top_p, other.top_p])
        self.min_new = torch.cat([self.min_new, other.min_new])

    def draw(self, ids: torch.Tensor, scores: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
        """One token per row, from the scores of its next token."""
        import torch

        values, candidates = self.candidates(ids, scores, step)
        choice = torch.multinomial(values.softmax(dim=-1), 1)
        return candidates.gather(1, choice).flatten()

    def candidates(
        self, ids: torch.Tensor, scores: torch.Tensor, step: torch.Tensor | int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The top-k tokens of each row, best first, with their scores after the temperature;
        those outside top-p are set to ``-inf``. ``step``: tokens each row has written."""
        import torch

        if self.processors:
            scores = self.processors(ids, scores)
        early = self.min_new > step
        if self.eos.numel() and bool(early.any()):
            scores = scores.clone()
            scores[early.nonzero()[:, :1], self.eos.to(scores.device)] = -math.inf
        scores = scores / self.temperature
        values, candidates = torch.topk(scores, min(self.top_k, scores.shape[-1]))
        probs = values.softmax(dim=-1)
        before = probs.cumsum(dim=-1) - probs  # the mass of the better candidates
        return values.masked_fill(before >= self.top_p, -math.inf), candidates


def model_processors(config: Any) -> Any:
    """The model's own score penalties from its generation config, as transformers' processor
    classes; None when it sets none."""
    from transformers import (
        LogitsProcessorList,
        NoRepeatNGramLogitsProcessor,
        RepetitionPenaltyLogitsProcessor,
    )

    processors = LogitsProcessorList()
    penalty = getattr(config, "repetition_penalty", None)
    if penalty is not None and penalty != 1.0:
        processors.append(RepetitionPenaltyLogitsProcessor(penalty))
    ngram = getattr(config, "no_repeat_ngram_size", None)
    if ngram:
        processors.append(NoRepeatNGramLogitsProcessor(ngram))
    return processors or None


class RowStops:
    """Finishes each row on its own: at the end-of-text token, at a line break (when its
    request cuts there), at its token budget or the model's last position, or when its request
    no longer wants it. A finished row is handed to :meth:`BatchDraw.finish` at once."""

    def __init__(self, draw: BatchDraw, rows: list[int], budgets: list[int]) -> None:
        import torch

        gen = draw.generator
        config = gen.generation_config
        device = gen.device
        self.draw, self.rows = draw, rows
        self.budgets = torch.tensor(budgets, device=device)
        stop_ids = token_ids(config.eos_token_id) | token_ids(config.pad_token_id)
        self.stop_ids = torch.tensor(sorted(stop_ids), device=device, dtype=torch.long)
        self.newline_ids = torch.tensor(gen.newline_ids, device=device, dtype=torch.long)
        cuts = [draw.requests[i].cut_at_newline for i in rows]
        self.cut = torch.tensor(cuts, device=device, dtype=torch.bool)
        #: Per row of the batch: whether it is finished (finished rows wait to be dropped).
        self.finished = torch.zeros(len(rows), device=device, dtype=torch.bool)

    def extend(self, other: RowStops) -> None:
        """Add ``other``'s rows after these."""
        import torch

        self.rows = self.rows + other.rows
        self.budgets = torch.cat([self.budgets, other.budgets])
        self.cut = torch.cat([self.cut, other.cut])
        self.finished = torch.cat([self.finished, other.finished])

    def check(self, ids: torch.Tensor, starts: torch.Tensor) -> torch.Tensor | None:
        """Hand over the rows that ``ids``' newest tokens finished (each row's own tokens
        begin at its ``starts``); the rows to go on with (indexes into the batch; all of them
        while few are finished), or None when none are left. The budgets keep every row
        within the model's positions."""
        import torch

        last, written = ids[:, -1], ids.shape[1] - starts
        done = (written >= self.budgets) | torch.isin(last, self.stop_ids)
        done |= self.cut & torch.isin(last, self.newline_ids)
        gone = [self.draw.stopped(i) for i in self.rows]
        done |= torch.tensor(gone, device=done.device, dtype=torch.bool)
        fresh = (done & ~self.finished).nonzero().flatten().tolist()
        self.finished |= done
        for row in fresh:
            self.draw.finish(self.rows[row], ids[row, int(starts[row]) :].tolist())
        going = (~self.finished).nonzero().flatten()
        if going.numel() == 0:
            return None
        if len(self.rows) - going.numel() < max(1, COMPACT_SHARE * len(self.rows)):
            return torch.arange(len(self.rows), device=going.device)
        self.rows = [self.rows[i] for i in going.tolist()]
        self.budgets, self.cut = self.budgets[going], self.cut[going]
        self.finished = self.finished[going]
        return going


__all__ = [
    "TRIES_PER_SAMPLE",
    "BatchDraw",
    "RowSampling",
    "RowStops",
    "cache_argument",
    "model_processors",
]
