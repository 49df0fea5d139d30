"""The package as a library user meets it: version, dir(), ``python -m tweetgen``."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import tweetgen


def test_version_comes_from_the_installed_metadata() -> None:
    assert tweetgen.__version__ == version("tweetgen")


def test_dir_lists_the_lazy_names() -> None:
    names = dir(tweetgen)
    for name in ("Corpus", "Trainer", "TrainConfig", "Generator", "__version__", "Post"):
        assert name in names
    assert set(tweetgen.__all__) <= set(names)


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tweetgen", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"tweetgen, version {version('tweetgen')}"
