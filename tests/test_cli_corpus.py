from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from click.testing import CliRunner

from tweetgen import Post
from tweetgen.cli import main
from tweetgen.corpus.corpus import Corpus


def save(tmp: Path, author: str, n: int) -> Path:
    posts = [
        Post(
            id=f"{author}{i}",
            author=author,
            text=f"{author} says thing {i}",
            created_at=datetime(2026, 1, 1 + i % 28, tzinfo=timezone.utc),
            source="test",
            lang="en",
        )
        for i in range(n)
    ]
    return Corpus.from_posts(posts).save(tmp / author)


def test_merge_balances_and_stats_shows_it(tmp_path: Path) -> None:
    a, b = save(tmp_path, "ada", 9), save(tmp_path, "bob", 3)
    runner = CliRunner()
    result = runner.invoke(main, ["merge", str(a), str(b), "--out", str(tmp_path / "mix")])
    assert result.exit_code == 0, result.output
    assert "ada (9)" in result.output and "bob (9)" in result.output
    assert Corpus.load(tmp_path / "mix").stats().authors == {"ada": 9, "bob": 9}
    result = runner.invoke(main, ["stats", str(tmp_path / "mix")])
    assert result.exit_code == 0, result.output
    assert "18" in result.output and "en (18)" in result.output


def test_stats_on_a_non_corpus_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stats", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {tmp_path}: not a tweetgen corpus (no corpus.json)"


def test_merge_refuses_the_same_corpus_twice(tmp_path: Path) -> None:
    a = save(tmp_path, "ada", 3)
    result = CliRunner().invoke(main, ["merge", str(a), str(a), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "named twice" in result.output
    assert not (tmp_path / "m").exists()


def test_plugins_command_loads_no_heavy_library() -> None:
    """`tweetgen plugins` and `--help` stay quick: datasets/torch/transformers load on use."""
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; from tweetgen.cli import main; "
        "r = CliRunner().invoke(main, ['plugins']); assert r.exit_code == 0, r.output; "
        "heavy = ('datasets', 'torch', 'transformers', 'atproto', 'tweepy', 'httpx', 'bs4'); "
        "print(sorted(m for m in (*heavy, 'peft') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_model_of_several_authors(tmp_path: Path) -> None:
    """The seed's multi-account mix: merge balanced corpora, train once, the card names all."""
    from tweetgen.training.testing import corpus_from_texts, synthetic_texts, tiny_config
    from tweetgen.training.trainer import Trainer

    ada = corpus_from_texts(synthetic_texts(200, seed=1), author="ada")
    bob = corpus_from_texts(synthetic_texts(60, seed=2), author="bob")
    mix = Corpus.merge([ada, bob], balance=True, seed=0)
    assert mix.stats().authors == {"ada": 200, "bob": 200}
    model = Trainer(tiny_config(tmp_path / "m", max_steps=2)).train(mix)
    card = (model.path / "README.md").read_text()
    assert "# @ada, @bob (tweetgen)" in card
