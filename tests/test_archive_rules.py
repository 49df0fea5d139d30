"""The text rules real archives needed (issue 7), on a small X archive written for them.

Posts in scripts without spaces are not "short", replies lose the handles they start with,
an ``&amp;`` the author typed survives, a line of links leaves no blank line, and the shared
archive keeps the seed's table.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tweetgen import Corpus
from tweetgen.cli import main
from tweetgen.pipeline import default_filters

JAPANESE = "今日はとても良い天気ですね。散歩に行きます"
THAI = "วันนี้อากาศดีมากเลย"
REPLY = "@bob @carol that is a great idea for the weekend"
TYPED_ENTITY = "Tom &amp;amp; Jerry are back on air tonight"  # X escapes the typed "&amp;"
LINK_LINE = "first line here\nhttps://t.co/abc\nsecond line here"
#: Both versions of an edited post carry the whole chain of ids, oldest first.
EDITED = {"initial": {"editTweetIds": ["1007", "1008"]}}


def _tweet(i: int, text: str, lang: str, **extra: Any) -> dict[str, Any]:
    tweet = {
        "id_str": str(1000 + i),
        "id": str(1000 + i),
        "created_at": f"Fri Feb {10 + i:02d} 09:10:58 +0000 2026",
        "full_text": text,
        "lang": lang,
        "entities": {"hashtags": [], "user_mentions": [], "urls": []},
        **extra,
    }
    return {"tweet": tweet}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rules") / "archive"
    data = root / "data"
    data.mkdir(parents=True)
    account = [{"account": {"username": "rules_user", "accountId": "9"}}]
    reply = {"in_reply_to_status_id_str": "77", "in_reply_to_screen_name": "bob"}
    tweets = [
        _tweet(0, JAPANESE, "ja"),
        _tweet(1, "はい", "ja"),
        _tweet(2, THAI, "th"),
        _tweet(3, REPLY, "en", **reply),
        _tweet(4, TYPED_ENTITY, "en"),
        _tweet(5, LINK_LINE, "en"),
        _tweet(6, "RT @x: hi there you all", "en"),
        _tweet(7, "a first version of this post, with a typo", "en", edit_info=EDITED),
        _tweet(8, "the second version of this post, typo fixed", "en", edit_info=EDITED),
    ]
    (data / "account.js").write_text("window.YTD.account.part0 = " + json.dumps(account))
    (data / "tweets.js").write_text("window.YTD.tweets.part0 = " + json.dumps(tweets))
    return root


@pytest.fixture(scope="module")
def kept(archive: Path) -> dict[str, str]:
    corpus = Corpus.from_source("x-archive", str(archive)).filter(*default_filters())
    assert corpus.report.table() == [
        ("downloaded", 9),  # every post in the archive, the earlier edit version included
        ("retweets", 1),
        ("short tweets", 1),  # "はい": one word
        ("earlier edit versions", 1),
        ("kept", 6),
    ]
    return dict(zip(corpus.dataset["id"], corpus.texts, strict=True))


def test_unspaced_scripts_are_measured_in_characters(kept: dict[str, str]) -> None:
    assert kept["1000"] == JAPANESE and kept["1002"] == THAI
    assert "1001" not in kept


def test_replies_lose_their_leading_handles(kept: dict[str, str]) -> None:
    assert kept["1003"] == "that is a great idea for the weekend"


def test_an_entity_the_author_typed_survives(kept: dict[str, str]) -> None:
    assert kept["1004"] == "Tom &amp; Jerry are back on air tonight"


def test_a_line_of_links_leaves_no_blank_line(kept: dict[str, str]) -> None:
    assert kept["1005"] == "first line here\nsecond line here"


def test_only_the_latest_version_of_an_edited_post_is_kept(kept: dict[str, str]) -> None:
    assert kept["1008"] == "the second version of this post, typo fixed"
    assert "1007" not in kept


def test_the_cli_table_adds_up(archive: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["prepare", "x-archive", str(archive), "--out", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    rows = dict(re.findall(r"│ ([A-Z][a-z ]+?) +│ +([\d,]+) │", result.output))
    assert rows["Tweets downloaded"] == "9" and rows["Earlier edit versions"] == "1"
    dropped = sum(int(rows[k]) for k in ("Retweets", "Short tweets", "Earlier edit versions"))
    assert int(rows["Tweets downloaded"]) - dropped == int(rows["Tweets kept"]) == 6
    assert "│ x-archive " in result.output  # the source's own step in the filter table


def test_other_sources_still_get_unescaped(tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    record = {"id": "1", "text": "me &amp; you and them", "created_at": "2024-01-01T00:00:00Z"}
    posts.write_text(json.dumps(record) + "\n")
    corpus = Corpus.from_source("jsonl", str(posts)).filter(*default_filters())
    assert corpus.texts == ["me & you and them"]


def test_the_cli_keeps_reply_mentions_when_asked(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    args = ["prepare", "x-archive", str(archive), "--out", str(out), "--keep-reply-mentions"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert REPLY in Corpus.load(out).texts
    assert "strip-reply-mentions" not in result.output
    both = CliRunner().invoke(main, [*args, "-f", "drop-short"])
    assert both.exit_code != 0 and "leave out strip-reply-mentions" in both.output


def test_the_shared_archive_keeps_the_seeds_table(milahu_archive: Path) -> None:
    corpus = Corpus.from_source("x-archive", str(milahu_archive)).filter(*default_filters())
    assert corpus.report.table() == [
        ("downloaded", 2045),
        ("retweets", 239),
        ("short tweets", 138),
        ("kept", 1668),
    ]
