"""Run the app with uvicorn, with the limits that keep a slow or stalled client from holding
the server: idle keep-alive connections are closed after a few seconds, headers are capped in
size, connections past a count are answered 503, and bodies are read within a time limit (see
:func:`tweetgen.serve.http.read_body`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from tweetgen.serve.app import create_app
from tweetgen.serve.settings import ServeSettings, check_binding

#: uvicorn's settings for ``tweetgen serve``: the slow-client defences.
UVICORN_LIMITS: dict[str, Any] = {
    "timeout_keep_alive": 5,
    "limit_concurrency": 512,
    "h11_max_incomplete_event_size": 16 * 1024,
    "timeout_graceful_shutdown": 5,
    "server_header": False,
    "proxy_headers": False,
}


def uvicorn_config(app: Any, settings: ServeSettings, **overrides: Any) -> Any:
    """The ``uvicorn.Config`` ``tweetgen serve`` runs ``app`` with."""
    import uvicorn

    options = UVICORN_LIMITS | {"log_level": "info"} | overrides
    return uvicorn.Config(app, host=settings.host, port=settings.port, **options)


def serve(models: Sequence[str | os.PathLike[str]], settings: ServeSettings) -> None:
    """Load ``models`` and serve them until interrupted. Refuses a non-loopback address
    without a key before anything loads."""
    import uvicorn

    check_binding(settings.host, settings.api_key)
    if settings.threads:
        import torch

        torch.set_num_threads(settings.threads)
    app = create_app(
        models, api_key=settings.api_key, limits=settings.limits, device=settings.device
    )
    uvicorn.Server(uvicorn_config(app, settings)).run()


__all__ = ["UVICORN_LIMITS", "serve", "uvicorn_config"]
