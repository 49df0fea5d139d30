"""The model card (``README.md``) of a trained model, rendered from its ``tweetgen.json``.

The layout follows the seed (huggingtweets): hub metadata with a widget, how the model was made,
the data table ("Tweets downloaded / Retweets / Short tweets / Tweets kept"), the training
procedure with links to the W&B runs, how to use it, and its limits, plus a consent note.
The metadata block is built with ``huggingface_hub.ModelCardData``. Rendering works from the
metadata alone, so ``push`` can re-render it with the hub repo id.

``--set card.license=ID`` and ``--set card.datasets=[...]`` (``TrainConfig.extra["card"]``)
override the license (default: the base model's, ``mit`` for GPT-2 and the tiny base,
``other`` otherwise) and name hub datasets the posts come from.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from tweetgen.base.secrets import redact
from tweetgen.corpus.datatable import labelled
from tweetgen.filters.languages import is_language, primary
from tweetgen.records.profile import clean_text

#: The seed's widget prompt, and the same words in the languages accounts most often write.
WIDGET_TEXT = "My dream is"
WIDGET_TEXTS = {
    "en": WIDGET_TEXT,
    "es": "Mi sueño es",
    "fr": "Mon rêve est",
    "de": "Mein Traum ist",
    "it": "Il mio sogno è",
    "pt": "O meu sonho é",
    "nl": "Mijn droom is",
    "ca": "El meu somni és",
    "pl": "Moim marzeniem jest",
    "sv": "Min dröm är",
    "tr": "Benim hayalim",
    "ru": "Моя мечта —",
    "uk": "Моя мрія —",
    "ar": "حلمي هو",
    "hi": "मेरा सपना है",
    "id": "Mimpi saya adalah",
    "ja": "私の夢は",
    "zh": "我的梦想是",
    "ko": "내 꿈은",
    "th": "ความฝันของฉันคือ",
}
#: Licenses of the bases tweetgen knows; the tiny base is built by tweetgen (MIT) itself.
BASE_LICENSES = {
    "tiny": "mit",
    "gpt2": "mit",
    "gpt2-medium": "mit",
    "gpt2-large": "mit",
    "gpt2-xl": "mit",
    "distilgpt2": "apache-2.0",
    "openai-community/gpt2": "mit",
    "openai-community/gpt2-medium": "mit",
    "openai-community/gpt2-large": "mit",
    "openai-community/gpt2-xl": "mit",
    "distilbert/distilgpt2": "apache-2.0",
}
#: The training metrics shown, in order: key, label in the card, label in the CLI, format.
METRICS = (
    ("perplexity_before", "Validation perplexity before training", "perplexity before", "{:.2f}"),
    ("perplexity_after", "Validation perplexity after training", "perplexity after", "{:.2f}"),
    ("eval_loss", "Final validation loss", "validation loss", "{:.4f}"),
    ("steps", "Optimizer steps", "steps", "{:,.0f}"),
    ("train_seconds", "Training time (seconds)", "training time (s)", "{:,.1f}"),
    ("tokens_per_second", "Throughput (tokens/second)", "tokens/second", "{:,.0f}"),
)
#: Files of the model folder the card shows (the thumbnail is drawn at the end of training,
#: the pipeline picture comes with tweetgen, the avatar from the source's profile).
THUMBNAIL_FILE = "thumbnail.png"
PIPELINE_FILE = "pipeline.svg"
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


def primary_language(meta: Mapping[str, Any]) -> str | None:
    """The primary subtag (``zh`` of ``zh-CN``) of the corpus's main language, if known."""
    language = str(meta.get("corpus", {}).get("language") or "")
    return primary(language) if is_language(language) else None


def widget_text(meta: Mapping[str, Any]) -> str:
    """A prompt in the account's language (English when tweetgen has none for it)."""
    return WIDGET_TEXTS.get(primary_language(meta) or "en", WIDGET_TEXT)


def card_data(meta: Mapping[str, Any], model_ref: str = "", on_hub: bool = False) -> Any:
    """The hub metadata block (``ModelCardData``) for ``meta``."""
    from huggingface_hub import ModelCardData

    config = meta.get("config", {})
    base = str(config.get("base_model") or "")
    origin = _origin(meta)
    settings = (config.get("extra") or {}).get("card") or {}
    settings = settings if isinstance(settings, Mapping) else {}
    tags = ["tweetgen", "text-generation"]
    if meta.get("model_type"):
        tags.append(str(meta["model_type"]))
    datasets = settings.get("datasets")
    license_id = settings.get("license") or origin.get("license") or BASE_LICENSES.get(base)
    hub_base = origin.get("hub_id") or (base if meta.get("base_model_on_hub") else None)
    extra: dict[str, Any] = {}
    thumbnail = _file_name(meta.get("thumbnail"))
    if thumbnail:  # the picture the Hub shows when the model is shared
        extra["thumbnail"] = file_url(thumbnail, model_ref, on_hub)
    return ModelCardData(
        language=primary_language(meta),
        license=str(license_id or "other"),
        library_name="transformers",
        pipeline_tag="text-generation",
        tags=tags,
        base_model=hub_base,
        datasets=[str(d) for d in datasets] if isinstance(datasets, list) else None,
        widget=[{"text": widget_text(meta)}],
        **extra,
    )


def _origin(meta: Mapping[str, Any]) -> Mapping[str, Any]:
    """What a GGUF base was converted from (``tweetgen.json``'s ``base``; tweetgen.model.gguf)."""
    origin = meta.get("base")
    return origin if isinstance(origin, Mapping) else {}


def _base_name(base: str, origin: Mapping[str, Any]) -> str:
    """The pre-trained model the card names: what a GGUF base is a copy of, else the base."""
    return str(origin.get("hub_id") or origin.get("gguf_name") or origin.get("source_file") or base)


def _base_text(base: str, origin: Mapping[str, Any]) -> str:
    if base == "tiny":
        return (
            "a small GPT-2 built from scratch on these posts (byte-level BPE tokenizer and "
            "randomly initialised weights), so it knows nothing but this corpus"
        )
    name = _base_name(base, origin)
    if not origin:
        return f"the pre-trained `{name}` model, fine-tuned on these posts"
    how = f"dequantized from {origin['quantization']}" if origin.get("quantization") else ""
    where = origin.get("distribution") or origin.get("source_file")
    source = f"the GGUF file of `{where}`" if where else "a GGUF file"
    detail = ", ".join(part for part in (how, source) if part)
    return f"the pre-trained `{name}` model ({detail}), fine-tuned on these posts"


def _framing_token(meta: Mapping[str, Any]) -> str:
    """The end-of-text token posts were framed with (``<|endoftext|>`` for GPT-2)."""
    framing = str(meta.get("framing") or "")
    token = framing.rsplit("post", 1)[-1] if "post" in framing else ""
    return token or "<|endoftext|>"


def _file_name(value: Any) -> str | None:
    """A plain file name of the model folder (no folder, nothing that could escape it)."""
    if not isinstance(value, str) or not value or value.startswith("."):
        return None
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    return value if set(value) <= allowed else None


def file_url(name: str, model_ref: str, on_hub: bool) -> str:
    """How the card links a file of the model folder: beside the card offline, by its
    ``resolve`` URL on the Hub (where metadata such as ``thumbnail`` needs a full URL)."""
    if on_hub:
        return f"https://huggingface.co/{model_ref}/resolve/main/{name}"
    return name


def header(meta: Mapping[str, Any], model_ref: str, on_hub: bool = False) -> str:
    """The seed's header: the account's picture, its name with "🤖 AI Bot", "@handle bot".

    Plain HTML the Hub renders (and any offline Markdown viewer): no script, no remote
    asset, every text escaped. Empty when the metadata has no usable profile; the picture
    alone is left out when there is none.
    """
    profile = meta.get("profile")
    profile = profile if isinstance(profile, Mapping) else {}
    handle = clean_text(profile.get("handle"), 256)
    if not handle:
        return ""
    handle = handle.lstrip("@")
    name = clean_text(profile.get("display_name"), 64) or handle
    lines = ['<div align="center">']
    picture = _file_name(profile.get("picture"))
    if picture:
        src = html.escape(file_url(picture, model_ref, on_hub), quote=True)
        alt = html.escape(f"{name}'s profile picture", quote=True)
        lines.append(
            f'  <img src="{src}" alt="{alt}" width="96" height="96" style="border-radius: 50%;">'
        )
    lines += [
        f"  <p><strong>{html.escape(name)}</strong> 🤖 AI Bot<br>",
        f"  @{html.escape(handle)} bot</p>",
        "</div>",
    ]
    return "\n".join(lines)


def _who(meta: Mapping[str, Any]) -> str:
    authors = meta.get("corpus", {}).get("authors") or []
    return ", ".join(f"@{a}" for a in authors) if authors else "one person"


#: What the card's pictures show, by their ``tweetgen.json`` key.
_PICTURES = {
    "thumbnail": "Posts this model generated, not written by the person",
    "pipeline_picture": "source, corpus, filters, trainer, model folder, generator, with a "
    "plugin hook at each",
}


def _picture(meta: Mapping[str, Any], key: str, model_ref: str, on_hub: bool) -> str:
    """The picture ``tweetgen.json`` names under ``key``, as Markdown; "" without one."""
    name = _file_name(meta.get(key))
    return f"![{_PICTURES[key]}]({file_url(name, model_ref, on_hub)})" if name else ""


def _data_section(meta: Mapping[str, Any]) -> str:
    corpus = meta.get("corpus", {})
    source = corpus.get("source")
    rows = ["| Data | Count |", "| --- | ---: |"]
    rows += [f"| {label} | {count:,} |" for label, count in labelled(meta.get("data", []), source)]
    span = ""
    if corpus.get("first") and corpus.get("last"):
        span = f", written between {corpus['first'][:10]} and {corpus['last'][:10]}"
    steps = [s.get("name", "?") for s in meta.get("report", {}).get("steps", [])]
    filters = ", ".join(f"`{name}`" for name in steps) if steps else "none"
    text = (
        "## Training data\n\n"
        f"The model was trained on posts by {_who(meta)} read with the "
        f"`{source or 'unknown'}` source{span}. Filters applied before training, "
        f"in order: {filters}.\n\n"
        + "\n".join(rows)
        + f"\n\nCorpus fingerprint: `{corpus.get('fingerprint', 'unknown')}`."
    )
    links = meta.get("wandb") or {}
    if links.get("posts"):
        text += (
            "\n\nThe data is tracked with W&B artifacts at every step of the pipeline: "
            f"[training data]({links['posts']})."
        )
    return text


def _procedure_section(meta: Mapping[str, Any]) -> str:
    config = redact(meta.get("config", {}))
    base = config.get("base_model", "unknown")
    base_text = _base_text(str(base), _origin(meta))
    shown = {k: config[k] for k in _HYPERPARAMETERS if config.get(k) is not None}
    if base == "tiny" and isinstance(config.get("tiny"), dict):
        shown |= {f"tiny.{k}": v for k, v in config["tiny"].items()}
    lines = [f"| {k} | `{v}` |" for k, v in shown.items()]
    metrics = meta.get("metrics", {})
    results = [
        f"| {label} | {fmt.format(metrics[key])} |"
        for key, label, _, fmt in METRICS
        if isinstance(metrics.get(key), int | float)
    ]
    text = f"## Training procedure\n\nThe model is {base_text}.\n\n"
    text += "| Hyperparameter | Value |\n| --- | --- |\n" + "\n".join(lines)
    if results:
        text += "\n\n| Result | Value |\n| --- | ---: |\n" + "\n".join(results)
    return text + _tracking_text(meta, config)


def _tracking_text(meta: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    links = meta.get("wandb") or {}
    if links.get("run"):
        text = (
            "\n\nHyperparameters and metrics are recorded in the "
            f"[W&B training run]({links['run']}) for full transparency and reproducibility, "
            f"with an `examples` table of generated posts. At the end of training the "
            f"[final model]({links.get('model', links['run'])}) was logged and versioned"
        )
        return text + (
            f" ([all artifacts]({links['artifacts']}))." if "artifacts" in links else "."
        )
    if config.get("wandb"):
        project = config.get("wandb_project", "tweetgen")
        return f"\n\nThe run was tracked offline with Weights & Biases (project `{project}`)."
    return ""


def _usage_section(model_ref: str, on_hub: bool, prompt: str) -> str:
    local = model_ref
    fetch = ""
    if on_hub:
        local = model_ref.rsplit("/", 1)[-1]
        fetch = f"hf download {model_ref} --local-dir {local}\n"
    quoted = '"' + prompt.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return (
        "## How to use\n\n"
        "With `transformers` alone (the sampling settings come with the model):\n\n"
        "```python\n"
        "from transformers import pipeline\n\n"
        f"generator = pipeline('text-generation', model={model_ref!r})\n"
        f"for post in generator({prompt!r}, num_return_sequences=5):\n"
        "    print(post['generated_text'])\n"
        "```\n\n"
        "With tweetgen, which also drops samples that copy a training post:\n\n"
        "```bash\n"
        f"{fetch}tweetgen generate {local} {quoted} -n 5\n"
        "```"
    )


def _limitations_section(meta: Mapping[str, Any]) -> str:
    """The limits of the model: those of its real base (none for the tiny one) and its data."""
    base = str(meta.get("config", {}).get("base_model") or "")
    inherited = "of its training data"
    if base and base != "tiny":
        inherited = (
            f"of its base model, `{_base_name(base, _origin(meta))}`, and of its training data"
        )
    return (
        "## Limitations and bias\n\n"
        f"The model has the limitations and biases {inherited}; on top "
        "of that, whatever is in this person's posts (opinions, mistakes, other people's "
        "names) shapes what it writes. It was trained on few texts, so it may repeat phrases "
        "or whole posts; `tweetgen generate` drops samples that copy a training post."
    )


def render_card(meta: Mapping[str, Any], *, model_ref: str, on_hub: bool = False) -> str:
    """The whole ``README.md`` for the metadata of ``tweetgen.json``.

    ``model_ref`` is what the usage snippet loads: a local directory (best absolute, so the
    snippet runs from any folder), or with ``on_hub`` a hub repo id.
    """
    from huggingface_hub import ModelCard

    who = _who(meta)
    token = _framing_token(meta)
    sections = [
        header(meta, model_ref, on_hub),
        f"# {who} (tweetgen)\n\n"
        "Create your own bot based on your favorite user with tweetgen "
        "(`pip install tweetgen`).\n\n"
        f"A language model that writes posts in the voice of {who}. "
        f"It was made with tweetgen {meta.get('tweetgen_version', '')}.".rstrip(),
        _picture(meta, "thumbnail", model_ref, on_hub),
        "## How does it work?",
        _picture(meta, "pipeline_picture", model_ref, on_hub),
        "tweetgen reads the account's posts, drops retweets and short posts, cleans links and "
        "HTML entities, and fine-tunes a GPT-2-style causal language model on what is left. "
        f"Each post is framed as `{token}` post `{token}`, so the model learns "
        "where posts start and end, and no post sees another during training. Generation "
        f"starts from `{token}` (plus an optional prompt), uses nucleus sampling "
        "(top-p 0.95), and ends at the end-of-text token or the first newline.",
        _data_section(meta),
        _procedure_section(meta),
        _usage_section(model_ref, on_hub, widget_text(meta)),
        _limitations_section(meta),
        "## Consent and disclosure\n\n"
        "Train a model like this only on your own posts, or with the clear consent of the "
        "person who wrote them. Whenever you publish text it generates, say that it was "
        "generated by a model: it is not something the person said.",
    ]
    body = "\n\n".join(s for s in sections if s)  # no header, no pictures: no blank lines
    data = card_data(meta, model_ref, on_hub)
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}\n")
    return str(card)
