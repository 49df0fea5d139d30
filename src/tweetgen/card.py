"""The model card (``README.md``) of a trained model, rendered from its ``tweetgen.json``.

The layout follows the seed (huggingtweets): hub metadata with a widget, how the model was made,
the data table, the training procedure, how to use it, and its limits, plus a consent note.
Rendering works from the metadata alone, so ``push`` can re-render it with the hub repo id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tweetgen.secrets import redact

WIDGET_TEXT = "My dream is"

_LABELS = {
    "downloaded": "Posts read",
    "retweets": "Retweets dropped",
    "short tweets": "Short posts dropped",
    "kept": "Posts kept",
}
_METRICS = (
    ("perplexity_before", "Validation perplexity before training", "{:.2f}"),
    ("perplexity_after", "Validation perplexity after training", "{:.2f}"),
    ("eval_loss", "Final validation loss", "{:.4f}"),
    ("steps", "Optimizer steps", "{:,.0f}"),
    ("train_seconds", "Training time (seconds)", "{:,.1f}"),
    ("tokens_per_second", "Throughput (tokens/second)", "{:,.0f}"),
)
_HYPERPARAMETERS = (
    "epochs",
    "learning_rate",
    "lr_schedule",
    "warmup",
    "weight_decay",
    "batch_tokens",
    "block_size",
    "max_steps",
    "seed",
)


#: Kept for callers of the old name; the rule lives in :mod:`tweetgen.secrets`.
scrub = redact


def _front_matter(meta: Mapping[str, Any]) -> str:
    lines = ["---"]
    language = meta.get("corpus", {}).get("language")
    if language:
        lines.append(f"language: {language}")
    lines += ["library_name: transformers", "pipeline_tag: text-generation", "tags:"]
    lines += ["- tweetgen", "- text-generation", "- gpt2"]
    lines += ["widget:", f"- text: {json.dumps(WIDGET_TEXT)}", "---"]
    return "\n".join(lines)


def _who(meta: Mapping[str, Any]) -> str:
    authors = meta.get("corpus", {}).get("authors") or []
    return ", ".join(f"@{a}" for a in authors) if authors else "one person"


def _data_section(meta: Mapping[str, Any]) -> str:
    corpus = meta.get("corpus", {})
    rows = ["| Data | Posts |", "| --- | ---: |"]
    for label, count in meta.get("data", []):
        rows.append(f"| {_LABELS.get(label, label.capitalize() + ' dropped')} | {count:,} |")
    span = ""
    if corpus.get("first") and corpus.get("last"):
        span = f", written between {corpus['first'][:10]} and {corpus['last'][:10]}"
    steps = [s.get("name", "?") for s in meta.get("report", {}).get("steps", [])]
    filters = ", ".join(f"`{name}`" for name in steps) if steps else "none"
    return (
        "## Training data\n\n"
        f"The model was trained on posts by {_who(meta)} read with the "
        f"`{corpus.get('source') or 'unknown'}` source{span}. Filters applied before training, "
        f"in order: {filters}.\n\n"
        + "\n".join(rows)
        + f"\n\nCorpus fingerprint: `{corpus.get('fingerprint', 'unknown')}`."
    )


def _procedure_section(meta: Mapping[str, Any]) -> str:
    config = redact(meta.get("config", {}))
    base = config.get("base_model", "unknown")
    if base == "tiny":
        base_text = (
            "a small GPT-2 built from scratch on these posts (byte-level BPE tokenizer and "
            "randomly initialised weights), so it knows nothing but this corpus"
        )
    else:
        base_text = f"the pre-trained `{base}` model, fine-tuned on these posts"
    shown = {k: config[k] for k in _HYPERPARAMETERS if config.get(k) is not None}
    if base == "tiny" and isinstance(config.get("tiny"), dict):
        shown |= {f"tiny.{k}": v for k, v in config["tiny"].items()}
    lines = [f"| {k} | `{v}` |" for k, v in shown.items()]
    metrics = meta.get("metrics", {})
    results = [
        f"| {label} | {fmt.format(metrics[key])} |"
        for key, label, fmt in _METRICS
        if isinstance(metrics.get(key), int | float)
    ]
    text = f"## Training procedure\n\nThe model is {base_text}.\n\n"
    text += "| Hyperparameter | Value |\n| --- | --- |\n" + "\n".join(lines)
    if results:
        text += "\n\n| Result | Value |\n| --- | ---: |\n" + "\n".join(results)
    if config.get("wandb"):
        project = config.get("wandb_project", "tweetgen")
        text += f"\n\nThe run was tracked with Weights & Biases (project `{project}`)."
    return text


def _usage_section(model_ref: str, on_hub: bool) -> str:
    local = model_ref
    fetch = ""
    if on_hub:
        local = model_ref.rsplit("/", 1)[-1]
        fetch = f"hf download {model_ref} --local-dir {local}\n"
    return (
        "## How to use\n\n"
        "With `transformers` alone:\n\n"
        "```python\n"
        "from transformers import pipeline\n\n"
        f"generator = pipeline('text-generation', model={model_ref!r})\n"
        f"print(generator({WIDGET_TEXT!r}, num_return_sequences=5, max_new_tokens=40))\n"
        "```\n\n"
        "With tweetgen, which also drops samples that copy a training post:\n\n"
        "```bash\n"
        f"{fetch}tweetgen generate {local} {json.dumps(WIDGET_TEXT)} -n 5\n"
        "```"
    )


def render_card(meta: Mapping[str, Any], *, model_ref: str, on_hub: bool = False) -> str:
    """The whole ``README.md`` for the metadata of ``tweetgen.json``.

    ``model_ref`` is what the usage snippet loads: a local directory, or with ``on_hub`` a
    hub repo id.
    """
    who = _who(meta)
    sections = [
        _front_matter(meta),
        f"# {who} (tweetgen)\n\n"
        f"A language model that writes posts in the voice of {who}. "
        f"It was made with tweetgen {meta.get('tweetgen_version', '')}.".rstrip(),
        "## How does it work?\n\n"
        "tweetgen reads the account's posts, drops retweets and short posts, cleans links and "
        "HTML entities, and fine-tunes a GPT-2-style causal language model on what is left. "
        "Each post is framed as `<|endoftext|>` post `<|endoftext|>`, so the model learns "
        "where posts start and end, and no post sees another during training. Generation "
        "starts from `<|endoftext|>` (plus an optional prompt), uses nucleus sampling "
        "(top-p 0.95), and ends at the end-of-text token or the first newline.",
        _data_section(meta),
        _procedure_section(meta),
        _usage_section(model_ref, on_hub),
        "## Limitations and bias\n\n"
        "The model has the limitations and biases of GPT-2 and of its training data; on top "
        "of that, whatever is in this person's posts (opinions, mistakes, other people's "
        "names) shapes what it writes. It was trained on few texts, so it may repeat phrases "
        "or whole posts; `tweetgen generate` drops samples that copy a training post.",
        "## Consent and disclosure\n\n"
        "Train a model like this only on your own posts, or with the clear consent of the "
        "person who wrote them. Whenever you publish text it generates, say that it was "
        "generated by a model: it is not something the person said.",
    ]
    return "\n\n".join(sections) + "\n"


__all__ = ["WIDGET_TEXT", "render_card", "scrub"]
