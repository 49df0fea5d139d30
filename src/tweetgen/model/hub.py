"""Publish a model directory to the Hugging Face Hub.

The token comes from the argument, ``HF_TOKEN``, or a stored ``hf auth login``; it is passed to
``huggingface_hub`` and nowhere else: never printed, logged, or written into the directory, and
scrubbed from error messages. Checkpoints and local work files are not uploaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tweetgen.base.secrets import redact_text
from tweetgen.errors import HubError, first_line
from tweetgen.model.card import render_card
from tweetgen.model.files import model_files, model_folder
from tweetgen.model.finish import CARD_FILE, read_metadata

if TYPE_CHECKING:
    from huggingface_hub import CommitOperationAdd

#: Never uploaded: training checkpoints and tracking runs (hidden entries, such as the work
#: folder and the temporaries of atomic writes, are no model files to begin with).
IGNORE_PATTERNS = [
    "checkpoint-*",
    "checkpoint-*/**",
    "checkpoints/**",
    "wandb/**",
    "runs/**",
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
    """Create ``repo_id`` (if needed) and upload the model in one commit; return its URL.

    A tweetgen model's card is re-rendered for the upload so its usage snippet names
    ``repo_id``; the local ``README.md`` is left as it was, whether the push works or not.
    """
    path = model_folder(model_dir, error=HubError)
    if repo_id.count("/") > 1 or not repo_id.strip("/"):
        raise HubError(f"bad repository id {repo_id!r} (expected NAME or OWNER/NAME)")
    secret = resolve_token(token)
    operations = upload_operations(path, repo_id)
    from huggingface_hub import HfApi

    api = HfApi(token=secret)
    try:
        url = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        api.create_commit(
            repo_id=url.repo_id,
            operations=operations,
            repo_type="model",
            commit_message="Upload model trained with tweetgen",
        )
    except Exception as exc:  # any hub, HTTP or connection failure
        message = redact_text(first_line(exc), (secret,))
        raise HubError(f"pushing to {repo_id} failed: {message}") from None
    return str(url)


def upload_operations(path: Path, repo_id: str) -> list[CommitOperationAdd]:
    """Every file to upload (minus :data:`IGNORE_PATTERNS`), with the hub's card as bytes."""
    from huggingface_hub import CommitOperationAdd
    from huggingface_hub.utils import filter_repo_objects

    files = [p.relative_to(path).as_posix() for p in model_files(path)]  # no work folder
    kept = filter_repo_objects(files, ignore_patterns=IGNORE_PATTERNS)
    meta = read_metadata(path)
    card = None if meta is None else render_card(meta, model_ref=repo_id, on_hub=True)
    operations = [
        CommitOperationAdd(name, path / name) for name in kept if card is None or name != CARD_FILE
    ]
    if card is not None:
        operations.append(CommitOperationAdd(CARD_FILE, card.encode("utf-8")))
    return operations
