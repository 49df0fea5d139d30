"""Fake HF, W&B and X bearer tokens in the environment, in ``-o`` and in ``--set``: every
command runs, then every file written (output, work folder, checkpoints, W&B run, logs, card)
and everything printed is scanned for them. Zero hits (issue 9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tweetgen.training.config import WORK_DIR_NAME
from tweetgen.training.testing import synthetic_texts

#: Recognisable fakes, one per kind and per way in, so a hit says where it came from.
FAKES = {
    "env-hf": "hf_" + "EnvFakeHuggingFaceToken0123456789",
    "env-wandb": "0123456789abcdef" * 2 + "01234567",
    "env-x": "AAAAAAAAAAAAAAAAAAAAAEnvFakeXBearer%2Btoken%3D0123456789",
    "set-hf": "hf_" + "SetFakeHuggingFaceToken0123456789",
    "set-api": "SetFakeApiToken-7c1d9e",
    "set-access": "SetFakeAccessToken-5b2f11",
    "set-bearer": "AAAAAAAAAAAAAAAAAAAAASetFakeXBearer%2Btoken%3D0123456789",
    "o-bearer": "AAAAAAAAAAAAAAAAAAAAAOptFakeXBearer%2Btoken%3D0123456789",
}


def environment(tmp: Path) -> dict[str, str]:
    return os.environ | {
        "HF_TOKEN": FAKES["env-hf"],
        "HUGGING_FACE_HUB_TOKEN": FAKES["env-hf"],
        "WANDB_API_KEY": FAKES["env-wandb"],
        "X_BEARER_TOKEN": FAKES["env-x"],
        "TWITTER_BEARER_TOKEN": FAKES["env-x"],
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(tmp / "wandb-dir"),
        "WANDB_SILENT": "true",
        "PYTHONHASHSEED": "0",
    }


def tweetgen(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tweetgen", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp,
        env=environment(tmp),
    )


def hits(root: Path, texts: list[str]) -> list[str]:
    found = []
    for path in [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]:
        data = path.read_bytes()
        found += [f"{path.relative_to(root)}: {k}" for k, v in FAKES.items() if v.encode() in data]
    for i, text in enumerate(texts):
        found += [f"output {i}: {k}" for k, v in FAKES.items() if v in text]
    return found


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("wandb") is None, reason="wandb is not installed"
)
def test_no_fake_token_is_written_or_printed_anywhere(tmp_path: Path) -> None:
    rows = [
        {"id": str(i), "author": "me", "text": t, "created_at": "2026-01-01T00:00:00Z"}
        for i, t in enumerate(synthetic_texts(300))
    ]
    (tmp_path / "posts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    sets = [
        "--set",
        f"hub.hfToken={FAKES['set-hf']}",
        "--set",
        f"extra={json.dumps({'svc': {'apiToken': FAKES['set-api']}})}",
        "--set",
        f"tracker.accessToken={FAKES['set-access']}",
        "--set",
        f"notes.header=Bearer {FAKES['set-bearer']}",
        "--set",
        "keep_checkpoints=true",
        "--set",
        "checkpoint_every=2",
        "--set",
        "tiny.vocab_size=400",
        "--set",
        "tiny.n_layer=1",
        "--set",
        "tiny.n_embd=32",
        "--set",
        "tiny.n_head=2",
        "--set",
        "block_size=32",
        "--set",
        "threads=1",
    ]
    outputs = []
    refused = tweetgen(
        tmp_path,
        "prepare",
        "jsonl",
        "posts.jsonl",
        "--out",
        "c0",
        "-o",
        f"bearer_token={FAKES['o-bearer']}",
    )
    outputs += [refused.stdout, refused.stderr]
    run = tweetgen(
        tmp_path,
        "run",
        "jsonl",
        "posts.jsonl",
        "--out",
        "out",
        "--base-model",
        "tiny",
        "--wandb",
        "--max-steps",
        "4",
        "-n",
        "2",
        *sets,
    )
    outputs += [run.stdout, run.stderr]
    assert run.returncode == 0, run.stderr[-3000:]
    generated = tweetgen(tmp_path, "generate", "out/model", "hi", "-n", "1", "--seed", "1")
    outputs += [generated.stdout, generated.stderr]
    assert generated.returncode == 0, generated.stderr[-2000:]
    assert list((tmp_path / "out" / "model" / WORK_DIR_NAME / "checkpoints").glob("step-*")), (
        "no checkpoint to scan"
    )
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any("wandb" in str(p) for p in written), "no W&B files to scan"
    assert not hits(tmp_path, outputs)


def test_the_scan_finds_a_token_when_there_is_one(tmp_path: Path) -> None:
    (tmp_path / "leak.json").write_text(json.dumps({"hfToken": FAKES["set-hf"]}))
    assert hits(tmp_path, [f"printed {FAKES['env-x']}"]) == ["leak.json: set-hf", "output 0: env-x"]
