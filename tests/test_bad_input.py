"""Bad input: a typed one-line error naming the file, and through the CLI a non-zero exit, one
line on stderr, no traceback, and no output directory (nor temporary one) left behind."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tweetgen.cli import main
from tweetgen.errors import ArchiveError, InputFormatError, SourceError, TweetgenError
from tweetgen.plugins import get_source
from tweetgen.sources.safezip import SafeZip, ZipLimits

TWEET = (
    '{"tweet": {"id_str": "1", "created_at": "Fri Feb 20 09:10:58 +0000 2026", '
    '"full_text": "hello there"}}'
)
GOOD_TWEETS = f"window.YTD.tweets.part0 = [{TWEET}]"


def make_zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def make_folder(root: Path, files: dict[str, bytes | str]) -> Path:
    data = root / "archive" / "data"
    data.mkdir(parents=True)
    for name, content in files.items():
        target = data / name
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)
    return data.parent


def patch_central_size(path: Path, member: str, size: int) -> None:
    """Rewrite the uncompressed size a zip's central directory declares for ``member``."""
    data = bytearray(path.read_bytes())
    start = data.find(b"PK\x01\x02")
    while start != -1:
        name_len = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46 : start + 46 + name_len].decode() == member:
            struct.pack_into("<I", data, start + 24, size)
        start = data.find(b"PK\x01\x02", start + 4)
    path.write_bytes(bytes(data))


def zip_bomb(tmp: Path) -> Path:
    """A valid archive plus 20 MB of zeros that deflate to ~20 KB (ratio ~1000x)."""
    return make_zip(
        tmp / "bomb.zip",
        {"data/tweets.js": GOOD_TWEETS, "data/tweets_media/zeros.bin": b"\0" * 20_000_000},
    )


def declared_huge(tmp: Path) -> Path:
    """An entry whose central directory claims 3 GiB uncompressed."""
    path = make_zip(tmp / "huge.zip", {"data/tweets.js": GOOD_TWEETS})
    patch_central_size(path, "data/tweets.js", 3 << 30)
    return path


def lying_size(tmp: Path) -> Path:
    """An entry that inflates to more than its declared size."""
    path = make_zip(tmp / "lying.zip", {"data/tweets.js": GOOD_TWEETS})
    patch_central_size(path, "data/tweets.js", 10)
    return path


@dataclass
class Case:
    """A bad input: how to build it, which source reads it, what error it must give."""

    build: Callable[[Path], Path]
    error: type[Exception]
    says: str
    source: str = "x-archive"
    options: dict[str, Any] = field(default_factory=dict)


def _tweets_folder(content: bytes | str) -> Callable[[Path], Path]:
    return lambda tmp: make_folder(tmp, {"tweets.js": content})


def _file(name: str, content: bytes | str) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        path = tmp / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    return build


CASES: dict[str, Case] = {
    "missing file": Case(lambda tmp: tmp / "nope.zip", SourceError, "no such file"),
    "not a zip": Case(_file("random.zip", os.urandom(4096)), ArchiveError, "not a valid zip"),
    "one data file": Case(_file("tweets.js", GOOD_TWEETS), ArchiveError, "the whole archive"),
    "empty zip": Case(lambda t: make_zip(t / "e.zip", {}), ArchiveError, "not an X archive"),
    "zip without tweets": Case(
        lambda tmp: make_zip(tmp / "n.zip", {"data/account.js": "window.YTD.account.part0 = []"}),
        ArchiveError,
        "no data/tweets.js",
    ),
    "folder without tweets": Case(
        lambda tmp: make_folder(tmp, {"README.txt": "hi"}), ArchiveError, "no data/tweets.js"
    ),
    "malformed json": Case(
        _tweets_folder("window.YTD.tweets.part0 = [\n  {,}\n]"), InputFormatError, "line 2"
    ),
    "truncated json": Case(
        _tweets_folder(GOOD_TWEETS[: len(GOOD_TWEETS) // 2]), InputFormatError, "malformed JSON"
    ),
    "javascript, not data": Case(
        _tweets_folder(GOOD_TWEETS + "\n;globalThis.pwned = true"), InputFormatError, "JSON"
    ),
    "no assignment": Case(_tweets_folder("alert(1)"), InputFormatError, "not an X archive"),
    "object, not list": Case(
        _tweets_folder('window.YTD.tweets.part0 = {"tweet": {}}'), InputFormatError, "a list"
    ),
    "tweet without id": Case(
        _tweets_folder('window.YTD.tweets.part0 = [{"tweet": {"full_text": "x"}}]'),
        InputFormatError,
        "post #1",
    ),
    "tweet without text": Case(
        _tweets_folder(
            'window.YTD.tweets.part0 = [{"tweet": {"id_str": "5", "created_at": '
            '"Fri Feb 20 09:10:58 +0000 2026"}}]'
        ),
        InputFormatError,
        "'full_text' is missing",
    ),
    "bad date": Case(
        _tweets_folder(GOOD_TWEETS.replace("Fri Feb 20 09:10:58 +0000 2026", "yesterday")),
        InputFormatError,
        "bad created_at",
    ),
    "invalid utf-8": Case(
        _tweets_folder(b"window.YTD.tweets.part0 = [\n\xff\xfe]"), InputFormatError, "UTF-8"
    ),
    "zip slip": Case(
        lambda tmp: make_zip(tmp / "slip.zip", {"data/tweets.js": GOOD_TWEETS, "../evil.js": "x"}),
        ArchiveError,
        "zip slip",
    ),
    "zip absolute path": Case(
        lambda tmp: make_zip(tmp / "abs.zip", {"data/tweets.js": GOOD_TWEETS, "/etc/evil.js": "x"}),
        ArchiveError,
        "absolute path",
    ),
    "zip drive path": Case(
        lambda tmp: make_zip(tmp / "drv.zip", {"data/tweets.js": GOOD_TWEETS, "C:/evil.js": "x"}),
        ArchiveError,
        "absolute path",
    ),
    "zip bomb (ratio)": Case(zip_bomb, ArchiveError, "zip bomb"),
    "zip bomb (declared size)": Case(declared_huge, ArchiveError, "zip bomb"),
    "zip entry larger than declared": Case(lying_size, ArchiveError, "damaged entry"),
    "manifest escapes": Case(
        lambda tmp: make_folder(
            tmp,
            {
                "tweets.js": GOOD_TWEETS,
                "manifest.js": (
                    'window.__THAR_CONFIG = {"dataTypes": {"tweets": {"files": '
                    '[{"fileName": "data/../../secret.js", "count": "1"}]}}}'
                ),
            },
        ),
        InputFormatError,
        "unsafe",
    ),
    "manifest part missing": Case(
        lambda tmp: make_folder(
            tmp,
            {
                "tweets.js": GOOD_TWEETS,
                "manifest.js": (
                    'window.__THAR_CONFIG = {"dataTypes": {"tweets": {"files": '
                    '[{"fileName": "data/tweets.js", "count": "1"}, '
                    '{"fileName": "data/tweets-part1.js", "count": "9"}]}}}'
                ),
            },
        ),
        ArchiveError,
        "tweets-part1.js",
    ),
    "unknown option": Case(
        _tweets_folder(GOOD_TWEETS), SourceError, "unknown option", options={"colour": "red"}
    ),
    "bad boolean option": Case(
        _tweets_folder(GOOD_TWEETS),
        SourceError,
        "include_deleted",
        options={"include_deleted": "maybe"},
    ),
    "jsonl bad line": Case(
        _file("posts.jsonl", '{"text": "a", "created_at": 1}\n\n{"text": "b", \n'),
        InputFormatError,
        "line 3",
        source="jsonl",
    ),
    "jsonl not an object": Case(
        _file("posts.jsonl", '{"text": "a", "created_at": 1}\n[1, 2]\n'),
        InputFormatError,
        "line 2: expected a JSON object",
        source="jsonl",
    ),
    "jsonl missing text": Case(
        _file("posts.jsonl", '{"created_at": 1}\n'), InputFormatError, "line 1", source="jsonl"
    ),
    "jsonl invalid utf-8": Case(
        _file("posts.jsonl", b'{"text": "ok", "created_at": 1}\n{"text": "\xc3("}\n'),
        InputFormatError,
        "line 2: not valid UTF-8",
        source="jsonl",
    ),
    "csv missing column": Case(
        _file("posts.csv", "content,created_at\nhello,1\n"),
        InputFormatError,
        "missing required column 'text'",
        source="csv",
    ),
    "csv bad date": Case(
        _file("posts.csv", "text,created_at\nhello,1\nworld,someday\n"),
        InputFormatError,
        "line 3: bad 'created_at'",
        source="csv",
    ),
    "csv extra fields": Case(
        _file("posts.csv", "text,created_at\nhello,1,surprise\n"),
        InputFormatError,
        "line 2",
        source="csv",
    ),
    "csv is a directory": Case(lambda tmp: tmp, SourceError, "not a file", source="csv"),
}


def _read_all(case: Case, location: Path) -> None:
    list(get_source(case.source).read(str(location), **case.options))


@pytest.mark.parametrize("name", list(CASES))
def test_library_raises_typed_one_line_error(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    location = case.build(tmp_path)
    with pytest.raises(case.error) as info:
        _read_all(case, location)
    message = str(info.value)
    assert case.says in message
    assert "\n" not in message
    if not name.endswith("option"):
        assert location.name in message, f"the error should name the file: {message}"


def _cli_args(case: Case, location: Path, out: Path) -> list[str]:
    args = ["prepare", case.source, str(location), "--out", str(out)]
    for key, value in case.options.items():
        args += ["-o", f"{key}={value}"]
    return args


def _assert_nothing_written(out: Path) -> None:
    assert not out.exists()
    if not out.parent.exists():
        return
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}")]
    assert not leftovers, leftovers


@pytest.mark.parametrize("name", list(CASES))
def test_cli_one_line_error_and_nothing_written(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    location = case.build(tmp_path)
    out = tmp_path / "outdir" / "corpus"
    result = CliRunner().invoke(main, _cli_args(case, location, out))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert case.says in lines[0]
    _assert_nothing_written(out)


SUBPROCESS_CASES = ["zip slip", "csv bad date"]  # each start costs seconds; CliRunner does all


def test_installed_command_fails_cleanly(tmp_path: Path) -> None:
    """The real ``tweetgen`` script, run concurrently for a few cases to keep this quick."""
    tweetgen = Path(sys.executable).with_name("tweetgen")
    if not tweetgen.exists():
        pytest.skip("the tweetgen script is not installed beside this Python")
    running = []
    for i, name in enumerate(SUBPROCESS_CASES):
        case, work = CASES[name], tmp_path / str(i)
        work.mkdir()
        out = work / "out"
        cmd = [str(tweetgen), *_cli_args(case, case.build(work), out)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        running.append((name, case, out, proc))
    for name, case, out, proc in running:
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 1, (name, stdout, stderr)
        assert "Traceback" not in stdout + stderr, name
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and case.says in lines[0], (name, stderr)
        _assert_nothing_written(out)


def test_limits_are_configurable(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "a.zip", {"data/tweets.js": GOOD_TWEETS * 10})
    with (
        SafeZip(path, ZipLimits(max_member_bytes=100)) as archive,
        pytest.raises(ArchiveError, match="over the limit of 100 bytes"),
    ):
        archive.read("data/tweets.js")
    with SafeZip(path, ZipLimits(max_total_bytes=len(GOOD_TWEETS) * 15)) as archive:
        archive.read("data/tweets.js")
        with pytest.raises(ArchiveError, match="over the limit"):
            archive.read("data/tweets.js")  # the budget covers every read together


def test_small_members_may_compress_well(tmp_path: Path) -> None:
    """Only entries over the floor are ratio-checked: padded JSON compresses innocently."""
    path = make_zip(tmp_path / "ok.zip", {"data/tweets.js": GOOD_TWEETS + " " * 500_000})
    with SafeZip(path) as archive:
        assert archive.read("data/tweets.js").startswith(b"window.YTD")


# Fuzzing: whatever the JSON holds, the sources raise typed errors or yield posts ------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
OPTIONAL_KEYS = [
    "entities",
    "extended_entities",
    "lang",
    "in_reply_to_status_id_str",
    "edit_info",
    "favorite_count",
    "is_quote_status",
    "quoted_status_id_str",
]
DATES = st.sampled_from(
    ["Fri Feb 20 09:10:58 +0000 2026", "Mon Jan 01 00:00:00 +2359 0001", "Tue Dec 31 23:59:59 "
     "-2359 9999", "Fri Feb 30 09:10:58 +0000 2026", "2026-02-20T09:10:58Z", "0", "1e400"]
)  # fmt: skip


def _survives(source: str, location: Path) -> None:
    try:
        for post in get_source(source).read(str(location)):
            post.to_record()  # what the corpus will do with it
    except TweetgenError:
        pass


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tweets=st.lists(
        st.fixed_dictionaries(
            {"id_str": st.text(min_size=1, max_size=4) | JSON, "full_text": st.text() | JSON,
             "created_at": DATES | JSON},
            optional={k: JSON for k in OPTIONAL_KEYS},
        ).map(lambda t: {"tweet": t} if len(t) % 2 else t),
        max_size=4,
    ),
    notes=st.lists(
        st.fixed_dictionaries(
            {"noteTweet": st.fixed_dictionaries(
                {"createdAt": DATES | JSON, "core": st.fixed_dictionaries(
                    {"text": st.text() | JSON}, optional={"urls": JSON, "mentions": JSON})})}
        ) | JSON,
        max_size=2,
    ),
)  # fmt: skip
def test_x_archive_fuzz(
    tmp_path_factory: pytest.TempPathFactory, tweets: list[Any], notes: list[Any]
) -> None:
    data = tmp_path_factory.mktemp("fuzz") / "data"
    data.mkdir()
    (data / "tweets.js").write_text(f"window.YTD.tweets.part0 = {json.dumps(tweets)}")
    (data / "note-tweet.js").write_text(f"window.YTD.note_tweet.part0 = {json.dumps(notes)}")
    _survives("x-archive", data)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.lists(
        st.fixed_dictionaries(
            {"text": st.text() | JSON, "created_at": DATES | JSON},
            optional={k: JSON for k in ["id", "kind", "reply_to", "urls", "mentions", "extra",
                                        "author", "hashtags", "lang"]},
        ),
        max_size=4,
    )
)  # fmt: skip
def test_jsonl_fuzz(tmp_path_factory: pytest.TempPathFactory, records: list[Any]) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "posts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    _survives("jsonl", path)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(alphabet=st.sampled_from(list('ab,"\n\r\t@RT :1-TZ[]{}\x00é')), max_size=60))
def test_csv_fuzz(tmp_path_factory: pytest.TempPathFactory, body: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "posts.csv"
    path.write_text("text,created_at,kind,urls\n" + body, encoding="utf-8")
    _survives("csv", path)
