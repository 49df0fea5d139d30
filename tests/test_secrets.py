"""The one redaction rule: secret keys in any case style, token-shaped values, env secrets."""

from __future__ import annotations

import pytest

from tweetgen.base.secrets import (
    REDACTED,
    is_secret_key,
    redact,
    redact_text,
)

HF = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123"
WANDB = "0123456789abcdef0123456789abcdef01234567"
X_BEARER = (
    "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI"
    "%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F"
)


@pytest.mark.parametrize(
    "key",
    [
        "hf_token",
        "hfToken",
        "HFToken",
        "HF_TOKEN",
        "hf-token",
        "apiToken",
        "accessToken",
        "api_key",
        "apiKey",
        "APIKey",
        "apikey",
        "WANDB_API_KEY",
        "x-api-key",
        "Authorization",
        "bearer_token",
        "BearerToken",
        "password",
        "clientSecret",
        "credentials",
        "auth",
    ],
)
def test_secret_keys_in_any_case_style(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "tokens_per_second",
        "max_new_tokens",
        "author",
        "authors",
        "tokenizer",
        "monkey",
        "base_model",
        "train_tokens",
        "keep_checkpoints",
        "keyword",
    ],
)
def test_ordinary_keys_are_kept(key: str) -> None:
    assert not is_secret_key(key)


def test_redact_drops_keys_and_token_shaped_values_at_any_depth() -> None:
    config = {
        "base_model": "tiny",
        "extra": {"hub": {"hfToken": HF, "repo": "me/model"}, "notes": f"token is {HF}"},
        "list": [{"accessToken": "x"}, WANDB, f"Bearer {X_BEARER}"],
        "tokens_per_second": 12.0,
    }
    out = redact(config)
    assert out["extra"]["hub"] == {"repo": "me/model"}
    assert out["extra"]["notes"] == f"token is {REDACTED}"
    assert out["list"] == [{}, REDACTED, f"Bearer {REDACTED}"]
    assert out["tokens_per_second"] == 12.0 and out["base_model"] == "tiny"
    flat = repr(out)
    for secret in (HF, WANDB, X_BEARER):
        assert secret not in flat


def test_redact_text_scrubs_pairs_shapes_and_environment_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "plain-looking-value-42")
    text = f"--set apiToken=abc123456 -o bearer_token={X_BEARER} plain-looking-value-42 ok=1"
    out = redact_text(text)
    assert "abc123456" not in out and X_BEARER not in out and "plain-looking" not in out
    assert "ok=1" in out


def test_the_guard_can_fail() -> None:
    """Without redaction the fake tokens are found: the assertions above can fail."""
    assert HF in repr({"hfToken": HF}) and not is_secret_key("model")
