"""Request bodies of the two API shapes, read strictly: every wrong type, range or size is a
:class:`Problem` naming the field, which the app answers as a 4xx JSON error.

Types are checked by msgspec (``Expected `int`, got `str` - at `$.n```), ranges by the
generator's own check against the server's narrower :class:`~tweetgen.serve.settings.Limits`.
Fields the API shapes define but tweetgen has no use for (``user``, ``options``...) are
ignored, as the services these shapes come from do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import msgspec

from tweetgen.errors import RequestError
from tweetgen.generation.samples import SampleRequest, check_settings
from tweetgen.serve.settings import Limits

T = TypeVar("T")


class Problem(Exception):
    """A request the server refuses: HTTP ``status``, a message for the client, the field."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        kind: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.kind = kind
        self.headers = headers or {}


class HFParameters(msgspec.Struct):
    num_return_sequences: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_new_tokens: int | None = None
    return_full_text: bool | None = None


class HFBody(msgspec.Struct):
    """``POST /models/{name}``: the Hugging Face Inference API's text-generation body."""

    inputs: str
    parameters: HFParameters | None = None


class CompletionBody(msgspec.Struct):
    """``POST /v1/completions``: OpenAI's legacy completions body."""

    model: str
    prompt: str | list[str] = ""
    n: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stream: bool | None = None
    echo: bool | None = None


@dataclass(frozen=True)
class Ask:
    """A checked request: what to sample, and how to answer."""

    request: SampleRequest
    stream: bool = False
    echo: bool = True


def decode(body: bytes, kind: type[T]) -> T:
    """``body`` as ``kind``, or a 400 saying what is wrong and where."""
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise Problem(400, f"invalid request: {exc}") from None
    except msgspec.DecodeError as exc:
        raise Problem(400, f"the body is not valid JSON: {exc}") from None


def hf_ask(body: bytes, limits: Limits) -> Ask:
    """The sampling request of a Hugging Face Inference body."""
    parsed = decode(body, HFBody)
    params = parsed.parameters or HFParameters()
    request = checked(
        limits,
        prompt=parsed.inputs,
        n=params.num_return_sequences,
        temperature=params.temperature,
        top_p=params.top_p,
        max_new_tokens=params.max_new_tokens,
        names=("inputs", "parameters.num_return_sequences", "parameters.max_new_tokens"),
    )
    return Ask(request, echo=params.return_full_text is not False)


def completion_ask(body: bytes, limits: Limits) -> tuple[str, Ask]:
    """The model name and sampling request of an OpenAI completions body."""
    parsed = decode(body, CompletionBody)
    prompt = parsed.prompt
    if isinstance(prompt, list):
        if len(prompt) != 1:
            message = "prompt: give one prompt (a string, or a list of one)"
            raise Problem(400, message, param="prompt")
        prompt = prompt[0]
    request = checked(
        limits,
        prompt=prompt,
        n=parsed.n,
        temperature=parsed.temperature,
        top_p=parsed.top_p,
        max_new_tokens=parsed.max_tokens,
        names=("prompt", "n", "max_tokens"),
    )
    return parsed.model, Ask(request, stream=bool(parsed.stream), echo=bool(parsed.echo))


def checked(
    limits: Limits,
    *,
    prompt: str,
    n: int | None,
    temperature: float | None,
    top_p: float | None,
    max_new_tokens: int | None,
    names: tuple[str, str, str],
) -> SampleRequest:
    """A :class:`SampleRequest` within ``limits``; ``names`` are the body's names for the
    prompt, the number of posts and the token budget, used in the errors."""
    prompt_name, n_name, tokens_name = names
    if len(prompt) > limits.max_prompt_chars:
        raise Problem(
            413 if len(prompt) > 4 * limits.max_prompt_chars else 400,
            f"{prompt_name}: at most {limits.max_prompt_chars:,} characters, got {len(prompt):,}",
            param=prompt_name,
        )
    request = SampleRequest(
        prompt=prompt,
        n=5 if n is None else n,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
    )
    spelled = {"prompt": prompt_name, "n": n_name, "max_new_tokens": tokens_name}
    try:
        check_settings(request, limits, spelled)
    except RequestError as exc:
        raise Problem(400, exc.message, param=exc.param) from None
    return request


__all__ = ["Ask", "CompletionBody", "HFBody", "Problem", "completion_ask", "decode", "hf_ask"]
