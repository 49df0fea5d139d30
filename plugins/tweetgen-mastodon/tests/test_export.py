"""The account export: the handmade fixture folder, and a .zip and a .tar.gz built from it."""

from __future__ import annotations

import contextlib
import io
import tarfile
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tweetgen_mastodon import MastodonSource
from tweetgen_mastodon.archive import read_export

from tweetgen import ArchiveError, Corpus, InputFormatError, Post, PostKind, SourceError, Url
from tweetgen.cli import main
from tweetgen.sources.safezip import ZipLimits
from tweetgen.testing import SourceContract

EXPORT = Path(__file__).parent / "fixtures" / "export"
STATUS = "https://example.social/users/alice/statuses/"


def read(location: Path | str, **options: str) -> list[Post]:
    return list(MastodonSource().read(str(location), **options))


@pytest.fixture(params=["folder", "zip", "tar.gz", "outbox.json"])
def export(request: pytest.FixtureRequest) -> Path:
    """Each form an export can take on disk."""
    if request.param == "zip":
        return Path(request.getfixturevalue("export_zip"))
    if request.param == "tar.gz":
        return Path(request.getfixturevalue("export_tar"))
    return EXPORT / "outbox.json" if request.param == "outbox.json" else EXPORT


class TestExportContract(SourceContract):
    @pytest.fixture
    def source_name(self) -> str:
        return "mastodon"

    @pytest.fixture
    def posts(self, export: Path) -> list[Post]:
        return read(export)


def test_every_form_reads_the_same_posts(export: Path) -> None:
    assert read(export) == read(EXPORT)


def test_kinds_and_direct_messages_left_out() -> None:
    posts = read(EXPORT)
    assert [(p.id.removeprefix(STATUS), p.kind) for p in posts] == [
        ("110001", PostKind.ORIGINAL),
        ("110002", PostKind.REPLY),
        ("110003/activity", PostKind.RETWEET),
        ("110004", PostKind.ORIGINAL),  # followers-only: kept
        ("110006", PostKind.QUOTE),  # 110005 went only to @bob: a direct message
    ]


def test_html_becomes_plain_text_with_entities() -> None:
    first = read(EXPORT)[0]
    assert first.text == (
        "Morning walk by the river & a coffee after. Thinking about #slowliving\n"
        "again today\n\n"
        "Notes from @bob@other.example: https://example.com/essays/on-walking-slowly"
    )
    assert first.author == "alice@example.social"
    assert first.mentions == ("bob@other.example",)
    assert first.hashtags == ("slowliving",)
    url = "https://example.com/essays/on-walking-slowly"
    assert first.urls == (Url(url, url),)
    assert first.created_at == datetime(2024, 3, 1, 8, 15, tzinfo=timezone.utc)
    assert first.lang == "en"


def test_reply_boost_language_and_warning() -> None:
    _, reply, boost, german, quote = read(EXPORT)
    assert reply.reply_to == "https://other.example/users/bob/statuses/9001"
    assert boost.text == ""
    assert boost.extra == {"boosted": "https://other.example/users/bob/statuses/9002"}
    assert german.lang == "de"
    assert quote.extra["content_warning"] == "long read"
    assert quote.extra["quoted"] == "https://other.example/users/bob/statuses/9003"


def test_options_filter_and_limit() -> None:
    assert PostKind.REPLY not in {p.kind for p in read(EXPORT, exclude_replies="true")}
    assert PostKind.RETWEET not in {p.kind for p in read(EXPORT, exclude_reblogs="yes")}
    assert len(read(EXPORT, limit="2")) == 2


def test_without_actor_json_the_author_comes_from_the_activities(tmp_path: Path) -> None:
    (tmp_path / "outbox.json").write_bytes((EXPORT / "outbox.json").read_bytes())
    assert {p.author for p in read(tmp_path)} == {"alice@example.social"}


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _tar(path: Path, members: dict[str, bytes], link: tuple[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link[0])
            info.type, info.linkname = tarfile.SYMTYPE, link[1]
            archive.addfile(info)
    return path


def _junk(folder: Path) -> Path:
    (folder / "photo.zip").write_bytes(b"\x89PNG, not an archive")
    return folder / "photo.zip"


OUTBOX = (EXPORT / "outbox.json").read_bytes()


def _case(make: Callable[[Path], Path], message: str, name: str) -> Any:
    return pytest.param(make, message, id=name)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        _case(_junk, "not a Mastodon export", "not-an-archive"),
        _case(lambda d: _zip(d / "a.zip", {"likes.json": b"{}"}), "no outbox.json", "zip-empty"),
        _case(lambda d: _tar(d / "a.tgz", {"likes.json": b"{}"}), "no outbox.json", "tar-empty"),
        _case(
            lambda d: _zip(d / "a.zip", {"outbox.json": OUTBOX, "../x.sh": b"x"}), "'..'", "slip"
        ),
        _case(
            lambda d: _tar(d / "a.tgz", {"/etc/cron.d/x": b"x", "outbox.json": OUTBOX}),
            "absolute path",
            "tar-absolute",
        ),
        _case(
            lambda d: _tar(d / "a.tgz", {"outbox.json": OUTBOX}, ("media", "../../..")),
            "link target",
            "tar-symlink",
        ),
        _case(
            lambda d: _zip(d / "a.zip", {"outbox.json": OUTBOX, "bomb.bin": bytes(4 << 20)}),
            "zip bomb",
            "zip-bomb",
        ),
        _case(lambda d: _zip(d / "a.zip", {"outbox.json": b"{no"}), "not valid JSON", "bad-json"),
        _case(lambda d: _zip(d / "a.zip", {"outbox.json": b"[]"}), "orderedItems", "not-outbox"),
    ],
)
def test_bad_exports_fail_with_one_line(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(SourceError, match=message) as info:
        read(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_members_over_the_size_limit_are_refused(tmp_path: Path, kind: str) -> None:
    make = _zip if kind == "zip" else _tar
    path = make(tmp_path / f"a.{kind}", {"outbox.json": OUTBOX})
    with pytest.raises(ArchiveError, match="limit"):
        read_export(str(path), ZipLimits(max_member_bytes=1000, max_total_bytes=1000))


def test_missing_path_and_bad_outbox_items(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read(tmp_path / "nope.zip")
    bad = b'{"orderedItems": [{"type": "Announce", "to": ["as:Public"], "object": "x"}]}'
    (tmp_path / "outbox.json").write_bytes(bad)
    with pytest.raises(InputFormatError, match="item 1: missing 'id'"):
        read(tmp_path)


@pytest.mark.usefixtures("this_plugin_only")
def test_cli_prepare_export_zip(export_zip: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    result = CliRunner().invoke(main, ["prepare", "mastodon", str(export_zip), "--out", str(out)])
    assert result.exit_code == 0, result.output
    corpus = Corpus.load(out)
    assert 0 < len(corpus) <= 4  # the boost is dropped by the default filters
    assert {p.source for p in corpus} == {"mastodon"}


@pytest.mark.usefixtures("this_plugin_only")
def test_cli_bad_archive_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    bad = _zip(tmp_path / "a.zip", {"../evil": b"x", "outbox.json": OUTBOX})
    out = tmp_path / "corpus"
    result = CliRunner().invoke(main, ["prepare", "mastodon", str(bad), "--out", str(out)])
    assert result.exit_code != 0
    assert "zip slip" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_export_inside_a_top_folder_of_the_zip(tmp_path: Path) -> None:
    actor = (EXPORT / "actor.json").read_bytes()
    path = _zip(tmp_path / "a.zip", {"mine/outbox.json": OUTBOX, "mine/actor.json": actor})
    assert read(path) == read(EXPORT)


def test_language_keys_become_bcp47_tags(tmp_path: Path) -> None:
    """``contentMap`` keys as Mastodon exports write them (``zhCn``) become ``zh-CN``."""
    import json

    from tweetgen.pipeline import parse_filter_spec

    outbox = json.loads((EXPORT / "outbox.json").read_text(encoding="utf-8"))
    note = next(i["object"] for i in outbox["orderedItems"] if i.get("type") == "Create")
    note["content"] = "<p>今天天气很好，我们去公园散步吧</p>"
    note["contentMap"] = {"zhCn": note["content"]}
    (tmp_path / "outbox.json").write_text(json.dumps(outbox), encoding="utf-8")
    posts = read(tmp_path / "outbox.json")
    chinese = next(p for p in posts if p.text.startswith("今天"))
    assert chinese.lang == "zh-CN"
    kept = Corpus.from_posts(posts).filter(parse_filter_spec("keep-languages:languages=zh"))
    assert chinese.id in set(kept.dataset["id"])


def test_every_item_is_kept_or_counted_on_a_row(tmp_path: Path) -> None:
    """Issue 20: the data table's first row is the export's own item count; each item left
    out (a direct message, a Like, an item that is no object) is counted on a row."""
    import json

    from tweetgen.pipeline import read as read_corpus

    outbox = json.loads((EXPORT / "outbox.json").read_text(encoding="utf-8"))
    corpus = read_corpus("mastodon", str(EXPORT))
    assert corpus.report.downloaded == outbox["totalItems"] == len(outbox["orderedItems"]) == 6
    assert dict(corpus.report.table())["direct messages"] == 1
    assert len(corpus) == 5
    outbox["orderedItems"] += [{"type": "Like", "object": "https://x.example/1"}, 5]
    (tmp_path / "outbox.json").write_text(json.dumps(outbox), encoding="utf-8")
    corpus = read_corpus("mastodon", str(tmp_path))
    table = dict(corpus.report.table())
    assert table["downloaded"] == 8 and table["kept"] == len(corpus) == 5
    assert (table["direct messages"], table["other activities"]) == (1, 2)


def test_the_api_counts_direct_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Statuses the API returns as direct are counted too, not dropped silently."""
    from tweetgen_mastodon import api

    statuses = [{"visibility": "direct"}, {"visibility": "direct"}]
    monkeypatch.setattr(api, "make_client", lambda url: contextlib.nullcontext(None))
    monkeypatch.setattr(api, "lookup", lambda client, user: {"id": "1", "username": "alice"})
    monkeypatch.setattr(api, "statuses", lambda *args: iter(statuses))
    source = MastodonSource()
    assert list(source.read("@alice@example.social")) == []
    assert source.skipped == {"direct messages": 2}
