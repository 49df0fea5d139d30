"""Training end to end on tiny models (CPU, offline, seconds)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tweetgen.base.atomic import OWNER_MARKER  # noqa: E402
from tweetgen.corpus.corpus import Corpus  # noqa: E402
from tweetgen.errors import NotEnoughDataError, TrainingError  # noqa: E402
from tweetgen.model.base import build_tiny_base  # noqa: E402
from tweetgen.model.files import METADATA_FILE  # noqa: E402
from tweetgen.training.config import WORK_DIR_NAME, TrainConfig  # noqa: E402
from tweetgen.training.testing import (  # noqa: E402
    corpus_from_texts,
    synthetic_texts,
    tiny_config,
)
from tweetgen.training.trainer import FullFineTune, Trainer, TrainProgress, adamw  # noqa: E402

METRICS = {
    "perplexity_before",
    "perplexity_after",
    "eval_loss",
    "train_loss",
    "steps",
    "tokens_per_second",
    "train_seconds",
}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return corpus_from_texts(synthetic_texts(300))


def _weights(path: Path) -> dict[str, Any]:
    model = transformers.AutoModelForCausalLM.from_pretrained(path)
    return {k: v.clone() for k, v in model.state_dict().items()}


def _adamw_steps(fused: bool, lr: float = 1e-3, steps: int = 6) -> tuple[list, list]:
    """The weights of a small net before and after ``steps`` AdamW steps (clipped gradients,
    weight decay), with the trainer's optimizer or the for-loop one."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(24, 48), torch.nn.GELU(), torch.nn.Linear(48, 8))
    before = [p.detach().clone() for p in net.parameters()]
    params = list(net.parameters())
    if fused:
        optimizer = adamw(params, lr, 0.01, torch.device("cpu"))
        assert optimizer.defaults["fused"] is True  # the CPU gets the fused kernel
    else:
        optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01, foreach=False)
    data = torch.randn(steps, 16, 24, generator=torch.Generator().manual_seed(1))
    for x in data:
        net(x).square().mean().backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0, foreach=True)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return before, [p.detach().clone() for p in net.parameters()]


def test_fused_cpu_adamw_takes_the_for_loop_steps() -> None:
    start, fused = _adamw_steps(fused=True)
    _, loop = _adamw_steps(fused=False)
    for a, b in zip(fused, loop, strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)
    # guards that the comparison can fail: the weights moved far beyond the tolerance, and a
    # 1% different learning rate lands outside it
    assert min(float((a - b).abs().max()) for a, b in zip(fused, start, strict=True)) > 1e-3
    _, other = _adamw_steps(fused=False, lr=1.01e-3)
    with pytest.raises(AssertionError):
        for a, b in zip(fused, other, strict=True):
            torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


def test_too_little_text_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    small = corpus_from_texts(synthetic_texts(20))
    with pytest.raises(NotEnoughDataError, match="characters"):
        Trainer(tiny_config(tmp_path / "m")).train(small)
    assert not (tmp_path / "m").exists()


def test_tiny_base_is_an_ordinary_model_directory(tmp_path: Path) -> None:
    path = build_tiny_base(
        synthetic_texts(100), tmp_path / "base", vocab_size=300, n_embd=32, n_layer=1
    )
    tok = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModelForCausalLM.from_pretrained(path)
    text = "the cat likes émoji 🐍 ok"
    assert tok.decode(tok(text)["input_ids"]) == text  # byte-level: nothing is unknown
    assert tok.eos_token == "<|endoftext|>"
    assert model.config.eos_token_id == tok.eos_token_id
    again = build_tiny_base(
        synthetic_texts(100), tmp_path / "again", vocab_size=300, n_embd=32, n_layer=1
    )
    for k, v in transformers.AutoModelForCausalLM.from_pretrained(again).state_dict().items():
        assert torch.equal(v, model.state_dict()[k]), k  # seeded: the same every time


def test_train_tiny_end_to_end(tmp_path: Path, corpus) -> None:  # type: ignore[no-untyped-def]
    events: list[TrainProgress] = []
    config = tiny_config(tmp_path / "model", epochs=3, log_every=4)
    result = Trainer(config).train(corpus, progress=events.append)
    assert result.path == tmp_path / "model"
    assert set(result.metrics) >= METRICS
    steps = [e for e in events if e.stage == "train"]
    assert result.metrics["steps"] == len(steps) == 18
    assert [e.epoch for e in steps] == [0] * 6 + [1] * 6 + [2] * 6  # never a 4th epoch shown
    # the loss is read back from the device every log_every steps (and at the end), no more:
    # events in between repeat the last value read
    losses = [e.metrics.get("train/loss") for e in steps]
    changes = [
        e.step
        for e, before in zip(steps, [None, *losses], strict=False)
        if e.metrics.get("train/loss") != before
    ]
    assert changes == [4, 8, 12, 16, 18] and losses[:3] == [None] * 3
    saved = TrainConfig.from_dict(json.loads((result.path / METADATA_FILE).read_text())["config"])
    assert (saved.epochs, saved.learning_rate, saved.batch_tokens) == (3, 2e-3, 512)
    assert result.metrics["perplexity_after"] < 0.5 * result.metrics["perplexity_before"]
    assert result.history[0]["step"] == 0 and len(result.history) == 4
    assert any("characters" in w for w in result.warnings)  # a small corpus is flagged
    info = json.loads((result.path / METADATA_FILE).read_text())
    assert info["config"]["base_model"] == "tiny"
    assert not config.work_path.exists()  # checkpoints and tiny base are cleaned up
    model = transformers.AutoModelForCausalLM.from_pretrained(result.path)
    tok = transformers.AutoTokenizer.from_pretrained(result.path)
    prompt = tok(tok.eos_token, return_tensors="pt")
    out = model.generate(
        **prompt, max_new_tokens=12, do_sample=False, pad_token_id=tok.eos_token_id
    )
    assert tok.decode(out[0], skip_special_tokens=True).strip()


def test_perplexity_falls_on_real_text(tmp_path: Path, shared_corpora: Path) -> None:
    raw = (shared_corpora / "fortunes" / "zippy").read_text(encoding="utf-8")
    texts = [t.strip() for t in raw.split("\n%\n") if t.strip()]
    config = tiny_config(tmp_path / "m", epochs=3, tiny={"vocab_size": 1000, "n_embd": 96})
    result = Trainer(config).train(corpus_from_texts(texts))
    assert result.metrics["perplexity_after"] < 0.5 * result.metrics["perplexity_before"]


def test_local_gpt2_directory_as_base(tmp_path: Path, corpus) -> None:  # type: ignore[no-untyped-def]
    """A locally saved GPT-2 (architecture + GPT2TokenizerFast) loads like the hub's gpt2."""
    base = tmp_path / "gpt2-local"
    tok = transformers.GPT2TokenizerFast(
        tokenizer_object=_bpe(synthetic_texts(200)), eos_token="<|endoftext|>"
    )
    config = transformers.GPT2Config(
        vocab_size=len(tok), n_positions=1024, n_embd=32, n_layer=2, n_head=2
    )
    transformers.GPT2LMHeadModel(config).save_pretrained(base)
    tok.save_pretrained(base)
    cfg = tiny_config(tmp_path / "out", base_model=str(base), max_steps=2)
    result = Trainer(cfg).train(corpus)
    assert result.metrics["steps"] == 2
    model = transformers.AutoModelForCausalLM.from_pretrained(result.path)
    assert model.config.n_positions == 1024


def test_a_corrupt_base_model_is_a_one_line_error(
    tmp_path: Path, trained_model: Path, corpus: Corpus
) -> None:
    base = tmp_path / "base"
    shutil.copytree(trained_model, base)
    (base / "model.safetensors").write_bytes(b"\x10" + b"\x00" * 7 + b"{broken")
    cfg = tiny_config(tmp_path / "out", base_model=str(base), max_steps=1)
    with pytest.raises(TrainingError, match="cannot load the model") as caught:
        Trainer(cfg).train(corpus)
    assert str(base) in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_an_unknown_device_is_refused_before_training(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="device must be one of"):
        tiny_config(tmp_path / "out", device="quantum")


def _bpe(texts: list[str]) -> object:
    from tweetgen.model.base import train_bpe

    return train_bpe(texts, 300)


def test_failure_while_saving_leaves_no_model_dir(tmp_path: Path, corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(FullFineTune, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        Trainer(tiny_config(tmp_path / "m", max_steps=1)).train(corpus)
    # no checkpoint to resume from: the folder the run made (work folder, tiny base) is gone
    assert list(tmp_path.iterdir()) == []


def test_cleanup_leaves_other_files_in_work_dir(tmp_path: Path, corpus) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "shared-work"
    work.mkdir()
    (work / "mine.txt").write_text("not the trainer's")
    Trainer(tiny_config(tmp_path / "m", work_dir=work, max_steps=1)).train(corpus)
    assert sorted(p.name for p in work.iterdir()) == ["mine.txt"]


# resume ------------------------------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from tweetgen.training.testing import corpus_from_texts, synthetic_texts, tiny_config
    from tweetgen.training.trainer import Trainer

    def die(event):
        if event.stage == "train" and event.step == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, like a crash or the OOM killer

    config = tiny_config(Path(sys.argv[1]), epochs=2, checkpoint_every=4)
    Trainer(config).train(corpus_from_texts(synthetic_texts(300)), progress=die)
    """
)


def test_killed_run_resumes_to_the_same_final_step_and_weights(tmp_path: Path, corpus) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "killed"
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(out), "9"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"PYTHONHASHSEED": "0"},
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    config = tiny_config(out, epochs=2, checkpoint_every=4)
    found = (config.work_path / "checkpoints").iterdir()
    checkpoints = sorted(p.name for p in found if not p.name.startswith("."))
    # 6 steps an epoch: checkpoints at 4, 6 (epoch end) and 8; the newest two are kept
    assert checkpoints == ["step-00000006", "step-00000008"]
    assert sorted(os.listdir(out)) == [OWNER_MARKER, WORK_DIR_NAME]  # no model yet

    events: list[TrainProgress] = []
    resumed = Trainer(config.replace(resume=True)).train(corpus, progress=events.append)
    straight = Trainer(tiny_config(tmp_path / "straight", epochs=2)).train(corpus)
    assert resumed.metrics["steps"] == straight.metrics["steps"] == 12
    # it went on from the newest checkpoint (step 8): only steps 9-12 were trained again
    assert [e.message for e in events if e.message.startswith("resumed")] == ["resumed from step 8"]
    assert [e.step for e in events if e.stage == "train"] == [9, 10, 11, 12]
    assert resumed.metrics["perplexity_before"] == straight.metrics["perplexity_before"]
    a, b = _weights(resumed.path), _weights(straight.path)
    for key in b:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=1e-5)


def test_resume_refuses_another_corpus_or_config(tmp_path: Path, corpus) -> None:  # type: ignore[no-untyped-def]
    config = tiny_config(tmp_path / "m", epochs=1, checkpoint_every=2, keep_checkpoints=True)
    Trainer(config).train(corpus)
    other = corpus_from_texts(synthetic_texts(300, seed=9))
    with pytest.raises(TrainingError, match="different corpus"):
        Trainer(config.replace(resume=True)).train(other)
    with pytest.raises(TrainingError, match=r"different settings.*learning_rate"):
        Trainer(config.replace(resume=True, learning_rate=1e-3)).train(corpus)


def test_a_corrupt_checkpoint_is_a_one_line_error(tmp_path: Path, corpus) -> None:  # type: ignore[no-untyped-def]
    config = tiny_config(tmp_path / "m", epochs=1, checkpoint_every=2, keep_checkpoints=True)
    Trainer(config).train(corpus)
    newest = sorted((config.work_path / "checkpoints").iterdir())[-1]
    (newest / "weights.safetensors").write_bytes(b"garbage")
    with pytest.raises(TrainingError, match="damaged checkpoint") as caught:
        Trainer(config.replace(resume=True)).train(corpus)
    assert "\n" not in str(caught.value)


_DDP = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tweetgen.training.testing import corpus_from_texts, synthetic_texts, tiny_config
    from tweetgen.training.trainer import Trainer

    config = tiny_config(Path(sys.argv[1]), epochs=2)
    Trainer(config).train(corpus_from_texts(synthetic_texts(300)))
    """
)


def test_torchrun_two_processes_split_the_batches(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(_DDP)
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2"]
    done = subprocess.run(
        [*command, str(script), str(tmp_path / "m")], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    info = json.loads((tmp_path / "m" / METADATA_FILE).read_text())
    # one process takes 6 steps an epoch (see the resume test); two take 3 each
    assert info["metrics"]["steps"] == 6
    assert transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "m") is not None
    assert sorted(os.listdir(tmp_path)) == ["m", "train.py"]  # nothing beside the model
    assert not (tmp_path / "m" / WORK_DIR_NAME).exists()


def test_trainer_is_registered_without_importing_torch() -> None:
    code = (
        "import sys, tweetgen; t = tweetgen.get_trainers()['full']; "
        "print(t.name, 'torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["full", "False", "False"]
