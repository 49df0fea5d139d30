"""Shared fixtures. Tests never touch the network; shared data is optional."""

from __future__ import annotations

from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model trained for a few steps on synthetic posts (a few seconds, once a session).

    Shared: tests that change the directory must copy it first.
    """
    from tweetgen.training.testing import corpus_from_texts, synthetic_texts, tiny_config
    from tweetgen.training.trainer import Trainer

    out = tmp_path_factory.mktemp("trained") / "model"
    config = tiny_config(out, epochs=1, max_steps=6)
    return Trainer(config).train(corpus_from_texts(synthetic_texts(300))).path
