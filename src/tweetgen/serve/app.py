"""The ASGI app: :func:`create_app` builds it from model folders (or loaded generators), to run
with ``tweetgen serve`` or to mount in an app of your own::

    from starlette.applications import Starlette
    from starlette.routing import Mount
    from tweetgen.serve import create_app

    app = Starlette(routes=[Mount("/tweets", app=create_app(["model/"]))])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tweetgen.errors import ServeError
from tweetgen.generation.generator import Generator
from tweetgen.serve.api import Api, Served
from tweetgen.serve.batcher import Batcher
from tweetgen.serve.bodies import Problem
from tweetgen.serve.http import KeyGate, problem_response
from tweetgen.serve.models import ServedModel, model_name, served_model
from tweetgen.serve.page import page_response, picture_response
from tweetgen.serve.settings import Limits


def create_app(
    models: Sequence[str | os.PathLike[str] | Generator | ServedModel],
    *,
    api_key: str | None = None,
    limits: Limits | None = None,
    device: str = "auto",
) -> Starlette:
    """An app serving ``models`` (folders are loaded here; a :class:`Generator` is used as it
    is). With ``api_key``, every API route needs ``Authorization: Bearer KEY``. All models
    share one worker thread: on a CPU, two batches at once only slow each other down."""
    limits = limits or Limits()
    loaded = _load(models, device)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tweetgen-generate")
    served = {m.name: Served(m, Batcher(m.generator, limits, executor)) for m in loaded}
    api = Api(served, limits)
    needs_key = bool(api_key)

    async def page(request: Request) -> Response:
        return page_response(request, loaded, limits, needs_key=needs_key)

    async def picture(request: Request) -> Response:
        found = served.get(request.path_params["name"])
        return picture_response(found.model if found else None)

    routes = [
        Route("/", page),
        Route("/pictures/{name}", picture),
        Mount("/static", app=StaticFiles(packages=[("tweetgen.serve", "static")]), name="static"),
        Route("/health", api.health),
        Route("/models/{name}", api.hf_generate, methods=["POST"]),
        Route("/v1/models", api.list_models),
        Route("/v1/models/{name}", api.get_model),
        Route("/v1/completions", api.completions, methods=["POST"]),
    ]
    middleware = [Middleware(KeyGate, key=api_key)] if api_key else []
    handlers = {Problem: problem_response, HTTPException: problem_response,
                Exception: problem_response}  # fmt: skip
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.tweetgen = api
    app.state.executor = executor
    return app


def _load(
    models: Sequence[str | os.PathLike[str] | Generator | ServedModel], device: str
) -> list[ServedModel]:
    """The models in the order given (the page shows their cards in that order)."""
    loaded: dict[str, ServedModel] = {}
    for item in models:
        if isinstance(item, ServedModel):
            name = item.name
        else:
            name = model_name(item.path if isinstance(item, Generator) else Path(item))
        if name in loaded:
            raise ServeError(f"two models would be named {name!r}: rename a folder")
        if isinstance(item, ServedModel):
            loaded[name] = item
        elif isinstance(item, Generator):
            loaded[name] = served_model(name, item)
        else:
            loaded[name] = served_model(name, Generator(item, device=device))
    if not loaded:
        raise ServeError("give at least one model folder")
    return list(loaded.values())


__all__ = ["create_app"]
