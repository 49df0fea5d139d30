"""Declared options: checked with a did-you-mean, converted, shown by ``tweetgen plugins``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from tweetgen import Option, Post, SourceError, TrainingError
from tweetgen.cli import main
from tweetgen.corpus.corpus import Corpus
from tweetgen.plugins import check_source_options
from tweetgen.plugins.options import declared_options, did_you_mean


class Declared:
    name = "declared"
    options = (
        Option("limit", int, None, "at most this many"),
        Option("verbose", bool, False, "say more"),
        Option("ratio", float, 0.5, "a fraction"),
        Option("author", str, None, "who"),
    )

    def read(self, location: str, **options: Any) -> Iterator[Post]:
        yield Post("1", "me", repr(options), datetime(2026, 1, 1, tzinfo=timezone.utc), "x")


class BySignature:
    name = "by-signature"

    def read(self, location: str, author: str = "") -> list[Post]:
        return []


class Legacy:
    name = "legacy"
    options: ClassVar[dict[str, str]] = {"author": "who wrote it"}


def test_declared_options_are_converted_from_command_line_strings() -> None:
    got = check_source_options(Declared, {"limit": "5", "verbose": "yes", "ratio": "0.25"})
    assert got == {"limit": 5, "verbose": True, "ratio": 0.25}
    assert check_source_options(Declared, {"author": "ada"}) == {"author": "ada"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"autor": "me"},
            r"unknown option\(s\) autor for source 'declared': did you mean author\?",
        ),
        ({"limt": 1}, "did you mean limit"),
        ({"limit": "many"}, "option limit must be an integer"),
        ({"verbose": "maybe"}, "option verbose must be true or false"),
        ({"ratio": "nan"}, "option ratio must be a finite number"),
        ({"colour": "red"}, r"unknown option\(s\) colour for source 'declared' \(known: "),
    ],
)
def test_bad_options_fail_clearly(options: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceError, match=message):
        check_source_options(Declared, options)


def test_undeclared_sources_are_checked_against_their_signature() -> None:
    assert check_source_options(BySignature, {"author": "x"}) == {"author": "x"}
    with pytest.raises(SourceError, match="did you mean author"):
        check_source_options(BySignature, {"autor": "x"})


def test_the_older_mapping_of_help_strings_still_declares() -> None:
    [option] = declared_options(Legacy) or []
    assert (option.name, option.type, option.help) == ("author", str, "who wrote it")
    assert declared_options(BySignature) is None
    with pytest.raises(TypeError, match="type must be one of"):
        Option("x", list)


def test_builtin_sources_refuse_a_typo_with_a_suggestion(sample_archive: Any) -> None:
    with pytest.raises(SourceError, match="did you mean include_deleted"):
        Corpus.from_source("x-archive", str(sample_archive), include_deleted_posts="yes")


def test_the_x_archive_parses_its_options_with_the_one_parser(sample_archive: Any) -> None:
    from tweetgen.sources.x_archive import XArchiveSource

    source = XArchiveSource()
    with pytest.raises(SourceError, match=r"^source 'x-archive': option include_deleted must be"):
        source.read_batches(str(sample_archive), include_deleted="maybe")
    with pytest.raises(SourceError, match="option author: expected a handle, got ' '"):
        source.read_batches(str(sample_archive), author=" ")
    quiet = sum(b.num_rows for b in source.read_batches(str(sample_archive), include_deleted="no"))
    every = sum(b.num_rows for b in source.read_batches(str(sample_archive), include_deleted="yes"))
    assert quiet == sum(b.num_rows for b in source.read_batches(str(sample_archive)))
    assert every > quiet  # the sample holds deleted posts: "yes" reads them, "no" does not


def test_did_you_mean_names_each_near_miss() -> None:
    assert did_you_mean(["autor"], ["author", "date"]) == ": did you mean author?"
    assert did_you_mean(["autor", "dat"], ["author", "date"]) == (
        ": did you mean autor -> author, dat -> date?"
    )
    assert did_you_mean(["zzz"], ["author"]) == ""


def test_training_settings_suggest_too() -> None:
    from tweetgen.training.config import TrainConfig

    with pytest.raises(TrainingError, match=r"unknown training setting.*did you mean epochs"):
        TrainConfig.from_dict({"epoch": 3})


# tweetgen plugins ----------------------------------------------------------------------------


def test_plugins_shows_descriptions() -> None:
    result = CliRunner().invoke(main, ["plugins"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "An X (Twitter) account archive" in result.output
    data = json.loads(CliRunner().invoke(main, ["plugins", "--json"]).stdout)
    builtin = next(d for d in data if d["name"] == "tweetgen.sources.x_archive")
    assert builtin["descriptions"]["x-archive"].startswith("An X (Twitter) account archive")


def test_plugins_name_shows_options() -> None:
    result = CliRunner().invoke(main, ["plugins", "x-archive"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "include_deleted" in result.output and "bool" in result.output
    [data] = json.loads(CliRunner().invoke(main, ["plugins", "csv", "--json"]).stdout)
    assert data["kind"] == "source" and data["plugin"] == "tweetgen.sources.files"
    delimiter = next(o for o in data["options"] if o["name"] == "delimiter")
    assert delimiter["type"] == "str" and "separator" in delimiter["help"]
    [full] = json.loads(CliRunner().invoke(main, ["plugins", "full", "--json"]).stdout)
    assert full["kind"] == "trainer" and full["options"] == []
    [short] = json.loads(CliRunner().invoke(main, ["plugins", "drop-short", "--json"]).stdout)
    assert short["options"] == [
        {"name": "min_words", "type": "int", "default": 3, "help": ""},
        {"name": "by_script", "type": "bool", "default": True, "help": ""},
    ]


def test_plugins_unknown_name_suggests() -> None:
    result = CliRunner().invoke(main, ["plugins", "x-archiv"])
    assert result.exit_code == 1
    assert "no source, filter or trainer named 'x-archiv': did you mean x-archive?" in result.output


def test_lora_declares_exactly_its_settings() -> None:
    import dataclasses

    settings = pytest.importorskip("tweetgen_lora.settings")
    from tweetgen_lora.trainer import LoraTrainer

    fields = [f"lora.{f.name}" for f in dataclasses.fields(settings.LoraSettings)]
    assert [o.name for o in declared_options(LoraTrainer) or []] == fields
    with pytest.raises(TrainingError, match=r"unknown lora setting.*did you mean rank"):
        settings.LoraSettings.from_dict({"rnak": 4})
