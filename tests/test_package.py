"""The package as a library user meets it: version, dir(), ``python -m tweetgen``."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

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


def test_train_config_paths_accept_str_and_hold_paths() -> None:
    from pathlib import Path

    from tweetgen import TrainConfig, TrainingError

    config = TrainConfig(out_dir="model", work_dir="scratch")
    assert config.out_dir == Path("model") and config.work_dir == Path("scratch")
    assert TrainConfig().out_dir == Path("model") and TrainConfig().work_dir is None
    assert config.replace(out_dir="other").out_dir == Path("other")
    assert TrainConfig.from_dict(config.to_dict()) == config
    for bad in (3, ""):
        try:
            TrainConfig(out_dir=bad)  # type: ignore[arg-type]
        except TrainingError as exc:
            assert "out_dir" in str(exc)
        else:
            raise AssertionError(f"out_dir={bad!r} was accepted")


#: Libraries tweetgen imports whose analysis would take minutes; their types are not at stake.
HEAVY = (
    "torch", "transformers", "datasets", "pyarrow", "numpy", "huggingface_hub", "tokenizers",
    "safetensors", "wandb", "rich", "click", "pluggy", "peft", "accelerate", "pandas",
)  # fmt: skip


def test_train_config_str_paths_pass_strict_type_checking(tmp_path: Path) -> None:
    """What the docs write type-checks; a wrong type still does not (the check can fail)."""
    good = tmp_path / "good.py"
    good.write_text(
        "from pathlib import Path\n"
        "from tweetgen import TrainConfig\n"
        'config = TrainConfig(out_dir="model", work_dir="work")\n'
        "path: Path = config.out_dir\n"
    )
    bad = tmp_path / "bad.py"
    bad.write_text("from tweetgen import TrainConfig\nTrainConfig(out_dir=3)\n")
    config = tmp_path / "mypy.ini"  # tweetgen's own code checked, heavy libraries skipped
    config.write_text(
        "[mypy]\nstrict = True\nfollow_imports = silent\n"
        f"[mypy-{','.join(f'{m}.*' for m in HEAVY)}]\nfollow_imports = skip\n"
    )
    run = [sys.executable, "-m", "mypy", "--config-file", str(config), "--no-incremental"]
    result = subprocess.run([*run, str(good)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    result = subprocess.run([*run, str(bad)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and 'Argument "out_dir"' in result.stdout, result.stdout
