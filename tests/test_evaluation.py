"""``tweetgen.evaluation`` and ``tweetgen eval``: real models (tiny base), real numbers.

The strongest checks compare against numbers computed another way: the held-out loss equals
the trainer's own validation loss (after and before training, the tiny base rebuilt), and the
guard tests show those comparisons fail when they should.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tweetgen.cli import main
from tweetgen.errors import EvaluationError
from tweetgen.evaluation import (
    EvalReport,
    HeldOutLoss,
    ModelQuality,
    distinct_n,
    evaluate,
    ks_distance,
    overused_words,
    read_training_curve,
    render_html,
)
from tweetgen.evaluation.evaluate import held_out_posts
from tweetgen.evaluation.trainlog import TRAINING_LOG
from tweetgen.model.novelty import NoveltyIndex
from tweetgen.training.testing import corpus_from_texts, synthetic_texts

SAMPLES = 12


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus the session's ``trained_model`` learned from, saved."""
    path = tmp_path_factory.mktemp("eval") / "corpus"
    corpus_from_texts(synthetic_texts(300)).save(path)
    return path


@pytest.fixture(scope="module")
def report(trained_model: Path, corpus_dir: Path) -> EvalReport:
    return evaluate(trained_model, corpus_dir, samples=SAMPLES, seed=3, device="cpu")


def _meta(model: Path) -> dict:
    return json.loads((model / "tweetgen.json").read_text())


# the numbers -------------------------------------------------------------------------------


def test_ks_distance_known_values() -> None:
    assert ks_distance([1, 2, 3], [1, 2, 3]) == 0
    assert ks_distance([1, 2, 3], [4, 5, 6]) == 1
    assert ks_distance([1, 2, 3, 4], [3, 4, 5, 6]) == pytest.approx(0.5)
    assert math.isnan(ks_distance([], [1]))


def test_distinct_n_known_values() -> None:
    assert distinct_n(["a b a b"], 1) == pytest.approx(2 / 4)
    assert distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)  # (a b) twice, (b a) once
    assert distinct_n(["A, b!", "a B"], 1) == pytest.approx(2 / 4)  # words as novelty reads them
    assert math.isnan(distinct_n(["one"], 2))


def test_overused_words_finds_the_model_habit() -> None:
    author = ["the cat sat on the mat", "a dog ran in the park"] * 20
    samples = ["the banana sat on the banana", "banana ran in the park"] * 5
    found = overused_words(samples, author)
    assert found[0].word == "banana" and found[0].author_count == 0
    assert found[0].ratio > 10
    assert "the" not in {w.word for w in found}  # used as often as the author uses it


def test_bits_per_char_is_the_loss_per_character() -> None:
    loss = HeldOutLoss(posts=2, characters=100, tokens=25, nats=50.0)
    assert loss.loss == 2.0 and loss.perplexity == pytest.approx(math.e**2)
    assert loss.bits_per_char == pytest.approx(50 / 100 / math.log(2))


# evaluate() on a real model ---------------------------------------------------------------


def test_held_out_loss_is_the_trainers_validation_loss(
    report: EvalReport, trained_model: Path
) -> None:
    """The same posts, the same framing: the trainer's eval_loss before and after training."""
    metrics = _meta(trained_model)["metrics"]
    assert "validation split" in report.held_out_from
    assert report.fine_tune.held_out is not None and report.base is not None
    assert report.fine_tune.held_out.loss == pytest.approx(metrics["eval_loss"], rel=1e-4)
    assert report.base.held_out is not None  # the tiny base, rebuilt from the training split
    assert report.base.held_out.loss == pytest.approx(metrics["eval_loss_before"], rel=1e-4)
    assert report.fine_tune.held_out.bits_per_char < report.base.held_out.bits_per_char


def test_guard_another_corpus_is_not_the_validation_split(
    trained_model: Path, corpus_dir: Path
) -> None:
    """Guard: posts the model never saw score worse than its validation split, so the
    equality above is not a coincidence of any text."""
    other = corpus_from_texts(synthetic_texts(300, seed=9)[:40] + ["zq xj vv kk"] * 40)
    found = evaluate(trained_model, other, samples=0, base=False, device="cpu")
    assert found.held_out_from.startswith("all 80 posts")
    metrics = _meta(trained_model)["metrics"]
    assert found.fine_tune.held_out is not None
    assert found.fine_tune.held_out.loss > metrics["eval_loss"] * 1.05


def test_samples_copies_and_lengths(report: EvalReport, corpus_dir: Path) -> None:
    fine = report.fine_tune
    assert 0 < len(fine.samples) <= SAMPLES
    assert 0 <= fine.length_ks <= 1 and 0 < fine.distinct_1 <= 1
    from tweetgen.corpus.corpus import Corpus

    corpus = Corpus.load(corpus_dir)
    held = held_out_posts(corpus, _meta(Path(report.model)), _meta(Path(report.model))["config"])
    assert held.train is not None and len(held.train) == 270
    index = NoveltyIndex.build(held.train)
    assert fine.copies == sum(index.is_copy(s) for s in fine.samples)
    assert index.is_copy(held.train[0])  # guard: the count can be non-zero
    assert report.base is not None and len(report.base.samples) > 0
    assert len(report.real_lengths) == 300


def test_guard_length_ks_sees_a_shift() -> None:
    """Guard: the KS the report shows separates a shifted length distribution."""
    real = [len(t) for t in synthetic_texts(300)]
    assert ks_distance(real, [n + 15 for n in real]) > 0.5
    assert ks_distance(real[:150], real[150:]) < 0.2


def test_report_as_json(report: EvalReport) -> None:
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert set(data["headline"]) >= {"bits_per_char_before", "bits_per_char_after", "copy_share"}
    assert data["fine_tune"]["held_out"]["tokens"] > 0
    assert data["training_curve"]["validation"]


# the training curve ----------------------------------------------------------------------


def test_training_log_is_read(tmp_path: Path) -> None:
    lines = [
        {"step": 1, "epoch": 0.1, "tokens": 100, "loss": 5.0, "lr": 1e-4},
        {"step": 2, "epoch": 0.2, "tokens": 200, "loss": 4.0, "lr": 1e-4},
        {"step": 2, "epoch": 0.2, "eval_loss": 4.5},
    ]
    (tmp_path / TRAINING_LOG).write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    curve = read_training_curve(tmp_path)
    assert curve.train == [(1.0, 5.0), (2.0, 4.0)] and curve.validation == [(2.0, 4.5)]


def test_damaged_training_log_is_one_line(tmp_path: Path) -> None:
    (tmp_path / TRAINING_LOG).write_text('{"step": 1, "loss": 2}\n{"step": 2, "loss": \n')
    with pytest.raises(EvaluationError, match="line 2: not JSON"):
        read_training_curve(tmp_path)
    (tmp_path / TRAINING_LOG).write_text('{"step": 1, "loss": NaN}\n')
    with pytest.raises(EvaluationError, match="line 1: loss must be a finite number"):
        read_training_curve(tmp_path)


# the HTML page ---------------------------------------------------------------------------


def test_html_is_self_contained_with_plots(report: EvalReport) -> None:
    page = render_html(report)
    assert page.count("<svg") == 3  # before/after, training curve, lengths
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert "bits/char" in page


def test_html_escapes_what_the_model_wrote(report: EvalReport) -> None:
    hostile = ModelQuality("fine-tune", "m", samples=["<script>alert(1)</script> & <b>"])
    page = render_html(EvalReport("m", "c", "x", [10], 0.5, 0.5, hostile))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in page
    assert "<script>" not in page


# the command -----------------------------------------------------------------------------


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_eval_command_json_and_html(trained_model: Path, corpus_dir: Path, tmp_path: Path) -> None:
    page = tmp_path / "out" / "report.html"
    code, output = _invoke(
        "eval", str(trained_model), str(corpus_dir), "-n", "4", "--device", "cpu",
        "--no-base", "--json", "--html", str(page),
    )  # fmt: skip
    assert code == 0, output
    data = json.loads(output[output.index("{") :])
    assert data["base"] is None and data["fine_tune"]["samples"] <= 4
    assert page.is_file() and "<svg" in page.read_text()


def test_eval_command_table(trained_model: Path, corpus_dir: Path) -> None:
    args = ("eval", str(trained_model), str(corpus_dir), "-n", "3", "--device", "cpu")
    code, output = _invoke(*args)
    assert code == 0, output
    assert "bits/char" in output and "fine-tune" in output and "base" in output
    assert "held-out posts: the model's validation split (30 posts" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["MODEL", "NOTACORPUS"], "not a tweetgen corpus"),
        (["CORPUS", "CORPUS"], "not a model directory"),
        (["MODEL", "CORPUS", "-n", "-1"], "samples must be a whole number"),
    ],
)
def test_eval_bad_input_is_one_line(
    trained_model: Path, corpus_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    places = {"MODEL": str(trained_model), "CORPUS": str(corpus_dir), "NOTACORPUS": str(tmp_path)}
    code, output = _invoke("eval", *[places.get(a, a) for a in args])
    assert code != 0
    assert message in output and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1, output


def test_damaged_log_in_model_is_one_line(
    trained_model: Path, corpus_dir: Path, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    (model / TRAINING_LOG).write_text("not json\n")
    args = ("eval", str(model), str(corpus_dir), "-n", "1", "--no-base", "--device", "cpu")
    code, output = _invoke(*args)
    assert code != 0 and f"{model / TRAINING_LOG}: line 1: not JSON" in output
    assert "Traceback" not in output


TINY = [
    "--base-model", "tiny", "--max-steps", "3", "--epochs", "1", "--device", "cpu", "--lr", "3e-3",
    "--set", "tiny.vocab_size=300", "--set", "tiny.n_layer=1", "--set", "tiny.n_embd=32",
    "--set", "tiny.n_head=2", "--set", "block_size=64",
]  # fmt: skip


def test_train_prints_the_headline(corpus_dir: Path, tmp_path: Path) -> None:
    code, output = _invoke("train", str(corpus_dir), "--out", str(tmp_path / "m"), *TINY)
    assert code == 0, output
    assert "Quality (20 samples)" in output and "bits/char" in output
    assert f"tweetgen eval {tmp_path / 'm'} {corpus_dir}" in output
    args = ("train", str(corpus_dir), "--out", str(tmp_path / "m2"), *TINY, "--no-eval")
    code, output = _invoke(*args)
    assert code == 0 and "Quality" not in output


def test_diverged_steps_are_left_out(tmp_path: Path) -> None:
    """The trainer writes a nan/inf loss as null: not drawn, not an error."""
    lines = ['{"step": 1, "loss": 3.0}', '{"step": 2, "loss": null}', '{"step": 2, "eval_loss": 2}']
    (tmp_path / TRAINING_LOG).write_text("\n".join(lines) + "\n")
    curve = read_training_curve(tmp_path)
    assert curve.train == [(1.0, 3.0)] and curve.validation == [(2.0, 2.0)]
