"""The HTTP API with real clients: httpx and the ``openai`` package, against a live server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tweetgen.generation.generator import Generator
from tweetgen.serve import Limits
from tweetgen.serve.models import served_model

from .conftest import LiveServer, scripted

openai = pytest.importorskip("openai")


def _health(live: LiveServer, name: str = "tiny") -> dict[str, Any]:
    response = httpx.get(f"{live.url}/health", timeout=10)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["status"] == "ok"
    return dict(body["models"][name])


def test_hugging_face_inference_shape(server: LiveServer) -> None:
    body = {"inputs": "the cat", "parameters": {"num_return_sequences": 3, "max_new_tokens": 12}}
    response = httpx.post(f"{server.url}/models/tiny", json=body, timeout=60)
    assert response.status_code == 200, response.text
    posts = response.json()
    assert isinstance(posts, list) and 1 <= len(posts) <= 3
    assert all(set(p) == {"generated_text"} for p in posts)
    assert all(p["generated_text"].startswith("the cat") for p in posts)
    assert all(len(p["generated_text"]) <= 280 and "\n" not in p["generated_text"] for p in posts)


def test_the_openai_client_lists_models_and_completes(server: LiveServer) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()] == ["tiny"]
    assert client.models.retrieve("tiny").id == "tiny"
    completion = client.completions.create(
        model="tiny", prompt="the cat", n=3, max_tokens=12, temperature=0.9, top_p=0.9
    )
    assert 1 <= len(completion.choices) <= 3
    assert sorted(c.index for c in completion.choices) == list(range(len(completion.choices)))
    assert all(not c.text.startswith("the cat") for c in completion.choices)  # no echo
    assert completion.usage is not None and completion.usage.prompt_tokens == 3
    echoed = client.completions.create(model="tiny", prompt="the cat", n=1, max_tokens=8, echo=True)
    assert echoed.choices[0].text.startswith("the cat")


def test_the_openai_client_streams_posts(server: LiveServer) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    chunks = list(
        client.completions.create(model="tiny", prompt="my dog", n=4, max_tokens=12, stream=True)
    )
    assert 1 <= len(chunks) <= 4
    assert all(len(c.choices) == 1 for c in chunks)
    assert sorted(c.choices[0].index for c in chunks) == list(range(len(chunks)))


def test_unknown_model_through_the_openai_client(server: LiveServer) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.NotFoundError, match="no model named 'nope'"):
        client.completions.create(model="nope", prompt="x")
    with pytest.raises(openai.BadRequestError, match="temperature"):
        client.completions.create(model="tiny", prompt="x", temperature=-1)


class _EveryPostIsACopy:
    """A novelty index that calls every post a copy of a training post."""

    def is_copy(self, text: str) -> bool:
        return True


def test_the_novelty_filter_stays_on(
    trained_model: Path, start_server: Callable[..., LiveServer]
) -> None:
    generator = Generator(trained_model, device="cpu")
    generator.novelty = _EveryPostIsACopy()  # type: ignore[assignment]
    live = start_server([served_model("tiny", generator)])
    body = {"model": "tiny", "prompt": "the cat", "n": 2, "max_tokens": 8}
    response = httpx.post(f"{live.url}/v1/completions", json=body, timeout=60)
    assert response.status_code == 200 and response.json()["choices"] == []
    assert _health(live)["drawn"] == 10  # 5 draws per asked post, each dropped


async def _post_all(url: str, bodies: list[dict[str, Any]]) -> list[tuple[float, httpx.Response]]:
    """Send ``bodies`` at once; each response with the seconds it took."""
    async with httpx.AsyncClient(timeout=120) as client:

        async def one(body: dict[str, Any]) -> tuple[float, httpx.Response]:
            start = time.monotonic()
            response = await client.post(f"{url}/v1/completions", json=body)
            return time.monotonic() - start, response

        return await asyncio.gather(*(one(b) for b in bodies))


def test_requests_that_arrive_together_share_one_generate(
    trained_model: Path, start_server: Callable[..., LiveServer]
) -> None:
    generator = scripted(Generator(trained_model, device="cpu"), step_s=0.01, first=None)
    live = start_server([served_model("tiny", generator)], limits=Limits(batch_window=0.3))
    short = {"model": "tiny", "prompt": "the cat", "n": 2, "max_tokens": 4}
    long = {"model": "tiny", "prompt": "a robot eats", "n": 2, "max_tokens": 120}
    answers = asyncio.run(_post_all(live.url, [long] + [short] * 6))
    assert all(r.status_code == 200 for _, r in answers), [r.text for _, r in answers]
    assert _health(live)["batches"] == 1  # seven requests, one batched generate
    # each post is sent when its own row is done, not when the batch is
    assert max(t for t, _ in answers[1:]) < answers[0][0] - 0.5


async def _long_then_short(url: str) -> tuple[float, float]:
    """Seconds of a long request, and of a short one sent while the long one is written."""
    long = {"model": "tiny", "prompt": "a robot eats", "n": 2, "max_tokens": 150}
    short = {"model": "tiny", "prompt": "the cat", "n": 1, "max_tokens": 3}

    async def later() -> tuple[float, httpx.Response]:
        await asyncio.sleep(0.4)
        return (await _post_all(url, [short]))[0]

    first, (took_short, second) = await asyncio.gather(_post_all(url, [long]), later())
    assert first[0][1].status_code == 200 and second.status_code == 200
    return first[0][0], took_short


def _joining_server(trained_model: Path, start_server: Callable[..., LiveServer]) -> LiveServer:
    generator = scripted(Generator(trained_model, device="cpu"), step_s=0.01, first=None)
    return start_server([served_model("tiny", generator)], limits=Limits(batch_window=0.05))


def test_a_request_that_arrives_mid_batch_joins_it(
    trained_model: Path, start_server: Callable[..., LiveServer]
) -> None:
    live = _joining_server(trained_model, start_server)
    took_long, took_short = asyncio.run(_long_then_short(live.url))
    assert _health(live)["batches"] == 1  # the newcomer was written in the running batch
    assert took_short < 0.5 * (took_long - 0.4)  # answered long before the batch ended


def test_guard_without_joining_the_newcomer_waits_for_the_batch(
    trained_model: Path, start_server: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above can fail: a batcher that does not let requests join answers the short
    request only after the long batch, in a second batch."""
    generate_batch = Generator.generate_batch

    def no_joining(self: Generator, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("joining")
        return generate_batch(self, *args, **kwargs)

    monkeypatch.setattr(Generator, "generate_batch", no_joining)
    live = _joining_server(trained_model, start_server)
    took_long, took_short = asyncio.run(_long_then_short(live.url))
    assert _health(live)["batches"] == 2 and took_short > 0.8 * (took_long - 0.4)


def test_a_full_queue_answers_503_with_retry_after(
    trained_model: Path, start_server: Callable[..., LiveServer]
) -> None:
    generator = Generator(trained_model, device="cpu")
    live = start_server(
        [served_model("tiny", generator)], limits=Limits(max_waiting=2, batch_window=0.5)
    )
    body = {"model": "tiny", "prompt": "the cat", "n": 1, "max_tokens": 4}
    answers = [r for _, r in asyncio.run(_post_all(live.url, [body] * 6))]
    busy = [r for r in answers if r.status_code == 503]
    assert len(busy) == 4 and sum(r.status_code == 200 for r in answers) == 2
    assert all(r.headers["retry-after"] == "1" for r in busy)
    assert all(r.json()["error"]["type"] == "overloaded" for r in busy)


def test_a_client_that_disconnects_stops_costing_work(
    trained_model: Path, start_server: Callable[..., LiveServer]
) -> None:
    generator = scripted(Generator(trained_model, device="cpu"), step_s=0.05, first=None)
    live = start_server([served_model("tiny", generator)])
    body = {"model": "tiny", "prompt": "the cat", "n": 4, "max_tokens": 200}  # 10 s of work
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{live.url}/v1/completions", json=body, timeout=0.5)
    while (health := _health(live))["batches"] == 0 or health["writing"]:
        assert time.monotonic() - started < 3, "the batch ran on after its client left"
        time.sleep(0.05)
    assert health["cancelled"] == 1 and health["drawn"] == 0


def test_streaming_sends_each_post_as_an_event(server: LiveServer) -> None:
    body = {"model": "tiny", "prompt": "the cat", "n": 2, "max_tokens": 8, "stream": True}
    with httpx.stream("POST", f"{server.url}/v1/completions", json=body, timeout=60) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    events = [json.loads(line[6:]) for line in lines[:-1]]
    assert events and all(e["object"] == "text_completion" for e in events)


KEY = "s3cret-key-for-tests"


def test_a_key_guards_every_api_route(
    trained_model: Path, start_server: Callable[..., LiveServer]
) -> None:
    live = start_server([served_model("tiny", Generator(trained_model, device="cpu"))], api_key=KEY)
    body = {"model": "tiny", "prompt": "the cat", "n": 1, "max_tokens": 4}
    for method, path, sent in [
        ("GET", "/v1/models", None),
        ("GET", "/v1/models/tiny", None),
        ("POST", "/v1/completions", body),
        ("POST", "/models/tiny", {"inputs": "the cat"}),
        ("POST", "/models/nope", {"inputs": "the cat"}),  # 401 before 404: names stay hidden
    ]:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}):
            answer = httpx.request(method, live.url + path, json=sent, headers=headers, timeout=30)
            assert answer.status_code == 401, (path, headers, answer.text)
            assert answer.headers["www-authenticate"] == "Bearer"
            assert KEY not in answer.text
    client = openai.OpenAI(base_url=f"{live.url}/v1", api_key=KEY, max_retries=0)
    assert [m.id for m in client.models.list()] == ["tiny"]
    assert client.completions.create(model="tiny", prompt="the cat", n=1, max_tokens=4).choices
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{live.url}/v1", api_key="wrong", max_retries=0).models.list()
    page = httpx.get(live.url + "/", timeout=30)  # the page stays open and asks for the key
    assert page.status_code == 200 and 'id="api-key"' in page.text and KEY not in page.text
    assert httpx.get(live.url + "/health", timeout=30).status_code == 200


def test_the_key_is_never_shown() -> None:
    from tweetgen.serve import ServeSettings
    from tweetgen.serve.http import KeyGate

    assert KEY not in repr(ServeSettings(api_key=KEY))
    assert KEY not in repr(KeyGate(lambda *_: None, KEY))  # type: ignore[arg-type]


def test_binding_beyond_loopback_needs_a_key(
    trained_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from tweetgen.cli import main
    from tweetgen.serve.settings import check_binding, is_loopback

    monkeypatch.delenv("TWEETGEN_API_KEY", raising=False)
    result = CliRunner().invoke(main, ["serve", str(trained_model), "--host", "0.0.0.0"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "give an API key with --api-key" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "127.1.2.3"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.4", "::", "example.org"))
    check_binding("127.0.0.1", None)
    check_binding("0.0.0.0", KEY)


#: A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5270de00000000049454e44ae426082"
)


def test_the_card_shows_the_face_the_model_folder_has(
    trained_model: Path, tmp_path: Path, start_server: Callable[..., LiveServer]
) -> None:
    import shutil

    folder = tmp_path / "alice" / "model"
    shutil.copytree(trained_model, folder)
    meta = json.loads((folder / "tweetgen.json").read_text())
    meta["profile"] = {"handle": "alice", "display_name": "Alice <b>A.</b>", "picture": "me.png"}
    (folder / "tweetgen.json").write_text(json.dumps(meta))
    (folder / "me.png").write_bytes(PNG)
    live = start_server([folder])
    page = httpx.get(live.url + "/", timeout=30).text
    assert "🤖 AI Bot 🤖" in page and "@alice bot" in page
    assert "Alice &lt;b&gt;A.&lt;/b&gt;" in page and "<b>A.</b>" not in page  # escaped
    assert 'src="/pictures/alice"' in page
    picture = httpx.get(live.url + "/pictures/alice", timeout=30)
    assert picture.status_code == 200 and picture.content == PNG
    assert picture.headers["content-type"] == "image/png"
    from tweetgen.training.testing import synthetic_texts

    assert all(text not in page for text in synthetic_texts(300))  # the posts it learned from
