"""The rows of :meth:`Generator.generate_batch`: many requests (prompts, settings, token
budgets) written by the same ``model.generate`` calls.

Transformers applies one sampling setting to a whole batch; :class:`RowSampling` applies each
row's own (minimum length, temperature, top-k, top-p, in transformers' order), and
:class:`RowStops` ends each row on its own (end of text, line break, budget, a client gone)
and hands it over at once, so a post can be sent before the rest of its batch is written.
:class:`BatchDraw` writes the rows in segments (:data:`SEGMENT_TOKENS`, doubling); between
segments the finished rows leave the batch and the others go on from the model's cache, so a
batch costs about its posts' own lengths, not its longest post's length times its row count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tweetgen.generation.samples import GenerationResult, Sample, SampleRequest

if TYPE_CHECKING:
    import torch


#: Draw at most this many samples per requested one before giving up on the novelty filter.
TRIES_PER_SAMPLE = 5
#: Tokens of the first ``model.generate`` call of a batch, then twice as many each call, up to
#: :data:`MAX_SEGMENT_TOKENS`: between calls, finished rows leave the batch. Short first
#: segments matter: most posts are short, and a finished row costs as much as a live one
#: until its segment ends.
SEGMENT_TOKENS = 4
MAX_SEGMENT_TOKENS = 32
#: Rows drawn beyond a request's need, as a share of it: some posts come out empty or copied,
#: and a spare row is cheaper than another round for them. Rows past the need stop as soon as
#: their request has its posts.
SPARE_ROWS = 0.25


def token_ids(value: int | list[int] | None) -> set[int]:
    """Token ids of a setting that may be one id, several, or unset."""
    if value is None:
        return set()
    return {value} if isinstance(value, int) else set(value)


class BatchDraw:
    """The rounds of one :meth:`Generator.generate_batch` call: which rows to draw next, and
    each finished row turned into a kept or dropped sample of its request."""

    def __init__(
        self,
        generator: Any,
        requests: Sequence[SampleRequest],
        results: list[GenerationResult],
        on_sample: Callable[[int, Sample], None] | None,
        cancelled: Callable[[int], bool],
    ) -> None:
        self.generator = generator
        self.requests = requests
        self.results = results
        self.on_sample = on_sample
        self.cancelled = cancelled

    def plan(self, batch_size: int) -> list[int]:
        """The request of each row of the next round: every request still short of its posts
        (and of its draws), in order, at most ``batch_size`` rows."""
        rows: list[int] = []
        for i, (request, result) in enumerate(zip(self.requests, self.results, strict=True)):
            if self.cancelled(i):
                continue
            need = request.n - len(result.samples)
            spare = round(need * SPARE_ROWS) if need > 0 else 0
            need = min(need + spare, TRIES_PER_SAMPLE * request.n - result.drawn)
            rows += [i] * max(0, min(need, batch_size - len(rows)))
        return rows

    def stopped(self, i: int) -> bool:
        """Whether rows of request ``i`` are no longer wanted (cancelled, or it has all its
        posts)."""
        return self.cancelled(i) or len(self.results[i].samples) >= self.requests[i].n

    def run(self, rows: list[int]) -> None:
        """Write ``rows`` (one per post), a segment at a time, until each is finished."""
        import torch

        gen = self.generator
        requests = [self.requests[i] for i in rows]
        inputs, lengths = gen._encode_rows([r.prompt for r in requests])
        ids, mask = inputs["input_ids"], inputs["attention_mask"]
        start = int(ids.shape[1])
        budgets = self._budgets(requests, lengths)
        sampling = RowSampling(gen, requests, lengths, start)
        stops = RowStops(self, rows, budgets, start)
        alive = torch.arange(len(rows), device=ids.device)
        limit = gen.position_limit
        segment = SEGMENT_TOKENS
        cache: Any = self._shared_prompts(ids, mask)
        while True:
            sampling.select(alive)
            stops.select(alive)
            end = start + max(budgets[i] for i in alive.tolist())
            length = min(end, ids.shape[1] + segment)
            segment = min(2 * segment, MAX_SEGMENT_TOKENS)
            output, cache = self._segment(ids, mask, length, cache, sampling, stops)
            going = ~stops.finished[alive]
            if not bool(going.any()):
                return
            if output.shape[1] >= end or (limit is not None and output.shape[1] >= limit):
                stops.finish_rest(output)
                return
            added = output.shape[1] - mask.shape[1]
            mask = torch.cat([mask, mask.new_ones((mask.shape[0], added))], dim=1)[going]
            ids, alive = output[going], alive[going]
            if cache is not None:  # the rows going on keep what the model computed of them
                cache.batch_select_indices(going.nonzero().flatten())

    def _shared_prompts(self, ids: torch.Tensor, mask: torch.Tensor) -> Any:
        """The model's cache of the prompts (all but their last token), read once per distinct
        prompt and copied to each of its rows: the posts of one request, and requests with the
        page's default prompt, share a prompt. None when there is nothing to share."""
        import torch

        if ids.shape[1] < 2:
            return None
        # rows alike in tokens and in padding (a prompt may spell the padding token itself)
        rows = torch.cat([ids, mask], dim=1)
        unique, inverse = torch.unique(rows, dim=0, return_inverse=True)
        if unique.shape[0] == ids.shape[0]:
            return None
        length = ids.shape[1]
        tokens, head = unique[:, : length - 1], unique[:, length : 2 * length - 1]
        positions = (head.cumsum(-1) - 1).clamp(min=0)
        with torch.inference_mode():
            out = self.generator.model(
                input_ids=tokens,
                attention_mask=head,
                position_ids=positions,
                use_cache=True,
            )
        cache: Any = getattr(out, "cache", None)
        if cache is None:  # transformers before the ``cache`` name
            cache = getattr(out, "past_key_values", None)
        if cache is None or not hasattr(cache, "batch_select_indices"):
            return None
        cache.batch_select_indices(inverse)
        return cache

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

    def _segment(
        self,
        ids: torch.Tensor,
        mask: torch.Tensor,
        max_length: int,
        cache: Any,
        sampling: RowSampling,
        stops: RowStops,
    ) -> tuple[torch.Tensor, Any]:
        """One ``model.generate`` call; the sequences and the model's cache of them, which
        the next segment starts from instead of reading the sequences again."""
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        gen = self.generator
        config = gen._batch_config(max_length)
        config.return_dict_in_generate = True
        with torch.inference_mode():
            output = gen.model.generate(
                input_ids=ids,
                attention_mask=mask,
                cache=cache,
                generation_config=config,
                logits_processor=LogitsProcessorList([sampling]),
                stopping_criteria=StoppingCriteriaList([stops]),
            )
        cache = getattr(output, "cache", None)
        return output.sequences, cache if hasattr(cache, "batch_select_indices") else None

    def finish(self, i: int, tokens: list[int]) -> None:
        """Row tokens (after the prompt) of request ``i`` made into a sample, or dropped."""
        if self.stopped(i):
            return
        gen, request = self.generator, self.requests[i]
        config = gen.generation_config
        stops = token_ids(config.eos_token_id) | token_ids(config.pad_token_id)
        end = next((k for k, t in enumerate(tokens) if t in stops), len(tokens))
        text = str(gen.tokenizer.decode(tokens[:end], skip_special_tokens=True))
        kept = gen._keep(
            self.results[i], request.prompt, text, end, request.cut_at_newline, request.novelty
        )
        if kept is not None and self.on_sample is not None:
            self.on_sample(i, kept)


class RowSampling:
    """A logits processor doing what transformers' minimum-length, temperature, top-k and
    top-p steps do, in their order, with each row's own settings."""

    def __init__(
        self, gen: Any, requests: list[SampleRequest], lengths: list[int], start: int
    ) -> None:
        import torch

        config = gen.generation_config
        device = gen.device
        temperatures = [r.temperature or config.temperature or 1.0 for r in requests]
        tops = [r.top_p or config.top_p or 1.0 for r in requests]
        min_length = config.min_length or 0
        self.all = (
            torch.tensor(temperatures, device=device)[:, None],
            torch.tensor([1 - p for p in tops], device=device)[:, None],
            torch.tensor([min_length - n for n in lengths], device=device),
        )
        self.temperature, self.keep_below, self.min_new = self.all
        self.top_k = 50 if config.top_k is None else config.top_k  # transformers' default
        self.eos = sorted(token_ids(config.eos_token_id))
        self.start = start

    def select(self, alive: torch.Tensor) -> None:
        """Work on the rows ``alive`` (indexes into the first batch) from now on."""
        self.temperature, self.keep_below, self.min_new = (t[alive] for t in self.all)

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        import torch

        step = input_ids.shape[1] - self.start
        early = self.min_new > step
        if self.eos and bool(early.any()):
            scores = scores.clone()
            scores[early.nonzero()[:, :1], torch.tensor(self.eos)] = -math.inf
        scores = scores / self.temperature
        if self.top_k:
            kth = torch.topk(scores, min(self.top_k, scores.shape[-1])).values[..., -1:]
            scores = scores.masked_fill(scores < kth, -math.inf)
        ordered, order = torch.sort(scores, descending=False)
        remove = ordered.softmax(dim=-1).cumsum(dim=-1) <= self.keep_below
        remove[..., -1:] = False
        return scores.masked_fill(remove.scatter(1, order, remove), -math.inf)


class RowStops:
    """A stopping criterion that finishes each row on its own: at the end-of-text token, at a
    line break (when its request cuts there), at its token budget, or when its request is
    cancelled. A finished row is handed to :meth:`BatchDraw.finish` at once."""

    def __init__(self, draw: BatchDraw, rows: list[int], budgets: list[int], start: int) -> None:
        import torch

        gen = draw.generator
        config = gen.generation_config
        device = gen.device
        self.draw, self.start, self.all_rows = draw, start, rows
        self.all_budgets = torch.tensor(budgets, device=device)
        stop_ids = token_ids(config.eos_token_id) | token_ids(config.pad_token_id)
        self.stop_ids = torch.tensor(sorted(stop_ids), device=device, dtype=torch.long)
        self.newline_ids = torch.tensor(gen.newline_ids, device=device, dtype=torch.long)
        cuts = [draw.requests[i].cut_at_newline for i in rows]
        self.all_cut = torch.tensor(cuts, device=device, dtype=torch.bool)
        #: Per row of the first batch: whether it is finished.
        self.finished = torch.zeros(len(rows), device=device, dtype=torch.bool)
        self.select(torch.arange(len(rows), device=device))

    def select(self, alive: torch.Tensor) -> None:
        """Work on the rows ``alive`` (indexes into the first batch) from now on."""
        self.alive = alive
        self.rows = [self.all_rows[i] for i in alive.tolist()]
        self.budgets = self.all_budgets[alive]
        self.cut = self.all_cut[alive]

    def __call__(self, input_ids: torch.Tensor, scores: Any, **_: Any) -> torch.Tensor:
        import torch

        last = input_ids[:, -1]
        done = (input_ids.shape[1] - self.start >= self.budgets) | torch.isin(last, self.stop_ids)
        done |= self.cut & torch.isin(last, self.newline_ids)
        gone = [self.draw.stopped(i) for i in self.rows]
        done |= torch.tensor(gone, device=done.device, dtype=torch.bool)
        fresh = done & ~self.finished[self.alive]
        self.finished[self.alive] |= done
        for row in fresh.nonzero().flatten().tolist():
            self.draw.finish(self.rows[row], input_ids[row, self.start :].tolist())
        return done

    def finish_rest(self, output: torch.Tensor) -> None:
        """Rows a length limit ended before their own."""
        for row in (~self.finished[self.alive]).nonzero().flatten().tolist():
            self.finished[self.alive[row]] = True
            self.draw.finish(self.rows[row], output[row, self.start :].tolist())


__all__ = [
    "MAX_SEGMENT_TOKENS",
    "SEGMENT_TOKENS",
    "TRIES_PER_SAMPLE",
    "BatchDraw",
    "RowSampling",
    "RowStops",
]
