"""Shared fixtures. Tests never touch the network; shared data is optional."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """``../shared/corpora`` when present; tests that need it skip otherwise."""
    path = SHARED / "corpora"
    if not path.is_dir():
        pytest.skip("../shared/corpora is not present")
    return path


@pytest.fixture(scope="session")
def milahu_archive(shared_corpora: Path) -> Path:
    return shared_corpora / "x-archive-milahu104"


@pytest.fixture(scope="session")
def sample_archive() -> Path:
    """The archive bundled in ``sample/`` (always present)."""
    return ROOT / "sample" / "x-archive-sample.zip"
