"""Live servers for the serve tests: the app under uvicorn on a free loopback port, in a
thread, over the session's tiny trained model (``trained_model``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

import uvicorn

from tweetgen.generation.generator import Generator
from tweetgen.serve import Limits, create_app
from tweetgen.serve.models import served_model
from tweetgen.serve.runner import UVICORN_LIMITS


class LiveServer:
    """``app`` served by uvicorn with ``tweetgen serve``'s limits, until :meth:`stop`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", **UVICORN_LIMITS
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = ""

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def scripted(
    generator: Generator, *, step_s: float, first: int | None = 10, gap: int = 8
) -> Generator:
    """Make ``generator``'s model slow (``step_s`` a token) and predictable: row ``r`` of a
    batch ends (end-of-text) at token ``first + gap * r``, or runs to its token budget with
    ``first=None``. Posts of one request then finish one after another, so streaming can be
    seen."""
    real = generator.model.forward
    eos = int(generator.generation_config.eos_token_id)
    endings = [eos, *generator.newline_ids]
    calls = {"n": 0}

    def forward(*args: Any, **kwargs: Any) -> Any:
        ids = kwargs.get("input_ids")
        if ids is not None and ids.shape[1] > 1:  # the prompt: a new generate call
            calls["n"] = 0
        step = calls["n"]
        calls["n"] += 1
        out = real(*args, **kwargs)
        time.sleep(step_s)
        out.logits[:, -1, endings] = -1e4
        if first is not None:
            for row in range(out.logits.shape[0]):
                if step == first + gap * row:
                    out.logits[row, -1, eos] = 1e4
        return out

    generator.model.forward = forward
    return generator


@pytest.fixture(scope="session")
def start_server() -> Iterator[Callable[..., LiveServer]]:
    """Start an app over the given models (folders or generators); stopped at the end."""
    started: list[LiveServer] = []

    def start(models: list[Any], **kwargs: Any) -> LiveServer:
        kwargs.setdefault("device", "cpu")
        live = LiveServer(create_app(models, **kwargs)).start()
        started.append(live)
        return live

    yield start
    for live in started:
        live.stop()


#: Short limits so that the slow-client tests take a second, not ten.
TEST_LIMITS = Limits(body_timeout=1.0)


@pytest.fixture(scope="session")
def server(trained_model: Path, start_server: Callable[..., LiveServer]) -> LiveServer:
    """One server over the tiny model, named ``tiny``."""
    model = served_model("tiny", Generator(trained_model, device="cpu"))
    return start_server([model], limits=TEST_LIMITS)
