"""``tweetgen serve``: the seed's widget as a page, and the model behind the HTTP APIs that
clients already speak (Hugging Face Inference, OpenAI completions). Needs the ``serve`` extra
(Starlette and uvicorn).

:func:`create_app` builds the ASGI app (to mount in an app of your own); :func:`serve` runs it
with uvicorn as the command does.
"""

from __future__ import annotations

from tweetgen.serve.app import create_app
from tweetgen.serve.runner import serve
from tweetgen.serve.settings import API_KEY_ENV, Limits, ServeSettings

__all__ = ["API_KEY_ENV", "Limits", "ServeSettings", "create_app", "serve"]
