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
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgen.base.atomic import (
    OWNER_MARKER,
    Replaceable,
    atomic_dir,
    check_output,
    claim_dir,
    output_guard,
    owned,
    remove_if_empty,
    remove_owned,
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
from tweetgen.model.device import resolve_device
from tweetgen.plugins.options import Option
from tweetgen.training import distributed
from tweetgen.training.checkpoint import CheckpointStore
from tweetgen.training.config import TrainConfig
from tweetgen.training.data import (
    CACHE_SUFFIX,
    IGNORE,
    Batch,
    Batches,
    Tokens,
    tokenize_corpus,
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
MODEL_INFO = "tweetgen.json"
TINY_BASE_DIR = "tiny-base"
TOKEN_CACHE_DIR = "tokens"
CHECKPOINTS_DIR = "checkpoints"
#: Tokens per step each device aims for: enough to keep it busy.
DEVICE_BATCH_TOKENS = {"cuda": 32_768, "mps": 8_192, "cpu": 2_048}
#: A small corpus gets smaller steps, so that every epoch has at least this many.
MIN_STEPS_PER_EPOCH = 16
#: ``compile`` unset compiles on CUDA when a run has at least this many tokens to train on:
#: compiling GPT-2 124M took 24-38 s on an H200, about 10M tokens of uncompiled training.
COMPILE_MIN_TOKENS = 30_000_000
#: Without ``checkpoint_every``, an epoch end is checkpointed only when more than this many
#: seconds of training would be lost without it (writing 124M weights and AdamW state takes
#: seconds: more than a short run on a GPU spends training).
CHECKPOINT_MIN_SECONDS = 60.0
#: Blocks at least this long attend through FlexAttention on CUDA, which skips the masked
#: tiles that SDPA with a 4-D mask computes (short blocks have few of them).
FLEX_MIN_BLOCK = 512
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
        self.base = ""  # the resolved base (hub id or directory), set by the loop

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
        _passive_omp_waits()
        with (
            guard_places(self.config),  # a bad --out or a user's folder: refused before work
            base_model.quiet_transformers(),
            _torch_threads(self.config.threads),
        ):
            import torch

            with _tf32(), _Run(self, corpus, progress) as run:
                for message in warnings:
                    run.emit("warning", message=message)
                run.warnings += warnings
                return self._loop(run, torch)

    def _loop(self, run: _Run, torch: Any) -> TrainedModel:
        # 1. the base model, the data, the optimizer (a checkpoint's when resuming)
        cfg, dist, device = run.setup()
        model, net, train = run.model, run.net, run.train_data
        rows, per_epoch = train.rows, len(train)
        total = min(cfg.run_epochs() * per_epoch, cfg.max_steps or sys.maxsize)
        peak_lr = cfg.run_learning_rate(rows * cfg.block_size * dist.world)
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(
            params, lr=peak_lr, weight_decay=cfg.weight_decay, fused=device.type == "cuda"
        )
        step = run.restore(optimizer)
        run.total_steps = total
        if step == 0:
            run.evaluate(before=True)
        amp = autocast_dtype(cfg, device)
        loss_fn = torch.compile(token_loss) if run.metrics.get("compiled") else token_loss
        # 2. the loop: one step per batch of fixed shape, epochs back to back
        loss_sum = torch.zeros((), device=device)  # summed since the last read-back
        tokens = window = 0  # labelled tokens trained on: in all, since the last read-back
        began, steady = time.perf_counter(), None
        paused = 0.0  # seconds spent evaluating and checkpointing: not training
        lr = peak_lr * lr_factor(cfg, step, total)
        last_loss: dict[str, float] = {}
        model.train()
        while step < total:
            epoch, start = divmod(step, per_epoch)
            for batch in ahead(train.epoch(epoch, start), device):
                lr = peak_lr * lr_factor(cfg, step, total)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                with torch.autocast(device.type, dtype=amp or torch.float32, enabled=bool(amp)):
                    logits = net(
                        input_ids=batch.input_ids,
                        position_ids=batch.position_ids,
                        attention_mask=post_mask(batch.position_ids, model),
                        use_cache=False,
                    ).logits
                    summed = loss_fn(logits, batch.targets)
                (summed / max(batch.labelled, 1)).backward()
                torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm, foreach=True)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                tokens, window = tokens + batch.labelled, window + batch.labelled
                loss_sum += summed.detach()
                if step == STEADY_FROM_STEP:
                    steady = (_synced(device) - paused, tokens)
                if step % cfg.log_every == 0 or step == total:
                    last_loss = {"train/loss": run.log_loss(loss_sum, window, step, lr)}
                    window = 0
                # the last loss read back (not this step's: reading that would sync)
                metrics = {"train/learning_rate": lr, "train/epoch": step / per_epoch}
                run.emit("train", metrics | last_loss, step=step)
                if step >= total:
                    break
                if cfg.checkpoint_every and step % cfg.checkpoint_every == 0:
                    paused -= _synced(device)
                    run.save_checkpoint(step, optimizer)
                    paused += time.perf_counter()
            # 3. epoch end: evaluate, keep a checkpoint to resume from (when it is worth it)
            paused -= _synced(device)
            run.log_loss(loss_sum, window, step, lr)
            window = 0
            run.evaluate(step=step)
            if step < total and run.store.saved_step != step and run.checkpoint_due():
                run.save_checkpoint(step, optimizer)
            paused += time.perf_counter()
        seconds = _synced(device) - began - paused
        run.speed(tokens, seconds, steady, _synced(device) - paused)
        # 4. the model directory
        return run.finish(step)


def token_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Summed next-token cross-entropy in fp32 (compiled, one pass over bf16 logits)."""
    import torch.nn.functional as F

    flat = logits.flatten(0, 1).float()
    return F.cross_entropy(flat, targets.flatten(), ignore_index=IGNORE, reduction="sum")


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


def use_flex_attention(model: Any) -> bool:
    """Switch ``model`` to FlexAttention, which has no attention dropout (that is set to 0),
    when its architecture supports it (transformers 5.17 has no FlexAttention for GPT-2: such
    models keep SDPA with a 4-D mask). Returns whether it switched."""
    import torch

    if not getattr(model, "_supports_flex_attn", False):
        return False
    model.set_attn_implementation("flex_attention")
    for module in model.modules():
        if isinstance(getattr(module, "attn_dropout", None), torch.nn.Dropout):
            module.attn_dropout.p = 0.0
    if hasattr(model.config, "attn_pdrop"):
        model.config.attn_pdrop = 0.0
    return True


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


class _Run:
    """What one call of :meth:`Trainer.train` sets up around the loop, and its bookkeeping."""

    def __init__(self, trainer: Trainer, corpus: Corpus, progress: ProgressCallback | None):
        self.trainer, self.method, self.cfg = trainer, trainer.method, trainer.config
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

    def setup(self) -> tuple[TrainConfig, distributed.Dist, torch.device]:
        """Base model, tokenizer and batches; returns the resolved config."""
        import torch

        split = self.corpus.split(self.cfg.validation, seed=self.cfg.seed)
        self.dist, self.device = distributed.from_env(resolve_device(self.cfg.device))
        torch.manual_seed(self.cfg.seed)
        random.seed(self.cfg.seed)
        base = self.resolve_base(split.train.texts)
        cfg = self.cfg
        self.tokenizer = base_model.load_tokenizer(base)
        model = base_model.load_causal_lm(base)
        limit = getattr(model.config, "max_position_embeddings", None) or cfg.block_size
        if cfg.block_size > limit:
            raise TrainingError(f"block_size {cfg.block_size} exceeds the model's limit {limit}")
        base_model.fuse_activation(model)
        if self.device.type == "cuda" and cfg.block_size >= FLEX_MIN_BLOCK:
            use_flex_attention(model)  # where the architecture has it (GPT-2 has not)
        self.model = self.method.prepare(model)
        self.model.to(self.device)  # type: ignore[arg-type]  # transformers' wrapped .to
        torch.manual_seed(cfg.seed + self.dist.rank)  # dropout differs between ranks
        rows = self.make_batches(split)
        # what "unset" meant, written down: checkpoints, tweetgen.json and the card show it
        cfg = cfg.replace(
            epochs=cfg.run_epochs(),
            learning_rate=cfg.run_learning_rate(),
            batch_tokens=rows * cfg.block_size,
        )
        self.cfg = self.trainer.config = self.method.config = cfg
        planned = cfg.run_epochs() * self.train_data.labelled_tokens
        if cfg.compile or (cfg.compile is None and self._worth_compiling(planned)):
            self.metrics["compiled"] = float(compile_model(self.model))
        self.net = distributed.wrap(self.model, self.dist, self.device)
        self.store = CheckpointStore(
            cfg.work_path / CHECKPOINTS_DIR, cfg, self.corpus.fingerprint()
        )
        self.start_tracking()
        return cfg, self.dist, self.device

    def _worth_compiling(self, planned_tokens: int) -> bool:
        return self.device.type == "cuda" and planned_tokens >= COMPILE_MIN_TOKENS

    def resolve_base(self, train_texts: list[str]) -> str:
        """The base to load: ``auto`` decided here (CLI and API alike), ``tiny`` built here.

        Under torchrun rank 0 builds the tiny base; the other ranks wait and load it.
        """
        cfg = self.cfg
        base = base_model.resolve_base_model(cfg.base_model)
        if cfg.base_model == base_model.AUTO_BASE:
            why = "gpt2 is not cached and the Hub cannot be reached" if base == "tiny" else "auto"
            self.emit("base", message=f"auto chose {base} ({why})")
        self.cfg = self.trainer.config = self.method.config = cfg = cfg.replace(base_model=base)
        if cfg.is_tiny:
            path = cfg.work_path / TINY_BASE_DIR
            built = (path / base_model.TINY_MARKER).is_file()
            if self.dist.main and not (built and cfg.resume):
                base_model.build_tiny_base(
                    train_texts,
                    path,
                    **cfg.tiny,
                    n_positions=max(cfg.block_size, 128),
                    seed=cfg.seed,
                )
            self.dist.barrier()
            base = str(path)
        self.emit("base", message=base)
        self.method.base = base
        return base

    def make_batches(self, split: Any) -> int:
        """Tokenize both splits (cached in the work dir) and size the batches in tokens."""
        cfg, tok = self.cfg, self.tokenizer
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        cache = cfg.work_path / TOKEN_CACHE_DIR
        train, val = (
            tokenize_corpus(part.texts, tok, fingerprint=part.fingerprint(), cache_dir=cache)
            for part in (split.train, split.validation)
        )
        rows = self.rows(train)
        pin = self.device.type == "cuda"

        def batches(tokens: Tokens, shuffle: bool, rank: int, world: int) -> Batches:
            return Batches(
                tokens,
                rows=rows,
                block_size=cfg.block_size,
                pad_id=pad,
                seed=cfg.seed,
                shuffle=shuffle,
                rank=rank,
                world=world,
                pin=pin,
            )

        self.train_data = batches(train, True, self.dist.rank, self.dist.world)
        # every rank evaluates the whole validation split: simple, and the numbers agree
        self.val_data = batches(val, False, 0, 1)
        if not len(self.train_data):
            raise TrainingError(f"too few posts for {self.dist.world} processes")
        self.per_epoch = len(self.train_data)
        return rows

    def rows(self, train: Tokens) -> int:
        """Blocks per step: ``batch_tokens``, or the device's aim, cut for a small corpus."""
        cfg = self.cfg
        if cfg.batch_tokens is not None:
            return max(1, cfg.batch_tokens // cfg.block_size)
        aim = DEVICE_BATCH_TOKENS.get(self.device.type, DEVICE_BATCH_TOKENS["cpu"])
        epoch_tokens = int(train.lengths.clip(max=cfg.block_size).sum())
        small = epoch_tokens // (MIN_STEPS_PER_EPOCH * self.dist.world)
        return max(1, min(aim, small) // cfg.block_size)

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
        return mean

    def evaluate(self, *, before: bool = False, step: int = 0) -> float:
        """Mean token loss on the validation split; records perplexity."""
        import torch

        self.emit("evaluate", step=step)
        model = self.model
        model.eval()
        amp = autocast_dtype(self.cfg, self.device)
        total = torch.zeros((), device=self.device)
        with (
            torch.no_grad(),
            torch.autocast(self.device.type, dtype=amp or torch.float32, enabled=bool(amp)),
        ):
            for batch in ahead(self.val_data.epoch(0), self.device):
                logits = model.forward(  # uncompiled: evaluation needs no second compile
                    input_ids=batch.input_ids,
                    position_ids=batch.position_ids,
                    attention_mask=post_mask(batch.position_ids, model),
                    use_cache=False,
                ).logits
                total += token_loss(logits, batch.targets)
        model.train()
        loss = float(total) / max(self.val_data.labelled_tokens, 1)
        ppl = math.exp(min(loss, 50.0))
        entry = {"step": float(step), "epoch": step / self.per_epoch, "eval_loss": loss}
        entry["perplexity"] = ppl
        if not before and self.epoch_loss[1]:
            entry["train_loss"] = self.epoch_loss[0] / self.epoch_loss[1]
            self.epoch_loss = [0.0, 0.0]
        self.history.append(entry)
        if before:
            self.metrics["perplexity_before"] = ppl
            self.metrics["eval_loss_before"] = loss
        self.tracker.log({"eval/loss": loss, "eval/perplexity": ppl}, step)
        self.emit("evaluate", {"eval_loss": loss, "perplexity": ppl}, step=step)
        return loss

    def speed(
        self, tokens: int, seconds: float, steady: tuple[float, int] | None, end: float
    ) -> None:
        """Tokens/s of the whole loop, and from STEADY_FROM_STEP on (warm-up excluded)."""
        world = self.dist.world
        self.metrics["train_seconds"] = seconds
        self.metrics["tokens_per_second"] = tokens * world / seconds if seconds else 0.0
        if steady is not None and end > steady[0] and tokens > steady[1]:
            rate = (tokens - steady[1]) * world / (end - steady[0])
            self.metrics["steady_tokens_per_second"] = rate

    # checkpoints -----------------------------------------------------------------------

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
            "rng": _rng_state(),
            "history": json.dumps(self.history),
            "metrics": json.dumps(self.metrics),
            "epoch_loss": list(self.epoch_loss),
        }
        self.store.save(step, self.method.weights(self.model), state)
        self.emit("checkpoint", step=step)

    def restore(self, optimizer: torch.optim.Optimizer) -> int:
        """The step to start from: a checkpoint's when resuming, else 0 (old ones cleared)."""
        ckpt = self.store.latest() if self.cfg.resume else None
        self.dist.barrier()  # every rank has read the checkpoint before rank 0 clears it
        if ckpt is None:
            if self.dist.main:
                self.store.clear()
            return 0
        weights = {k: v.to(self.device) for k, v in ckpt.weights.items()}
        self.method.restore(self.model, weights)
        optimizer.load_state_dict(ckpt.state["optimizer"])
        _set_rng_state(ckpt.state["rng"])
        self.history = json.loads(ckpt.state["history"])
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
            if not self.cfg.keep_checkpoints:
                self.clean_work_dir()
        self.dist.barrier()
        self.emit("done", dict(self.metrics), step=step)
        return TrainedModel(
            path, self.cfg, self.metrics, self.history, self.warnings, self.tracker.location
        )

    def clean_work_dir(self) -> None:
        """Remove what this run put in ``work_dir`` (and the folder if nothing else is left)."""
        self.store.clear()
        clear_work(self.cfg.work_path)

    def save_output(self) -> Path:
        """Model, tokenizer, ``tweetgen.json`` and the card, all or nothing."""
        cfg = self.cfg
        out = cfg.out_dir
        with atomic_dir(
            out, replaceable=earlier_model(cfg), error=TrainingError, carry=cfg.carried()
        ) as tmp:
            claim_dir(tmp, error=TrainingError)  # the work folder it gets lives in tweetgen's
            self.method.save(self.model, self.tokenizer, tmp)
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


def clear_work(work: Path) -> None:
    """Remove the tiny base and token cache tweetgen made in ``work`` (only those), and
    ``work`` itself if nothing else is left (checkpoints are the store's to clear)."""
    remove_owned(work / TINY_BASE_DIR, marker=base_model.TINY_MARKER)
    for cached in (work / TOKEN_CACHE_DIR).glob(f"*{CACHE_SUFFIX}"):  # only our files
        cached.unlink(missing_ok=True)
    remove_if_empty(work / TOKEN_CACHE_DIR)
    remove_if_empty(work)


def earlier_model(config: TrainConfig) -> Replaceable:
    """What ``out_dir`` may hold to be replaced: an earlier model (``tweetgen.json``), or the
    folder an unfinished first run claimed for its work folder (marker and work folder only)."""
    allowed = {OWNER_MARKER, *config.carried()}

    def earlier(path: Path) -> bool:
        if (path / MODEL_INFO).is_file():
            return True
        return owned(path) and {entry.name for entry in path.iterdir()} <= allowed

    return earlier


@contextmanager
def guard_places(config: TrainConfig) -> Iterator[None]:
    """Hold the output's and the work folder's locks; refuse unusable ones before any work.

    Only the process that writes them (rank 0 under torchrun) takes the locks. A work folder
    inside ``out_dir`` (the default) is covered by the output's lock; ``out_dir`` is created
    (marked as tweetgen's) to hold it, and removed again if the run fails with no checkpoint
    to resume from (a killed run leaves it: the next run resumes or replaces it).
    """
    if distributed.secondary_rank():
        yield
        return
    check_places(config)
    with (
        output_guard(
            config.out_dir,
            replaceable=earlier_model(config),
            error=TrainingError,
            carry=config.carried(),
        ),
        _work_folder(config),
    ):
        CheckpointStore(config.work_path / CHECKPOINTS_DIR, config, "").check()
        yield


@contextmanager
def _work_folder(config: TrainConfig) -> Iterator[None]:
    if config.work_inside() is None:
        with output_guard(config.work_path, replaceable=lambda _: True, error=TrainingError):
            yield
        return
    out = config.out_dir
    made = not out.exists() or not any(out.iterdir())
    if made:
        claim_dir(out, error=TrainingError)
    try:
        yield
    except BaseException:
        store = CheckpointStore(config.work_path / CHECKPOINTS_DIR, config, "")
        if made and not store.paths():  # nothing to resume from: leave no folder behind
            with contextlib.suppress(TweetgenError, OSError):
                store.clear()
                clear_work(config.work_path)
        remove_if_empty(config.work_path)
        if made:
            remove_if_empty(out)
        raise


def check_places(config: TrainConfig) -> None:
    """Refuse an unusable ``out_dir`` or work folder (creates nothing, takes no lock): the CLI
    calls this before reading the corpus."""
    check_output(config.out_dir, replaceable=earlier_model(config), error=TrainingError)
    if os.path.abspath(config.work_path) == os.path.abspath(config.out_dir):
        raise TrainingError("work_dir must not be out_dir itself", path=config.out_dir)
    check_output(config.work_path, replaceable=lambda _: True, error=TrainingError)
    CheckpointStore(config.work_path / CHECKPOINTS_DIR, config, "").check()


def compile_model(model: Any) -> bool:
    """``torch.compile`` the whole model in place (fixed shapes; parameter names unchanged).

    Measured on an H200 (GPT-2 124M, 256 x 128 packed tokens): compiling the whole model ran
    400k tokens/s (30% MFU) after 24 s of compiling; compiling each GPT2Block alone 284k after
    10 s (benchmarks/RESULTS.md). Long runs, the only ones compiled, gain more from the former.
    """
    model.compile(dynamic=False)
    return True


def _synced(device: torch.device) -> float:
    """The time once the device has finished what was queued (used for timing only)."""
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def _finalize(path: Path, corpus: Corpus, config: TrainConfig, metrics: dict[str, float]) -> None:
    """Card, generation config and novelty index (:mod:`tweetgen.model.finish`)."""
    from tweetgen.model.finish import finalize_model_dir

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


@contextmanager
def _tf32() -> Iterator[None]:
    """TF32 matrix products on CUDA while training (restored afterwards: library code)."""
    import torch

    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before)


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
    "FullFineTune",
    "TrainProgress",
    "TrainedModel",
    "Trainer",
    "check_corpus_size",
    "check_places",
    "compile_model",
    "earlier_model",
    "guard_places",
    "lr_factor",
    "post_mask",
]
