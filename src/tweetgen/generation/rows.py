"""The rows of :meth:`Generator.generate_batch`: many requests (prompts, settings, token
budgets) written one token of every row per step, by one decode loop.

``model.generate`` applies one sampling setting to a whole batch and keeps a finished row in
it until the longest is done. Here each row has its own settings (:class:`RowSampling`: minimum
length, temperature, top-k, top-p, in transformers' order) and its own end (:class:`RowStops`:
end of text, line break, budget, a client gone). A finished row is handed over at once, so a
post can be sent before the rest of its batch is written, and leaves the batch with its part of
the model's cache, so a batch costs about its posts' own lengths, not its longest post's length
times its row count. Rows that share a prompt read it once.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tweetgen.generation.samples import GenerationResult, Sample, SampleRequest

if TYPE_CHECKING:
    import torch


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
        """Write ``rows`` (one per post), a token of each per step, until each is finished."""
        import torch

        gen = self.generator
        requests = [self.requests[i] for i in rows]
        ids, mask = gen._encode_rows([r.prompt for r in requests])
        lengths = [int(n) for n in mask.sum(dim=1).tolist()]
        sampling = RowSampling(gen, requests, lengths)
        stops = RowStops(self, rows, self._budgets(requests, lengths))
        start = int(ids.shape[1])
        with torch.inference_mode():
            logits, cache = self._prefill(ids, mask)
            while True:
                tokens = sampling.draw(ids, logits, ids.shape[1] - start)
                ids = torch.cat([ids, tokens[:, None]], dim=1)
                mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=1)
                keep = stops.check(ids, start)
                if keep is None:
                    return
                if keep.shape[0] < ids.shape[0]:
                    ids, mask, tokens = ids[keep], mask[keep], tokens[keep]
                    cache.batch_select_indices(keep)
                    sampling.select(keep)
                logits, cache = self._step(tokens, mask, cache)

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
        kept = gen._keep(
            self.results[i], request.prompt, text, end, request.cut_at_newline, request.novelty
        )
        if kept is not None and self.on_sample is not None:
            self.on_sample(i, kept)


class RowSampling:
    """Each row's next token, drawn as transformers' sampling would draw it with that row's
    settings: the model's own penalties (repetition, n-gram ban), then minimum length,
    temperature, top-k and top-p, in transformers' order.

    Top-p is taken among the top-k candidates only (sorting a few dozen scores, not the
    vocabulary); where transformers would keep extra tokens tied with the k-th score, this
    keeps exactly k.
    """

    def __init__(self, gen: Any, requests: list[SampleRequest], lengths: list[int]) -> None:
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

    def draw(self, ids: torch.Tensor, scores: torch.Tensor, step: int) -> torch.Tensor:
        """One token per row, from the scores of its next token."""
        import torch

        values, candidates = self.candidates(ids, scores, step)
        choice = torch.multinomial(values.softmax(dim=-1), 1)
        return candidates.gather(1, choice).flatten()

    def candidates(
        self, ids: torch.Tensor, scores: torch.Tensor, step: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The top-k tokens of each row, best first, with their scores after the temperature;
        those outside top-p are set to ``-inf``."""
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
        self.limit = gen.position_limit
        #: Per row of the batch: whether it is finished (finished rows wait to be dropped).
        self.finished = torch.zeros(len(rows), device=device, dtype=torch.bool)

    def check(self, ids: torch.Tensor, start: int) -> torch.Tensor | None:
        """Hand over the rows that ``ids``' newest tokens finished; the rows to go on with
        (indexes into the batch; all of them while few are finished), or None when none are
        left."""
        import torch

        last, written = ids[:, -1], ids.shape[1] - start
        done = (written >= self.budgets) | torch.isin(last, self.stop_ids)
        done |= self.cut & torch.isin(last, self.newline_ids)
        if self.limit is not None and ids.shape[1] >= self.limit:
            done[:] = True
        gone = [self.draw.stopped(i) for i in self.rows]
        done |= torch.tensor(gone, device=done.device, dtype=torch.bool)
        fresh = (done & ~self.finished).nonzero().flatten().tolist()
        self.finished |= done
        for row in fresh:
            self.draw.finish(self.rows[row], ids[row, start:].tolist())
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
