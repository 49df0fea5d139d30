"""Publish a model directory to the Hugging Face Hub.

The token comes from the argument, ``HF_TOKEN``, or a stored ``hf auth login``; it is passed to
``huggingface_hub`` and nowhere else: never printed, logged, or written into the directory, and
scrubbed from error messages. Checkpoints and local work files are not uploaded.
"""

from __future__ import annotations

import os
from pathlib import Path

from tweetgen.errors import HubError
from tweetgen.export import read_metadata, write_card

#: Never uploaded: training checkpoints, tracking runs, temporary files of atomic writes.
IGNORE_PATTERNS = [
    "checkpoint-*",
    "checkpoint-*/**",
    "checkpoints/**",
    "*.work/**",
    "wandb/**",
    "runs/**",
    ".*",
    ".*/**",
    "optimizer.pt",
    "scheduler.pt",
    "rng_state*.pth",
    "training_args.bin",
]


def resolve_token(token: str | None = None) -> str:
    """The token to push with; a :class:`HubError` when there is none."""
    if token:
        return token
    token = os.environ.get("HF_TOKEN")
    if token:
        return token
    from huggingface_hub import get_token

    stored = get_token()
    if stored:
        return stored
    raise HubError("no Hugging Face token: set HF_TOKEN or run `hf auth login`")


def push(
    model_dir: str | os.PathLike[str],
    repo_id: str,
    *,
    token: str | None = None,
    private: bool = False,
) -> str:
    """Create ``repo_id`` (if needed) and upload the model; return the repository's URL.

    A tweetgen model's card is re-rendered first so its usage snippet names ``repo_id``.
    """
    path = Path(model_dir)
    if not (path / "config.json").is_file() and not (path / "adapter_config.json").is_file():
        raise HubError("not a model directory (no config.json)", path=path)
    if repo_id.count("/") > 1 or not repo_id.strip("/"):
        raise HubError(f"bad repository id {repo_id!r} (expected NAME or OWNER/NAME)")
    secret = resolve_token(token)
    meta = read_metadata(path)
    if meta is not None:
        write_card(path, meta, model_ref=repo_id, on_hub=True)
    from huggingface_hub import HfApi

    api = HfApi(token=secret)
    try:
        url = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        api.upload_folder(
            repo_id=url.repo_id,
            folder_path=path,
            repo_type="model",
            commit_message="Upload model trained with tweetgen",
            ignore_patterns=IGNORE_PATTERNS,
        )
    except Exception as exc:  # any hub, HTTP or connection failure
        message = str(exc).replace(secret, "***").strip().splitlines()
        first = message[0] if message else type(exc).__name__
        raise HubError(f"pushing to {repo_id} failed: {first}") from None
    return str(url)


__all__ = ["IGNORE_PATTERNS", "push", "resolve_token"]
