"""The training loop: corpus in, saved model out, in one function that reads top to bottom.

:meth:`Trainer.train` is laid out like nanoGPT's ``train.py``: settle the settings, load the
base, turn posts into fixed-shape token blocks (:mod:`tweetgen.training.data`), build the
optimizer, then step: forward, loss, backward, clip, optimizer step, learning rate, with
evaluation and checkpoints at epoch ends. The GPU habits are in the loop itself: batches sized
in tokens, bf16 autocast, TF32, fused AdamW, ``torch.compile`` of the model for long
runs, pinned batches copied ahead without blocking, and no read-back from the device except
every ``log_every`` steps.

What differs between trainer plugins is a small object, :class:`FullFineTune` here: how to
prepare the loaded model, which weights a checkpoint holds, how to save the result and how to
load it again for generation. A plugin (LoRA) provides its own and the loop stays the same.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.base.atomic import (
    atomic_dir,
    atomic_file,
    claim_dir,
    write_json,
)
from tweetgen.base.secrets import redact
from tweetgen.errors import (
    MissingDependencyError,
    NotEnoughDataError,
    TrainingError,
    TweetgenError,
)
from tweetgen.model import base as base_model
from tweetgen.model import device as device_setup
from tweetgen.model.device import resolve_device
from tweetgen.model.files import METADATA_FILE, quiet_transformers
from tweetgen.plugins.options import Option
from tweetgen.training import distributed, layers
from tweetgen.training.checkpoint import rng_state, set_rng_state
from tweetgen.training.config import TrainConfig
from tweetgen.training.data import IGNORE, Batch, Batches, Tokens, tokenize_corpus
from tweetgen.training.loading import load_base
from tweetgen.training.places import (
    TOKEN_CACHE_DIR,
    checkpoints,
    clear_work,
    earlier_model,
    guard_places,
)
from tweetgen.training.tracking import NullTracker, Tracker, start_train_run

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from tweetgen.corpus.corpus import Corpus

#: Below this many characters there is nothing to learn a voice from (the seed's guard).
MIN_CHARACTERS = 6_000
#: Below this many, training works but the model will mostly parrot.
WARN_CHARACTERS = 40_000
#: The run's loss curve in the model folder (see :func:`write_training_log`).
TRAINING_LOG = "training_log.jsonl"
#: Tokens per step each device aims for: enough to keep it busy.
DEVICE_BATCH_TOKENS = {"cuda": 32_768, "mps": 8_192, "cpu": 2_048}
#: A small corpus gets smaller steps, so that every epoch has at least this many ...
MIN_STEPS_PER_EPOCH = 16
#: ... but a pretrained base takes at least this many blocks a step (512 tokens): on 90 posts,
#: 4 epochs of 512-token steps fit better than of 128-token steps (1.27 against 1.31 held-out
#: bits/char) and made no near-copies (19 of 100), at the same tokens/s (benchmarks/RESULTS.md,
#: "Quality"). The tiny base, trained from scratch, keeps the small steps.
MIN_FINE_TUNE_ROWS = 4
#: ``compile`` unset compiles on CUDA when a run has at least this many tokens to train on:
#: compiling GPT-2 124M took 24-38 s on an H200, about 10M tokens of uncompiled training.
COMPILE_MIN_TOKENS = 30_000_000
#: Without ``checkpoint_every``, an epoch end is checkpointed only when more than this many
#: seconds of training would be lost without it (writing 124M weights and AdamW state takes
#: seconds: more than a short run on a GPU spends training).
CHECKPOINT_MIN_SECONDS = 60.0
#: Tokens/s is also measured from this step on, once warm-up (and compiling) is over.
STEADY_FROM_STEP = 5


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


class FullFineTune:
    """The trainer object of full fine-tuning; plugins provide their own (see LoRA).

    The loop asks it four things: ``prepare`` the loaded model, which ``weights`` a checkpoint
    holds (and ``restore`` them), and how to ``save`` the result. Generation asks the class
    whether it ``claims`` a model directory and to ``load`` it.
    """

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.base = ""  # the base's hub id or directory, set by the loop
        self.base_name = ""  # the base_model setting resolved (auto decided), set by the loop

    def prepare(self, model: PreTrainedModel) -> PreTrainedModel:
        return model

    def weights(self, model: PreTrainedModel) -> dict[str, torch.Tensor]:
        """The weights a checkpoint must hold: the trainable ones (tied weights once)."""
        return {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}

    def restore(self, model: PreTrainedModel, weights: dict[str, torch.Tensor]) -> None:
        missing = set(self.weights(model)) - set(weights)
        if missing:
            raise TrainingError(f"checkpoint lacks weights: {', '.join(sorted(missing)[:3])}")
        model.load_state_dict(weights, strict=False)

    def save(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, path: Path) -> None:
        """Write a directory ``from_pretrained`` and ``pipeline("text-generation")`` load."""
        model.save_pretrained(path)
        tokenizer.save_pretrained(path)

    @classmethod
    def claims(cls, path: Path) -> bool:
        """Whether ``path`` needs this class to load it; a plain model folder needs none."""
        return False

    @classmethod
    def load(cls, path: Path, *, error: type[TweetgenError]) -> tuple[Any, Any]:
        """The saved model and its tokenizer, for generation."""
        model = base_model.load_causal_lm(path, error=error)
        return model, base_model.load_tokenizer(path, error=error)


class Trainer:
    """Fine-tune a GPT-2-style model on one corpus: ``Trainer(config).train(corpus)``."""

    name = "full"
    description = "Fine-tune every weight of a causal LM (GPT-2, a local model, or 'tiny')."
    #: The trainer object this trainer builds; plugins name theirs.
    method_class: type[FullFineTune] = FullFineTune
    #: Options of this trainer beyond the TrainConfig fields (``--set NAME=VALUE``): none.
    options: tuple[Option, ...] = ()

    def __init__(self, config: TrainConfig, method: FullFineTune | None = None) -> None:
        self.method = method or self.method_class(config)
        self.config = self.method.config

    def train(self, corpus: Corpus, *, progress: ProgressCallback | None = None) -> TrainedModel:
        """Train on ``corpus`` (split into train/validation here) and save the model.

        Library code never prints: ``progress`` receives :class:`TrainProgress` events.
        """
        warnings = check_corpus_size(corpus)
        device_setup.passive_omp_waits()
        with (
            guard_places(self.config),  # a bad --out or a user's folder: refused before work
            quiet_transformers(),
            device_setup.torch_threads(self.config.threads),
            device_setup.tf32(),
            _Run(self, corpus, progress) as run,
        ):
            for message in warnings:
                run.emit("warning", message=message)
            run.warnings += warnings
            run.setup()  # the run's settings, resolved once: fixed from here on
            return self._loop(run)

    def _loop(self, run: _Run) -> TrainedModel:
        import torch

        # 1. the optimizer (a checkpoint's when resuming; a fresh start evaluates the base)
        cfg, device, model, total = run.cfg, run.device, run.model, run.total_steps
        peak_lr = cfg.run_learning_rate(run.batch_tokens)
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = adamw(params, peak_lr, cfg.weight_decay, device)
        step = run.restore(optimizer)
        loss_fn = torch.compile(token_loss) if run.metrics.get("compiled") else token_loss
        # 2. the loop: one step per batch of fixed shape, epochs back to back
        loss_sum = torch.zeros((), device=device)  # summed since the last read-back
        tokens = window = 0  # labelled tokens trained on: in all, since the last read-back
        run.clock = TrainClock(device)
        lr, last_loss = peak_lr * lr_factor(cfg, step, total), {}
        model.train()
        while step < total:
            epoch, start = divmod(step, run.per_epoch)
            for batch in ahead(run.train_data.epoch(epoch, start), device):
                lr = peak_lr * lr_factor(cfg, step, total)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                with run.autocast():
                    summed = batch_loss(run.net, model, batch, loss_fn)
                (summed / max(batch.labelled, 1)).backward()
                torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm, foreach=True)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                tokens, window = tokens + batch.labelled, window + batch.labelled
                loss_sum += summed.detach()
                run.clock.steady(step, tokens)
                if step % cfg.log_every == 0 or step == total:
                    last_loss = {"train/loss": run.log_loss(loss_sum, window, step, lr)}
                    window = 0
                # the last loss read back (not this step's: reading that would sync)
                progress = {"train/learning_rate": lr, "train/epoch": step / run.per_epoch}
                run.emit("train", progress | last_loss, step=step)
                if step >= total:
                    break
                if cfg.checkpoint_every and step % cfg.checkpoint_every == 0:
                    with run.clock.paused():
                        run.save_checkpoint(step, optimizer)
            # 3. epoch end: evaluate, keep a checkpoint to resume from (when it is worth it)
            run.epoch_end(loss_sum, window, step, lr, optimizer)
            window = 0
        run.speed(tokens)
        # 4. the model directory
        return run.finish(step)


def adamw(params: list[Any], lr: float, weight_decay: float, device: torch.device) -> Any:
    """Fused AdamW (one kernel over all weights) on CUDA and on the CPU, where it took 0.10 s
    a step over SmolLM2-135M's weights against 0.63 s for the for-loop one (a test checks that
    it takes the same steps); the default implementation elsewhere (MPS)."""
    import torch

    fused = device.type in ("cuda", "cpu")
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=fused or None)


def token_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Summed next-token cross-entropy in fp32 (compiled, one pass over bf16 logits)."""
    import torch.nn.functional as F

    flat = logits.flatten(0, 1).float()
    return F.cross_entropy(flat, targets.flatten(), ignore_index=IGNORE, reduction="sum")


def batch_loss(
    net: Callable[..., Any], model: Any, batch: Batch, loss_fn: Callable[..., Any] = token_loss
) -> torch.Tensor:
    """The summed token loss of ``batch`` through ``net`` (``model``, or what wraps it)."""
    logits = net(
        input_ids=batch.input_ids,
        position_ids=batch.position_ids,
        attention_mask=post_mask(batch.position_ids, model),
        use_cache=False,
    ).logits
    return loss_fn(logits, batch.targets)


def ahead(batches: Iterable[Batch], device: torch.device) -> Iterator[Batch]:
    """``batches`` on ``device``, each copy started one step before it is needed."""
    queue = None
    for batch in batches:
        ready, queue = queue, batch.to(device)
        if ready is not None:
            yield ready
    if queue is not None:
        yield queue


def post_mask(position_ids: torch.Tensor, model: Any) -> Any:
    """A 4D attention mask keeping every token inside its own post (no host sync).

    Packed posts restart ``position_ids`` at 0, so a token at index ``i`` with position ``p``
    belongs to the post starting at ``i - p``: it attends to indices in ``[i - p, i]``.
    Boolean (True: attend) for SDPA; additive for eager attention; a FlexAttention block mask
    (document masking) for flex attention.
    """
    import torch

    rows, size = position_ids.shape
    index = torch.arange(size, device=position_ids.device)
    starts = index - position_ids  # (rows, size): where each token's post starts
    implementation = getattr(model.config, "_attn_implementation", "sdpa")
    if implementation == "flex_attention":
        from torch.nn.attention.flex_attention import create_block_mask

        def same_post(b: Any, h: Any, q: Any, kv: Any) -> Any:
            return (kv <= q) & (kv >= starts[b, q])

        return create_block_mask(same_post, rows, None, size, size, device=starts.device)
    first = starts.unsqueeze(-1)  # (rows, size, 1)
    allowed = (index <= index.unsqueeze(-1)) & (index >= first)
    allowed = allowed.unsqueeze(1)
    if implementation != "eager":
        return allowed
    dtype = model.dtype
    return torch.zeros(allowed.shape, dtype=dtype, device=allowed.device).masked_fill(
        ~allowed, torch.finfo(dtype).min
    )


def lr_factor(config: TrainConfig, step: int, total: int) -> float:
    """The schedule: linear warmup, then cosine or linear decay to 0, or constant."""
    warmup = config.warmup_steps(total)
    if step < warmup:
        return (step + 1) / (warmup + 1)
    if config.lr_schedule == "constant":
        return 1.0
    progress = (step - warmup) / max(1, total - warmup)
    if config.lr_schedule == "linear":
        return max(0.0, 1.0 - progress)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


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


class TrainClock:
    """Seconds spent training (evaluation and checkpoints not counted). It waits for the
    device only when read: at log points, pauses and the end, never on every step."""

    def __init__(self, device: torch.device) -> None:
        self.device, self.began, self.pauses = device, time.perf_counter(), 0.0
        #: (seconds, tokens) when STEADY_FROM_STEP was reached: warm-up and compiling done.
        self.steady_at: tuple[float, int] | None = None

    def elapsed(self) -> float:
        return device_setup.synced(self.device) - self.began - self.pauses

    def steady(self, step: int, tokens: int) -> None:
        if step == STEADY_FROM_STEP:
            self.steady_at = (self.elapsed(), tokens)

    @contextmanager
    def paused(self) -> Iterator[None]:
        stopped = device_setup.synced(self.device)
        try:
            yield
        finally:
            self.pauses += time.perf_counter() - stopped


class _Run:
    """What one call of :meth:`Trainer.train` sets up around the loop, and its bookkeeping."""

    #: The run's settings, every "unset" resolved: set once by :meth:`setup`.
    cfg: TrainConfig
    #: Started by the loop when training starts.
    clock: TrainClock

    def __init__(self, trainer: Trainer, corpus: Corpus, progress: ProgressCallback | None):
        self.trainer, self.method = trainer, trainer.method
        self.corpus = corpus
        self.callback = progress or (lambda _event: None)
        self.total_steps = 0
        self.step = 0
        self.per_epoch = 1
        self.history: list[dict[str, float]] = []
        self.metrics: dict[str, float] = {}
        self.warnings: list[str] = []
        self.tracker: Tracker = NullTracker()
        self.dist = distributed.Dist()
        self.epoch_loss = [0.0, 0.0]  # summed loss and tokens since the last evaluation
        self._last_checkpoint = time.perf_counter()
        #: The training log (training_log.jsonl): logged train steps and validations.
        self.log: list[dict[str, float | int]] = []
        self.tokens_seen = 0  # labelled tokens trained on, in all (all ranks)

    def __enter__(self) -> _Run:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.tracker.finish()
        self.dist.close()

    def emit(
        self,
        stage: str,
        metrics: dict[str, float] | None = None,
        message: str = "",
        step: int | None = None,
    ) -> None:
        if step is not None:
            self.step = step
        if self.dist.main:
            # the epoch of the last step taken (step 0: none yet), so the final step of epoch 3
            # reads as epoch 3, not as the start of an epoch 4 that never runs
            epoch = max(self.step - 1, 0) // self.per_epoch
            event = TrainProgress(stage, self.step, self.total_steps, epoch, metrics or {}, message)
            self.callback(event)

    # setup ---------------------------------------------------------------------------

    def setup(self) -> None:
        """Base model, tokenizer and batches, then :attr:`cfg`: the asked settings with every
        "unset" resolved (checkpoints, ``tweetgen.json`` and the card record them)."""
        import torch

        asked = self.trainer.config
        split = self.corpus.split(asked.validation, seed=asked.seed)
        self.dist, self.device = distributed.from_env(resolve_device(asked.device))
        torch.manual_seed(asked.seed)
        random.seed(asked.seed)
        say = lambda message: self.emit("base", message=message)  # noqa: E731
        self.base = load_base(asked, split.train.texts, self.dist, self.device, say)
        self.method.base, self.method.base_name = self.base.path, self.base.name
        self.tokenizer = self.base.tokenizer
        self.model = self.method.prepare(self.base.model)
        cfg = asked.replace(base_model=self.base.name, train_layers=self.trained_blocks(asked))
        self.model.to(self.device)  # type: ignore[arg-type]  # transformers' wrapped .to
        torch.manual_seed(cfg.seed + self.dist.rank)  # dropout differs between ranks
        rows = self.make_batches(split, cfg)
        self.batch_tokens = rows * cfg.block_size * self.dist.world
        self.cfg = cfg = cfg.replace(
            epochs=cfg.run_epochs(),
            learning_rate=cfg.run_learning_rate(),
            batch_tokens=rows * cfg.block_size,
        )
        self.total_steps = min(cfg.run_epochs() * self.per_epoch, cfg.max_steps or sys.maxsize)
        planned = cfg.run_epochs() * self.train_data.labelled_tokens
        long_run = self.device.type == "cuda" and planned >= COMPILE_MIN_TOKENS
        if cfg.compile or (cfg.compile is None and long_run):
            # the whole model, fixed shapes, parameter names unchanged. On an H200 (GPT-2
            # 124M, 256 x 128 packed tokens) that ran 400k tokens/s (30% MFU) after 24 s of
            # compiling; compiling each GPT2Block alone 284k after 10 s (benchmarks/RESULTS.md)
            self.model.compile(dynamic=False)
            self.metrics["compiled"] = 1.0
        self.net = distributed.wrap(self.model, self.dist, self.device)
        self.store = checkpoints(cfg, self.corpus.fingerprint())
        self.start_tracking()

    def trained_blocks(self, cfg: TrainConfig) -> int | None:
        """Full fine-tuning trains the top ``train_layers`` blocks (resolved here, for the
        record); a method that freezes weights itself (LoRA) is left as it is."""
        blocks = layers.blocks_of(self.model)
        if blocks is None or not all(p.requires_grad for p in self.model.parameters()):
            return cfg.train_layers
        n = cfg.run_train_layers(len(blocks))
        if n < len(blocks):
            trained = layers.train_top_blocks(self.model, blocks, n)
            self.emit("base", message=f"training the top {n} of {len(blocks)} blocks "
                      f"({trained / 1e6:.1f}M weights)")  # fmt: skip
        return n

    def autocast(self) -> Any:
        """bf16 autocast where the device and ``precision`` want it, else nothing."""
        import torch

        amp = device_setup.autocast_dtype(self.cfg.precision, self.device)
        return torch.autocast(self.device.type, dtype=amp or torch.float32, enabled=bool(amp))

    def make_batches(self, split: Any, cfg: TrainConfig) -> int:
        """Tokenize both splits (cached in the work dir) and size the batches in tokens."""
        tok = self.tokenizer
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        cache = cfg.work_path / TOKEN_CACHE_DIR
        train, val = (
            tokenize_corpus(part.texts, tok, fingerprint=part.fingerprint(), cache_dir=cache)
            for part in (split.train, split.validation)
        )
        rows = self.rows(train, cfg)
        common: dict[str, Any] = {"rows": rows, "block_size": cfg.block_size, "pad_id": pad}
        common |= {"seed": cfg.seed, "pin": self.device.type == "cuda"}
        self.train_data = Batches(train, rank=self.dist.rank, world=self.dist.world, **common)
        # every rank evaluates the whole validation split: simple, and the numbers agree
        self.val_data = Batches(val, shuffle=False, **common)
        if not len(self.train_data):
            raise TrainingError(f"too few posts for {self.dist.world} processes")
        self.per_epoch = len(self.train_data)
        return rows

    def rows(self, train: Tokens, cfg: TrainConfig) -> int:
        """Blocks per step: ``batch_tokens``, or the device's aim, cut for a small corpus."""
        if cfg.batch_tokens is not None:
            return max(1, cfg.batch_tokens // cfg.block_size)
        aim = DEVICE_BATCH_TOKENS.get(self.device.type, DEVICE_BATCH_TOKENS["cpu"])
        epoch_tokens = int(train.lengths.clip(max=cfg.block_size).sum())
        small = epoch_tokens // (MIN_STEPS_PER_EPOCH * self.dist.world)
        return max(1 if cfg.is_tiny else MIN_FINE_TUNE_ROWS, min(aim, small) // cfg.block_size)

    def start_tracking(self) -> None:
        if not self.dist.main:
            return
        try:
            self.tracker = start_train_run(self.cfg, fingerprint=self.corpus.fingerprint())
        except MissingDependencyError as exc:
            self.warnings.append(exc.message)

    # bookkeeping -----------------------------------------------------------------------

    def log_loss(self, loss_sum: torch.Tensor, tokens: int, step: int, lr: float) -> float:
        """Read the summed loss back from the device (the loop's only sync) and log its mean."""
        summed = float(loss_sum)
        loss_sum.zero_()
        self.epoch_loss[0] += summed
        self.epoch_loss[1] += tokens
        mean = summed / max(tokens, 1)
        if tokens:
            epoch = step / self.per_epoch
            metrics = {"train/loss": mean, "train/learning_rate": lr, "train/epoch": epoch}
            self.tracker.log(metrics, step)
            self.tokens_seen += tokens * self.dist.world
            entry = {"step": step, "epoch": epoch, "tokens": self.tokens_seen}
            self.log.append(entry | {"loss": mean, "lr": lr})
        return mean

    def evaluate(self, *, before: bool = False, step: int = 0) -> float:
        """Mean token loss on the validation split; records perplexity."""
        import torch

        self.emit("evaluate", step=step)
        model = self.model
        model.eval()
        total = torch.zeros((), device=self.device)
        with torch.no_grad(), self.autocast():
            for batch in ahead(self.val_data.epoch(0), self.device):
                # uncompiled: evaluation needs no second compile
                total += batch_loss(model.forward, model, batch)
        model.train()
        loss = float(total) / max(self.val_data.labelled_tokens, 1)
        ppl = math.exp(min(loss, 50.0))
        entry = {"step": float(step), "epoch": step / self.per_epoch, "eval_loss": loss}
        entry["perplexity"] = ppl
        if not before and self.epoch_loss[1]:
            entry["train_loss"] = self.epoch_loss[0] / self.epoch_loss[1]
            self.epoch_loss = [0.0, 0.0]
        self.history.append(entry)
        self.log.append({"step": step, "epoch": step / self.per_epoch, "eval_loss": loss})
        if before:
            self.metrics["perplexity_before"] = ppl
            self.metrics["eval_loss_before"] = loss
        self.tracker.log({"eval/loss": loss, "eval/perplexity": ppl}, step)
        self.emit("evaluate", {"eval_loss": loss, "perplexity": ppl}, step=step)
        return loss

    def speed(self, tokens: int) -> None:
        """Tokens/s of the whole loop, and from STEADY_FROM_STEP on (warm-up excluded)."""
        world, seconds, steady = self.dist.world, self.clock.elapsed(), self.clock.steady_at
        self.metrics["train_seconds"] = seconds
        self.metrics["tokens_per_second"] = tokens * world / seconds if seconds else 0.0
        if steady is not None and seconds > steady[0] and tokens > steady[1]:
            rate = (tokens - steady[1]) * world / (seconds - steady[0])
            self.metrics["steady_tokens_per_second"] = rate

    # checkpoints -----------------------------------------------------------------------

    def epoch_end(
        self, loss_sum: torch.Tensor, window: int, step: int, lr: float, optimizer: Any
    ) -> None:
        """Log the epoch's last losses, evaluate, and keep a checkpoint when one is due (the
        clock paused: none of it is training)."""
        with self.clock.paused():
            self.log_loss(loss_sum, window, step, lr)
            self.evaluate(step=step)
            if step < self.total_steps and self.store.saved_step != step and self.checkpoint_due():
                self.save_checkpoint(step, optimizer)

    def checkpoint_due(self) -> bool:
        """At an epoch end: always with ``checkpoint_every``, else after a minute's training."""
        since = time.perf_counter() - self._last_checkpoint
        return bool(self.cfg.checkpoint_every) or since >= CHECKPOINT_MIN_SECONDS

    def save_checkpoint(self, step: int, optimizer: torch.optim.Optimizer) -> None:
        self._last_checkpoint = time.perf_counter()
        if not self.dist.main:
            return
        state = {
            "optimizer": optimizer.state_dict(),
            "rng": rng_state(),
            "history": json.dumps(self.history),
            "log": json.dumps(self.log),
            "tokens_seen": self.tokens_seen,
            "metrics": json.dumps(self.metrics),
            "epoch_loss": list(self.epoch_loss),
        }
        self.store.save(step, self.method.weights(self.model), state)
        self.emit("checkpoint", step=step)

    def restore(self, optimizer: torch.optim.Optimizer) -> int:
        """The step to start from: a checkpoint's when resuming, else 0 (old ones cleared, the
        base evaluated)."""
        ckpt = self.store.latest() if self.cfg.resume else None
        self.dist.barrier()  # every rank has read the checkpoint before rank 0 clears it
        if ckpt is None:
            if self.dist.main:
                self.store.clear()
            self.evaluate(before=True)
            return 0
        weights = {k: v.to(self.device) for k, v in ckpt.weights.items()}
        self.method.restore(self.model, weights)
        optimizer.load_state_dict(ckpt.state["optimizer"])
        set_rng_state(ckpt.state["rng"])
        self.history = json.loads(ckpt.state["history"])
        self.log = json.loads(ckpt.state.get("log", "[]"))
        self.tokens_seen = int(ckpt.state.get("tokens_seen", 0))
        self.metrics |= json.loads(ckpt.state["metrics"])
        self.epoch_loss = [float(x) for x in ckpt.state["epoch_loss"]]
        self.emit("checkpoint", message=f"resumed from step {ckpt.step}", step=ckpt.step)
        return ckpt.step

    # output ----------------------------------------------------------------------------

    def finish(self, step: int) -> TrainedModel:
        last = self.history[-1]
        self.metrics |= {
            "perplexity_after": last["perplexity"],
            "eval_loss": last["eval_loss"],
            "train_loss": last.get("train_loss", float("nan")),
            "steps": float(step),
            "epochs": step / self.per_epoch,
            "train_tokens": float(self.train_data.labelled_tokens),
        }
        self.emit("save", step=step)
        path = self.cfg.out_dir
        if self.dist.main:
            self.save_output()
            self.tracker.log_model(path, self.metrics)
            if not self.cfg.keep_checkpoints:  # what this run put in the work folder
                self.store.clear()
                clear_work(self.cfg.work_path)
        self.dist.barrier()
        self.emit("done", dict(self.metrics), step=step)
        return TrainedModel(
            path, self.cfg, self.metrics, self.history, self.warnings, self.tracker.location
        )

    def save_output(self) -> None:
        """Model, tokenizer, ``tweetgen.json`` and the card, all or nothing."""
        from tweetgen.model.finish import finalize_model_dir

        cfg = self.cfg
        with atomic_dir(
            cfg.out_dir, replaceable=earlier_model(cfg), error=TrainingError, carry=cfg.carried()
        ) as tmp:
            claim_dir(tmp, error=TrainingError)  # the work folder it gets lives in tweetgen's
            self.method.save(self.model, self.tokenizer, tmp)
            eos = str(self.tokenizer.eos_token)
            info = {
                "trainer": self.trainer.name,
                "config": redact(cfg.to_dict()),
                "metrics": self.metrics,
                "history": self.history,
                "corpus_fingerprint": self.corpus.fingerprint(),
                "framing": f"{eos}post{eos}",
            }
            if self.base.origin is not None:
                info["base"] = self.base.origin
            write_json(tmp / METADATA_FILE, info)
            write_training_log(tmp / TRAINING_LOG, self.log)
            # card, generation config and novelty index
            finalize_model_dir(tmp, corpus=self.corpus, config=cfg, metrics=self.metrics)
            problem = _thumbnail(tmp, cfg, self.device)
            if problem:
                self.warnings.append(problem)


def write_training_log(path: Path, entries: list[dict[str, float | int]]) -> None:
    """``training_log.jsonl``: one JSON object a line, for plots of a run (``tweetgen eval``).

    A logged train step is ``{"step", "epoch", "tokens", "loss", "lr"}`` (``tokens``: labelled
    tokens trained on so far; ``loss``: the mean since the previous entry), a validation is
    ``{"step", "epoch", "eval_loss"}`` (step 0: before training). Written atomically.
    """
    with atomic_file(path) as handle:
        for entry in entries:  # a diverged run's nan/inf loss: null, so that JSON stays valid
            finite = {k: v if math.isfinite(v) else None for k, v in entry.items()}
            handle.write(json.dumps(finite, allow_nan=False) + "\n")


def _thumbnail(path: Path, config: TrainConfig, device: torch.device) -> str | None:
    """The card's thumbnail, drawn from a few posts the model writes (no prompt, the run's
    seed); a warning instead when it cannot be drawn: the model itself is fine."""
    from tweetgen.generation.generator import Generator
    from tweetgen.model.finish import local_ref
    from tweetgen.model.thumbnail import MAX_POSTS, add_thumbnail

    try:
        result = Generator(path, device=str(device)).generate("", MAX_POSTS, seed=config.seed)
        add_thumbnail(path, result.texts, model_ref=local_ref(config.out_dir))
    except TweetgenError as exc:
        return f"no thumbnail drawn: {exc}"
    return None
