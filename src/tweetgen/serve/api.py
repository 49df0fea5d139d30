"""The API routes: Hugging Face Inference's ``POST /models/{name}``, OpenAI's
``/v1/completions`` and ``/v1/models``, and ``/health``. Each hands its checked request to the
model's :class:`~tweetgen.serve.batcher.Batcher` and answers with what the shared
:class:`~tweetgen.generation.generator.Generator` wrote: same defaults, newline cut and
novelty filter as ``tweetgen generate``."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from tweetgen.errors import GenerationError
from tweetgen.generation.generator import Sample
from tweetgen.serve.batcher import Batcher, Busy, Job
from tweetgen.serve.bodies import Ask, Problem, completion_ask, hf_ask
from tweetgen.serve.http import posts_of, read_body
from tweetgen.serve.models import ServedModel
from tweetgen.serve.settings import Limits


@dataclass
class Served:
    """A model of the app with its batcher."""

    model: ServedModel
    batcher: Batcher


class Api:
    """The API routes over the app's models."""

    def __init__(self, served: dict[str, Served], limits: Limits) -> None:
        self.served = served
        self.limits = limits
        self.started = int(time.time())

    def _find(self, name: str) -> Served:
        found = self.served.get(name)
        if found is None:
            names = ", ".join(sorted(self.served))
            raise Problem(
                404, f"no model named {name!r} here (served: {names})", param="model",
                kind="model_not_found",
            )  # fmt: skip
        return found

    def _submit(self, served: Served, ask: Ask) -> Job:
        try:
            served.model.checker.check_request(ask.request)
        except GenerationError as exc:
            raise Problem(400, exc.message) from None
        try:
            return served.batcher.submit(ask.request)
        except Busy:
            retry = str(self.limits.retry_after)
            raise Problem(
                503, "the server is busy: try again shortly", kind="overloaded",
                headers={"Retry-After": retry},
            ) from None  # fmt: skip

    async def health(self, request: Request) -> Response:
        models = {
            name: {
                "waiting": len(s.batcher.waiting),
                "writing": s.batcher.writing,
                "batches": s.batcher.batches,
                "drawn": s.batcher.drawn,
                "cancelled": s.batcher.cancelled,
                "seconds": round(s.batcher.seconds, 3),
            }
            for name, s in self.served.items()
        }
        return JSONResponse({"status": "ok", "models": models})

    async def hf_generate(self, request: Request) -> Response:
        served = self._find(request.path_params["name"])
        ask = hf_ask(await read_body(request, self.limits), self.limits)
        job = self._submit(served, ask)
        samples = [s async for s in posts_of(job, request)]
        _raise_failed(job)
        return JSONResponse([{"generated_text": _text(s, ask.echo)} for s in samples])

    async def list_models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [self._card(n) for n in self.served]})

    async def get_model(self, request: Request) -> Response:
        return JSONResponse(self._card(self._find(request.path_params["name"]).model.name))

    def _card(self, name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": self.started, "owned_by": "tweetgen"}

    async def completions(self, request: Request) -> Response:
        name, ask = completion_ask(await read_body(request, self.limits), self.limits)
        served = self._find(name)
        job = self._submit(served, ask)
        head = {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion",
                "created": int(time.time()), "model": name}  # fmt: skip
        if ask.stream:
            events = _events(head, ask, job, request)
            return StreamingResponse(events, media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})  # fmt: skip
        samples = [s async for s in posts_of(job, request)]
        _raise_failed(job)
        prompt_tokens = served.model.checker.prompt_tokens(ask.request.prompt)
        written = sum(s.tokens for s in samples)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": written,
                 "total_tokens": prompt_tokens + written}  # fmt: skip
        choices = [_choice(i, s, ask.echo) for i, s in enumerate(samples)]
        return JSONResponse(head | {"choices": choices, "usage": usage})


async def _events(head: dict[str, Any], ask: Ask, job: Job, request: Request) -> AsyncIterator[str]:
    """Server-sent events: one per post as soon as it is written, then ``[DONE]``."""
    index = 0
    async for sample in posts_of(job, request):
        yield _event(head | {"choices": [_choice(index, sample, ask.echo)]})
        index += 1
    if job.failed:
        yield _event({"error": {"message": job.failed, "type": "server_error", "param": None,
                                "code": 500}})  # fmt: skip
    yield "data: [DONE]\n\n"


def _event(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def _choice(index: int, sample: Sample, echo: bool) -> dict[str, Any]:
    return {"text": _text(sample, echo), "index": index, "logprobs": None, "finish_reason": "stop"}


def _text(sample: Sample, echo: bool) -> str:
    """The whole post, or (without ``echo``) what follows the prompt, as OpenAI answers."""
    if echo:
        return sample.text
    prompt = sample.prompt.strip()
    return sample.text[len(prompt) :] if prompt and sample.text.startswith(prompt) else sample.text


def _raise_failed(job: Job) -> None:
    if job.failed:
        raise Problem(500, job.failed, kind="server_error")


__all__ = ["Api", "Served"]
