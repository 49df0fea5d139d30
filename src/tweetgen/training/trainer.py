"""The built-in trainer: full fine-tuning of a causal LM with a plain PyTorch loop.

A plain loop (rather than ``transformers.Trainer``) keeps packing, exact resume and the
checkpoint format in our hands. Subclasses (e.g. a LoRA trainer) override the small hooks:
``load_model``, ``prepare_model``, ``trainable_parameters``, ``create_optimizer``,
``save_model``, ``checkpoint_weights`` / ``restore_weights``.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.atomic import (
    atomic_dir,
    check_output,
    output_guard,
    remove_if_empty,
    remove_owned,
    write_json,
)
from tweetgen.errors import MissingDependencyError, NotEnoughDataError, TrainingError
from tweetgen.options import Option
from tweetgen.secrets import redact
from tweetgen.training import base_model, distributed
from tweetgen.training.checkpoint import Checkpoint, CheckpointStore
from tweetgen.training.config import TrainConfig, resolve_device
from tweetgen.training.data import Batch, Batches, encode_posts
from tweetgen.training.tracking import NullTracker, Tracker, start_train_run

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from tweetgen.corpus import Corpus

#: Below this many characters there is nothing to learn a voice from (the seed's guard).
MIN_CHARACTERS = 6_000
#: Below this many, training works but the model will mostly parrot.
WARN_CHARACTERS = 40_000
MODEL_INFO = "tweetgen.json"
TINY_BASE_DIR = "tiny-base"
CHECKPOINTS_DIR = "checkpoints"


@dataclass
class TrainedModel:
    """Where the model went, how it was made, and how well it fits held-out posts."""

    path: Path
    config: TrainConfig
    metrics: dict[str, float]
    history: list[dict[str, float]]
    warnings: list[str] = field(default_factory=list)
    #: The W&B run: its URL, or the directory to ``wandb sync`` for an offline run.
    wandb_run: str | None = None


@dataclass(frozen=True)
class TrainProgress:
    """One progress event. ``stage``: base, evaluate, train, checkpoint, save, warning, done."""

    stage: str
    step: int = 0
    total_steps: int = 0
    epoch: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    message: str = ""


ProgressCallback = Callable[[TrainProgress], None]


def check_corpus_size(corpus: Corpus) -> list[str]:
    """Raise :class:`NotEnoughDataError` for a hopeless corpus; return warnings for a small one."""
    characters = sum(len(t) for t in corpus.texts)
    if characters < MIN_CHARACTERS:
        raise NotEnoughDataError(
            f"only {characters:,} characters of posts left after filtering; "
            f"at least {MIN_CHARACTERS:,} are needed to train"
        )
    if characters < WARN_CHARACTERS:
        return [
            f"only {characters:,} characters of posts: the model will mostly repeat them "
            f"(more than {WARN_CHARACTERS:,} is better)"
        ]
    return []


def autocast_dtype(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    """bf16 autocast on a GPU that supports it (or when asked), fp32 everywhere else."""
    import torch

    if config.precision == "fp32" or device.type == "cpu":
        return None
    if config.precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def token_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Summed next-token cross-entropy; ``labels`` are aligned with the inputs."""
    import torch.nn.functional as F

    vocab = logits.shape[-1]
    return F.cross_entropy(
        logits[:, :-1].reshape(-1, vocab).float(),
        labels[:, 1:].reshape(-1),
        ignore_index=-100,
        reduction="sum",
    )


class Trainer:
    """Fine-tune all weights of a GPT-2-style model on one corpus."""

    name = "full"
    description = "Fine-tune every weight of a causal LM (GPT-2, a local model, or 'tiny')."
    #: Options of this trainer beyond the TrainConfig fields (``--set NAME=VALUE``): none.
    options: tuple[Option, ...] = ()

    def __init__(self, config: TrainConfig) -> None:
        self.config = config

    # hooks a subclass may override ------------------------------------------------------

    def resolve_base(self, train_texts: list[str]) -> str:
        """The ``from_pretrained`` argument; builds the tiny base first when asked for it.

        Under torchrun only rank 0 builds it; the other ranks load what rank 0 wrote.
        """
        cfg = self.config
        if not cfg.is_tiny:
            return cfg.base_model
        path = cfg.work_path / TINY_BASE_DIR
        built = (path / base_model.TINY_MARKER).is_file()
        if not (built and (cfg.resume or distributed.secondary_rank())):
            base_model.build_tiny_base(
                train_texts,
                path,
                vocab_size=cfg.tiny_vocab_size,
                n_layer=cfg.tiny_n_layer,
                n_head=cfg.tiny_n_head,
                n_embd=cfg.tiny_n_embd,
                n_positions=max(cfg.block_size, 128),
                seed=cfg.seed,
            )
        return str(path)

    def load_tokenizer(self, base: str) -> PreTrainedTokenizerBase:
        return base_model.load_tokenizer(base)

    def load_model(self, base: str) -> PreTrainedModel:
        return base_model.load_causal_lm(base)

    def prepare_model(self, model: PreTrainedModel) -> PreTrainedModel:
        """Hook for adapters (LoRA wraps the model here). The full trainer trains it as is."""
        return model

    def trainable_parameters(self, model: PreTrainedModel) -> list[torch.nn.Parameter]:
        return [p for p in model.parameters() if p.requires_grad]

    def create_optimizer(self, model: PreTrainedModel) -> torch.optim.Optimizer:
        import torch

        cfg = self.config
        return torch.optim.AdamW(
            self.trainable_parameters(model),
            lr=cfg.effective_learning_rate,
            weight_decay=cfg.weight_decay,
        )

    def save_model(
        self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, path: Path
    ) -> None:
        """Write a directory ``from_pretrained`` and ``pipeline("text-generation")`` load."""
        model.save_pretrained(path)
        tokenizer.save_pretrained(path)

    def checkpoint_weights(self, model: PreTrainedModel) -> dict[str, torch.Tensor]:
        """The weights a checkpoint must hold: the trainable ones (tied weights once)."""
        return {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}

    def restore_weights(self, model: PreTrainedModel, weights: dict[str, torch.Tensor]) -> None:
        missing = set(self.checkpoint_weights(model)) - set(weights)
        if missing:
            raise TrainingError(f"checkpoint lacks weights: {', '.join(sorted(missing)[:3])}")
        model.load_state_dict(weights, strict=False)

    # the run -----------------------------------------------------------------------------

    def train(self, corpus: Corpus, *, progress: ProgressCallback | None = None) -> TrainedModel:
        """Train on ``corpus`` (split into train/validation here) and save the model.

        Library code never prints: ``progress`` receives :class:`TrainProgress` events.
        """
        warnings = check_corpus_size(corpus)
        _passive_omp_waits()
        run = _Run(self, corpus, progress or (lambda _event: None))
        for message in warnings:
            run.emit("warning", message=message)
        with (
            guard_places(self.config),  # a bad --out or a user's folder: refused before work
            base_model.quiet_transformers(),
            _torch_threads(self.config.threads),
        ):
            result = run.execute()
        result.warnings = warnings + result.warnings
        return result


class _Run:
    """State of one call to :meth:`Trainer.train`."""

    def __init__(self, trainer: Trainer, corpus: Corpus, progress: ProgressCallback) -> None:
        self.trainer = trainer
        self.cfg = trainer.config
        self.corpus = corpus
        self.emit_cb = progress
        self.step = 0
        self.total_steps = 0
        self.epoch = 0
        self.history: list[dict[str, float]] = []
        self.metrics: dict[str, float] = {}
        self.warnings: list[str] = []
        self.epoch_loss = [0.0, 0]  # summed loss and tokens of the current epoch
        self.tracker: Tracker = NullTracker()
        self.dist = distributed.Dist()

    def emit(self, stage: str, metrics: dict[str, float] | None = None, message: str = "") -> None:
        if not self.dist.main:
            return
        event = TrainProgress(
            stage, self.step, self.total_steps, self.epoch, metrics or {}, message
        )
        self.emit_cb(event)

    # setup -------------------------------------------------------------------------------

    def setup(self) -> None:
        import torch

        cfg = self.cfg
        split = self.corpus.split(cfg.validation, seed=cfg.seed)
        self.dist, self.device = distributed.from_env(resolve_device(cfg.device))
        self.amp = autocast_dtype(cfg, self.device)
        torch.manual_seed(cfg.seed)
        random.seed(cfg.seed)
        self.emit("base", message=cfg.base_model)
        if self.dist.main:
            base = self.trainer.resolve_base(split.train.texts)
        self.dist.barrier()
        if not self.dist.main:
            base = self.trainer.resolve_base(split.train.texts)  # rank 0's tiny base
        self.tokenizer = self.trainer.load_tokenizer(base)
        model = self.trainer.load_model(base)
        limit = getattr(model.config, "max_position_embeddings", None) or cfg.block_size
        if cfg.block_size > limit:
            raise TrainingError(f"block_size {cfg.block_size} exceeds the model's limit {limit}")
        self.model = self.trainer.prepare_model(model)
        self.model.to(self.device)  # type: ignore[arg-type]  # transformers' wrapped .to
        self.net = distributed.wrap(self.model, self.dist, self.device)
        torch.manual_seed(cfg.seed + self.dist.rank)  # dropout differs between ranks
        self.train_data, self.val_data = self.make_batches(
            split.train.texts, split.validation.texts
        )
        if not len(self.train_data):
            raise TrainingError(f"too few posts for {self.dist.world} processes")
        self.total_steps = self.planned_steps()
        self.optimizer = self.trainer.create_optimizer(self.model)
        self.scheduler = self.make_scheduler()
        self.store = CheckpointStore(cfg.work_path / "checkpoints", cfg, self.corpus.fingerprint())

    def make_batches(self, train: list[str], validation: list[str]) -> tuple[Batches, Batches]:
        cfg, tok = self.cfg, self.tokenizer
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id

        def batches(texts: list[str], shuffle: bool, rank: int, world: int) -> Batches:
            return Batches(
                encode_posts(texts, tok, cfg.block_size),
                batch_size=cfg.batch_size,
                block_size=cfg.block_size,
                packing=cfg.packing,
                pad_id=pad,
                seed=cfg.seed,
                shuffle=shuffle,
                rank=rank,
                world=world,
            )

        # every rank evaluates the whole validation split: simple, and the numbers agree
        return batches(train, True, self.dist.rank, self.dist.world), batches(
            validation, False, 0, 1
        )

    def planned_steps(self) -> int:
        total = self.cfg.effective_epochs * len(self.train_data)
        return min(total, self.cfg.max_steps) if self.cfg.max_steps else total

    def make_scheduler(self) -> Any:
        from transformers import get_scheduler

        name = {"constant": "constant_with_warmup"}.get(self.cfg.lr_schedule, self.cfg.lr_schedule)
        return get_scheduler(
            name,
            self.optimizer,
            num_warmup_steps=self.cfg.warmup_steps(self.total_steps),
            num_training_steps=self.total_steps,
        )

    # loop --------------------------------------------------------------------------------

    def execute(self) -> TrainedModel:
        try:
            self.setup()
            resumed = self.restore() if self.cfg.resume else None
            self.dist.barrier()  # every rank has read the checkpoint before rank 0 clears it
            if resumed is None and self.dist.main:
                self.store.clear()
            self.start_tracking()
            try:
                if resumed is None:
                    self.evaluate(before=True)
                seconds, tokens = self.loop()
                path = self.finish(seconds, tokens)
            finally:
                self.tracker.finish()
        finally:
            self.dist.close()
        return TrainedModel(
            path, self.cfg, self.metrics, self.history, self.warnings, self.tracker.location
        )

    def start_tracking(self) -> None:
        if not self.dist.main:
            return
        try:
            self.tracker = start_train_run(self.cfg, fingerprint=self.corpus.fingerprint())
        except MissingDependencyError as exc:
            self.warnings.append(exc.message)

    def loop(self) -> tuple[float, int]:
        """Train to ``total_steps``; return seconds spent and tokens seen in this process."""
        per_epoch = len(self.train_data)
        seconds, tokens = 0.0, 0
        self.model.train()
        while self.step < self.total_steps:
            self.epoch, start = divmod(self.step, per_epoch)
            if start == 0:
                self.epoch_loss = [0.0, 0]
            began = time.perf_counter()
            for batch in self.train_data.epoch(self.epoch, start):
                tokens += self.train_step(batch)
                if self.step >= self.total_steps:
                    break
                if self.cfg.checkpoint_every and self.step % self.cfg.checkpoint_every == 0:
                    self.save_checkpoint()
            seconds += time.perf_counter() - began
            self.evaluate()
            if self.step < self.total_steps and self.store.saved_step != self.step:
                self.save_checkpoint()
        return seconds, tokens

    def forward(self, batch: Batch) -> torch.Tensor:
        import torch

        net = self.net if self.model.training else self.model  # no DDP sync for evaluation
        if self.amp is None:
            return net(**batch.model_inputs(), use_cache=False).logits
        with torch.autocast(self.device.type, dtype=self.amp):
            return net(**batch.model_inputs(), use_cache=False).logits

    def train_step(self, batch: Batch) -> int:
        import torch

        batch = batch.to(self.device)
        loss = token_loss(self.forward(batch), batch.labels) / max(batch.tokens, 1)
        loss.backward()
        params = self.trainer.trainable_parameters(self.model)
        torch.nn.utils.clip_grad_norm_(params, self.cfg.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        value = float(loss.detach())
        self.epoch_loss[0] += value * batch.tokens
        self.epoch_loss[1] += batch.tokens
        lr = float(self.scheduler.get_last_lr()[0])
        metrics = {"train/loss": value, "train/learning_rate": lr, "train/epoch": self.epoch_float}
        self.tracker.log(metrics, self.step)
        self.emit("train", metrics)
        return batch.tokens

    @property
    def epoch_float(self) -> float:
        return self.step / max(len(self.train_data), 1)

    def evaluate(self, *, before: bool = False) -> float:
        """Mean token loss on the validation split; records perplexity."""
        import torch

        self.emit("evaluate")
        self.model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for batch in self.val_data.epoch(0):
                batch = batch.to(self.device)
                total += float(token_loss(self.forward(batch), batch.labels))
                count += batch.tokens
        self.model.train()
        loss = total / max(count, 1)
        ppl = math.exp(min(loss, 50.0))
        entry = {"step": float(self.step), "epoch": self.epoch_float, "eval_loss": loss}
        entry["perplexity"] = ppl
        if not before and self.epoch_loss[1]:
            entry["train_loss"] = self.epoch_loss[0] / self.epoch_loss[1]
        self.history.append(entry)
        if before:
            self.metrics["perplexity_before"] = ppl
            self.metrics["eval_loss_before"] = loss
        self.tracker.log({"eval/loss": loss, "eval/perplexity": ppl}, self.step)
        self.emit("evaluate", {"eval_loss": loss, "perplexity": ppl})
        return loss

    # checkpoints -------------------------------------------------------------------------

    def save_checkpoint(self) -> None:
        if not self.dist.main:
            return
        state = {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": _rng_state(),
            "history": json.dumps(self.history),
            "metrics": json.dumps(self.metrics),
            "epoch_loss": list(self.epoch_loss),
        }
        self.store.save(self.step, self.trainer.checkpoint_weights(self.model), state)
        self.emit("checkpoint")

    def restore(self) -> Checkpoint | None:
        ckpt = self.store.latest()
        if ckpt is None:
            return None
        self.trainer.restore_weights(
            self.model, {k: v.to(self.device) for k, v in ckpt.weights.items()}
        )
        self.optimizer.load_state_dict(ckpt.state["optimizer"])
        self.scheduler.load_state_dict(ckpt.state["scheduler"])
        _set_rng_state(ckpt.state["rng"])
        self.history = json.loads(ckpt.state["history"])
        self.metrics = json.loads(ckpt.state["metrics"])
        self.epoch_loss = list(ckpt.state["epoch_loss"])
        self.step = ckpt.step
        self.emit("checkpoint", message=f"resumed from step {ckpt.step}")
        return ckpt

    # output ------------------------------------------------------------------------------

    def finish(self, seconds: float, tokens: int) -> Path:
        last = self.history[-1]
        self.metrics |= {
            "perplexity_after": last["perplexity"],
            "eval_loss": last["eval_loss"],
            "train_loss": last.get("train_loss", float("nan")),
            "steps": float(self.step),
            "epochs": self.epoch_float,
            "train_seconds": seconds,
            "tokens_per_second": tokens / seconds if seconds else 0.0,
            "train_tokens": float(self.train_data.tokens),
        }
        self.emit("save")
        path = self.cfg.out_dir
        if self.dist.main:
            self.save_output()
            self.tracker.log_model(path, self.metrics)
            if not self.cfg.keep_checkpoints:
                self.clean_work_dir()
        self.dist.barrier()
        self.emit("done", dict(self.metrics))
        return path

    def clean_work_dir(self) -> None:
        """Remove what this run put in ``work_dir`` (and the folder if nothing else is left)."""
        work = self.cfg.work_path
        self.store.clear()
        remove_owned(work / TINY_BASE_DIR, marker=base_model.TINY_MARKER)
        remove_if_empty(work)

    def save_output(self) -> Path:
        """Model, tokenizer, ``tweetgen.json`` and the card, all or nothing."""
        out = self.cfg.out_dir
        with atomic_dir(out, replaceable=_earlier_model, error=TrainingError) as tmp:
            self.trainer.save_model(self.model, self.tokenizer, tmp)
            info = {
                "trainer": self.trainer.name,
                "config": redact(self.cfg.to_dict()),
                "metrics": self.metrics,
                "history": self.history,
                "corpus_fingerprint": self.corpus.fingerprint(),
                "framing": "<|endoftext|>post<|endoftext|>",
            }
            write_json(tmp / MODEL_INFO, info)
            _finalize(tmp, self.corpus, self.cfg, self.metrics)
        return out


def _earlier_model(path: Path) -> bool:
    return (path / MODEL_INFO).is_file()


@contextmanager
def guard_places(config: TrainConfig) -> Iterator[None]:
    """Hold the output's and the work folder's locks; refuse unusable ones before any work.

    Only the process that writes them (rank 0 under torchrun) takes the locks.
    """
    if distributed.secondary_rank():
        yield
        return
    check_places(config)
    with (
        output_guard(config.out_dir, replaceable=_earlier_model, error=TrainingError),
        output_guard(config.work_path, replaceable=lambda _: True, error=TrainingError),
    ):
        CheckpointStore(config.work_path / CHECKPOINTS_DIR, config, "").check()
        yield


def check_places(config: TrainConfig) -> None:
    """Refuse an unusable ``out_dir`` or work folder (creates nothing, takes no lock): the CLI
    calls this before reading the corpus."""
    check_output(config.out_dir, replaceable=_earlier_model, error=TrainingError)
    check_output(config.work_path, replaceable=lambda _: True, error=TrainingError)
    CheckpointStore(config.work_path / CHECKPOINTS_DIR, config, "").check()


def _finalize(path: Path, corpus: Corpus, config: TrainConfig, metrics: dict[str, float]) -> None:
    """Card, generation config and novelty index (tweetgen.export), when that module exists."""
    try:
        from tweetgen.export import finalize_model_dir
    except ImportError:
        return
    finalize_model_dir(path, corpus=corpus, config=config, metrics=metrics)


def _passive_omp_waits() -> None:
    """Ask OpenMP to sleep, not spin, while waiting, if torch is not loaded yet.

    With spinning threads a busy 2-core machine trained 5-25x slower with 2 threads than
    with 1; with passive waits 2 threads beat 1 (benchmarks/RESULTS.md). OpenMP reads the
    variable once, when torch loads it, so this only helps before the first ``import torch``;
    an explicit ``OMP_WAIT_POLICY`` is left alone.
    """
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    if threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _rng_state() -> dict[str, Any]:
    import torch

    state: dict[str, Any] = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    import torch

    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


__all__ = [
    "MIN_CHARACTERS",
    "WARN_CHARACTERS",
    "TrainProgress",
    "TrainedModel",
    "Trainer",
    "check_corpus_size",
    "check_places",
    "guard_places",
    "resolve_device",
]
