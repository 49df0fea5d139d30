"""``tweetgen serve``: the page and the APIs over one or more model folders."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from tweetgen.errors import MissingDependencyError


@click.command()
@click.argument("models", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--api-key",
    help="Key every API call must send (Authorization: Bearer KEY); needed to listen beyond "
    "this machine. Default: the TWEETGEN_API_KEY environment variable.",
)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or mps.")
@click.option(
    "--threads", type=click.IntRange(1, 1024), help="CPU threads for sampling [torch's default]."
)
def serve(
    models: tuple[Path, ...],
    host: str,
    port: int,
    api_key: str | None,
    device: str,
    threads: int | None,
) -> None:
    """Serve the models in MODELS: a page to try them at http://HOST:PORT/ and the Hugging
    Face Inference and OpenAI-compatible APIs.

    \b
    Example:
      tweetgen serve build/me/model --port 8000
    """
    missing = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingDependencyError(
            f"serving needs {' and '.join(missing)}: pip install 'tweetgen[serve]'"
        )
    from tweetgen.serve import ServeSettings
    from tweetgen.serve import serve as run_server
    from tweetgen.serve.settings import api_key_from, check_binding

    key = api_key_from(api_key)
    check_binding(host, key)  # before any model loads
    settings = ServeSettings(host=host, port=port, api_key=key, device=device, threads=threads)
    click.echo(f"serving {len(models)} model(s) at http://{host}:{port}/", err=True)
    run_server(models, settings)
