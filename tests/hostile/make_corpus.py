"""Generate the hostile-input corpus of issue 9 (run by the tests; nothing binary is committed).

``python tests/hostile/make_corpus.py OUT`` writes every input under OUT and prints a summary.
:func:`build` returns the :class:`Case` list the tests run. Each case names its category
(what is wrong), the source or stage it targets, and where the input lies.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Kinds of case: read with a source, map one API object, load a model directory, check
#: generation arguments, build a training config (from a dict, or from ``--set`` pairs), load
#: a corpus, check an output path.
KINDS = (
    "source",
    "x-api",
    "bluesky",
    "model",
    "generate",
    "config",
    "settings",
    "corpus",
    "output",
)


@dataclass
class Case:
    name: str
    category: str
    kind: str
    target: str  # the source, or the stage
    location: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    payload: Any = None


TWEET_DATE = "Fri Feb 20 09:10:58 +0000 2026"
ISO_DATE = "2026-02-20T09:10:58Z"
SURROGATE = "\ud800"


# x-archive ----------------------------------------------------------------------------------


def x_tweet(**fields: Any) -> dict[str, Any]:
    tweet = {
        "id_str": "1",
        "id": "1",
        "created_at": TWEET_DATE,
        "full_text": "hello there, this is a post",
        "lang": "en",
        "entities": {"urls": [], "hashtags": [], "user_mentions": []},
    }
    tweet = _overlay(tweet, fields)
    return {"tweet": tweet}


_DROP = object()


def _overlay(record: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """``record`` with ``fields`` set, a field given as ``_DROP`` removed."""
    for key, value in fields.items():
        if value is _DROP:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def tweets_js(items: Any, part: int = 0, name: str = "tweets") -> str:
    return f"window.YTD.{name}.part{part} = " + json.dumps(items, ensure_ascii=True)


def x_contents() -> Iterator[tuple[str, str, bytes]]:
    """(category, name, bytes of data/tweets.js)."""

    def js(items: Any) -> bytes:
        return tweets_js(items).encode()

    yield "valid", "one-tweet", js([x_tweet()])
    yield "valid", "no-tweets", js([])
    yield "empty", "empty-file", b""
    yield "empty", "only-prefix", b"window.YTD.tweets.part0 = "
    yield "truncated", "cut-json", js([x_tweet()])[:-7]
    yield "truncated", "cut-in-string", js([x_tweet()])[:60]
    yield "bad-json", "trailing-garbage", js([x_tweet()]) + b" }{ garbage"
    yield "bad-json", "single-quotes", b"window.YTD.tweets.part0 = [{'tweet': {}}]"
    yield "bad-json", "nan", b'window.YTD.tweets.part0 = [{"tweet": {"id_str": NaN}}]'
    yield "bad-json", "huge-number", js([x_tweet(id=10**400)])
    yield "bad-json", "no-prefix-json", json.dumps([x_tweet()]).encode()
    yield "bad-json", "wrong-prefix", b"var x = " + json.dumps([x_tweet()]).encode()
    yield "wrong-shape", "object-not-list", js({"tweet": x_tweet()["tweet"]})
    yield "wrong-shape", "list-of-numbers", js([1, 2, 3])
    yield "wrong-shape", "list-of-lists", js([[x_tweet()]])
    yield "wrong-shape", "tweet-not-object", js([{"tweet": "text"}])
    yield "wrong-shape", "no-tweet-key", js([{"twit": x_tweet()["tweet"]}])
    yield "wrong-shape", "string-top", js("just text")
    yield "wrong-shape", "null-top", js(None)
    for key in ("full_text", "id_str", "created_at"):
        yield "missing-field", f"no-{key}", js([x_tweet(**{key: _DROP})])
    wrong: list[tuple[str, Any]] = [
        ("full_text", 12),
        ("full_text", None),
        ("full_text", ["a"]),
        ("full_text", {"a": 1}),
        ("id_str", 12),
        ("id_str", None),
        ("id_str", ["1"]),
        ("created_at", 12),
        ("created_at", None),
        ("created_at", "yesterday"),
        ("created_at", "Fri Feb 30 09:10:58 +0000 2026"),
        ("created_at", "Fri Feb 20 09:10:58 +0000 99999"),
        ("created_at", "Fri Feb 20 09:10:58 +0000 0000"),
        ("lang", 5),
        ("lang", ["en"]),
        ("entities", "none"),
        ("entities", {"urls": "x"}),
        ("entities", {"urls": [{"url": 5}]}),
        ("entities", {"urls": [{}]}),
        ("entities", {"hashtags": [{"text": None}]}),
        ("entities", {"user_mentions": [{"screen_name": ["x"]}]}),
        ("in_reply_to_status_id_str", 5),
        ("in_reply_to_screen_name", {"a": 1}),
        ("retweeted", "yes"),
    ]
    for key, value in wrong:
        yield (
            "wrong-type",
            f"{key}-{type(value).__name__}-{str(value)[:8]}",
            js([x_tweet(**{key: value})]),
        )
    for key in ("full_text", "id_str", "lang", "in_reply_to_screen_name"):
        yield "surrogate", f"surrogate-{key}", js([x_tweet(**{key: f"a{SURROGATE}b"})])
    yield (
        "surrogate",
        "surrogate-hashtag",
        js(
            [x_tweet(entities={"hashtags": [{"text": SURROGATE}], "urls": [], "user_mentions": []})]
        ),
    )
    yield "surrogate", "surrogate-extra-key", js([x_tweet(**{f"k{SURROGATE}": "v"})])
    yield "surrogate", "low-surrogate-text", js([x_tweet(full_text="\udc80 low")])
    yield "control", "nul-in-text", js([x_tweet(full_text="a\x00b")])
    yield "control", "controls-in-text", js([x_tweet(full_text="".join(map(chr, range(32))))])
    yield "control", "bidi-and-zero-width", js([x_tweet(full_text="\u202e\u200b\ufeffabc")])
    yield "encoding", "bom", b"\xef\xbb\xbf" + js([x_tweet()])
    yield "encoding", "utf16", tweets_js([x_tweet(full_text="héllo")]).encode("utf-16")
    yield (
        "encoding",
        "latin1",
        tweets_js([x_tweet()]).replace("hello", "h\u00e9llo").encode("latin-1"),
    )
    yield "encoding", "invalid-utf8", js([x_tweet()]).replace(b"hello", b"h\xff\xfello")
    yield "encoding", "utf8-surrogate-bytes", js([x_tweet()]).replace(b"hello", b"h\xed\xa0\x80llo")
    yield "huge", "one-mb-text", js([x_tweet(full_text="x" * (1 << 20))])
    yield "huge", "many-tweets", js([x_tweet(id_str=str(i)) for i in range(20_000)])
    yield "nesting", "deep-list", b"window.YTD.tweets.part0 = " + b"[" * 100_000 + b"]" * 100_000
    yield (
        "nesting",
        "deep-object",
        js([x_tweet(full_text="a")]).replace(
            b'"lang": "en"', b'"lang": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000
        ),
    )
    yield (  # issue 20: inside one post, where the fast decoder met it first
        "nesting",
        "deep-in-post",
        js([x_tweet(full_text="a")]).replace(
            b'"lang": "en"', b'"lang": "en", "deep": ' + b"[" * 100_000 + b"]" * 100_000
        ),
    )
    yield (
        "duplicate",
        "duplicate-keys",
        js([x_tweet()]).replace(b'"id_str": "1"', b'"id_str": "1", "id_str": "2"'),
    )
    yield "duplicate", "same-id-twice", js([x_tweet(), x_tweet()])


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data)
    return path


def x_archive_cases(root: Path) -> Iterator[Case]:
    for category, name, data in x_contents():
        files = {"data/tweets.js": data}
        zipped = write_zip(root / f"x-{name}.zip", files)
        yield Case(f"x-archive/zip/{name}", category, "source", "x-archive", str(zipped))
        folder = write_tree(root / f"x-{name}", files)
        yield Case(f"x-archive/folder/{name}", category, "source", "x-archive", str(folder))
    good = tweets_js([x_tweet()]).encode()
    structural: dict[str, tuple[str, dict[str, bytes]]] = {
        "no-tweets-js": ("missing-file", {"data/account.js": b"window.YTD.account.part0 = []"}),
        "empty-archive": ("empty", {}),
        "parts-only": ("valid", {"data/tweets-part1.js": tweets_js([x_tweet()], 1).encode()}),
        "bad-part": ("bad-json", {"data/tweets.js": good, "data/tweets-part1.js": b"{{{"}),
        "zip-slip": ("zip-slip", {"../evil.js": b"x", "data/tweets.js": good}),
        "absolute-name": ("zip-slip", {"/etc/evil": b"x", "data/tweets.js": good}),
        "nul-in-name": ("zip-slip", {"data/twe\x00ets.js": good}),
        "account-garbage": ("bad-json", {"data/tweets.js": good, "data/account.js": b"\xff\xfe"}),
        "manifest-garbage": ("bad-json", {"data/tweets.js": good, "data/manifest.js": b"[[["}),
        "notes-garbage": (
            "bad-json",
            {"data/tweets.js": good, "data/note-tweet.js": b"window.YTD.note_tweet.part0 = 5"},
        ),
        "deleted-garbage": (
            "bad-json",
            {"data/tweets.js": good, "data/deleted-tweets.js": b"nope"},
        ),
        "account-surrogate": (
            "surrogate",
            {
                "data/tweets.js": good,
                "data/account.js": tweets_js(
                    [{"account": {"username": f"me{SURROGATE}", "accountId": "1"}}],
                    name="account",
                ).encode(),
            },
        ),
    }
    for name, (category, files) in structural.items():
        if "\x00" in "".join(files) or name in ("zip-slip", "absolute-name"):
            yield Case(
                f"x-archive/zip/{name}",
                category,
                "source",
                "x-archive",
                str(write_zip(root / f"xs-{name}.zip", files)),
            )
            continue
        yield Case(
            f"x-archive/zip/{name}",
            category,
            "source",
            "x-archive",
            str(write_zip(root / f"xs-{name}.zip", files)),
        )
        yield Case(
            f"x-archive/folder/{name}",
            category,
            "source",
            "x-archive",
            str(write_tree(root / f"xs-{name}", files)),
        )
    yield from _special_files(root, "x-archive")
    bomb = write_zip(
        root / "x-bomb.zip",
        {"data/tweets.js": good, "data/tweets_media/zero.bin": b"\0" * 20_000_000},
    )
    yield Case("x-archive/zip/bomb-in-media", "unread-member", "source", "x-archive", str(bomb))
    data_bomb = write_zip(root / "x-data-bomb.zip", {"data/tweets.js": good + b" " * 50_000_000})
    yield Case("x-archive/zip/bomb-as-data", "compressible", "source", "x-archive", str(data_bomb))
    many = root / "x-many-parts.zip"
    with zipfile.ZipFile(many, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("data/tweets.js", good)
        for i in range(1, 10_050):
            archive.writestr(f"data/tweets-part{i}.js", f"window.YTD.tweets.part{i} = []")
    yield Case("x-archive/zip/many-parts", "many-parts", "source", "x-archive", str(many))
    notzip = root / "x-not-a-zip.zip"
    notzip.write_bytes(os.urandom(4096))
    yield Case("x-archive/zip/random-bytes", "not-an-archive", "source", "x-archive", str(notzip))
    cut = root / "x-cut.zip"
    cut.write_bytes(write_zip(root / "x-whole.zip", {"data/tweets.js": good}).read_bytes()[:-30])
    yield Case("x-archive/zip/truncated-zip", "truncated", "source", "x-archive", str(cut))
    nested = write_zip(root / "x-nested.zip", {"twitter.zip": (root / "x-whole.zip").read_bytes()})
    yield Case("x-archive/zip/nested-zip", "missing-file", "source", "x-archive", str(nested))


def _special_files(root: Path, source: str) -> Iterator[Case]:
    """FIFOs, devices, sockets, loops and missing paths, for any file source."""
    fifo = root / f"{source}-fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    yield Case(f"{source}/fifo", "special-file", "source", source, str(fifo))
    yield Case(f"{source}/dev-zero", "special-file", "source", source, "/dev/zero")
    yield Case(f"{source}/dev-null", "special-file", "source", source, "/dev/null")
    loop = root / f"{source}-loop"
    if not loop.is_symlink():
        loop.symlink_to(loop.name)
    yield Case(f"{source}/link-loop", "special-file", "source", source, str(loop))
    dangling = root / f"{source}-dangling"
    if not dangling.is_symlink():
        dangling.symlink_to("nowhere-at-all")
    yield Case(f"{source}/dangling-link", "missing-file", "source", source, str(dangling))
    yield Case(f"{source}/missing", "missing-file", "source", source, str(root / "no-such-thing"))
    folder = root / f"{source}-folder-with-fifo"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    inner = folder / "data" / "tweets.js"
    if not inner.exists():
        os.mkfifo(inner)
    yield Case(f"{source}/folder-with-fifo", "special-file", "source", source, str(folder))
    devlink = root / f"{source}-devlink"
    if not devlink.is_symlink():
        devlink.symlink_to("/dev/zero")
    yield Case(f"{source}/link-to-dev-zero", "special-file", "source", source, str(devlink))
    empty_dir = root / f"{source}-empty-dir"
    empty_dir.mkdir(exist_ok=True)
    yield Case(f"{source}/empty-folder", "empty", "source", source, str(empty_dir))


# jsonl and csv ------------------------------------------------------------------------------


def record(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "1",
        "author": "me",
        "text": "hello there, this is a post",
        "created_at": ISO_DATE,
    }
    base = _overlay(base, fields)
    return base


def line(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=True) + "\n").encode()


def jsonl_contents() -> Iterator[tuple[str, str, bytes]]:
    yield "valid", "one", line(record())
    yield "valid", "blank-lines", b"\n\n" + line(record()) + b"\n   \n"
    yield "empty", "empty", b""
    yield "empty", "only-newlines", b"\n\n\n"
    yield "truncated", "cut-line", line(record())[:-10]
    yield "bad-json", "garbage-line", line(record()) + b"{nope\n"
    yield (
        "bad-json",
        "nan",
        b'{"id": "1", "author": "me", "text": NaN, "created_at": "2026-01-01"}\n',
    )
    yield (
        "bad-json",
        "huge-number",
        b'{"id": 1e99999, "author": "me", "text": "x", "created_at": "2026-01-01"}\n',
    )
    yield "wrong-shape", "array-line", line([record()])
    yield "wrong-shape", "number-line", b"5\n"
    yield "wrong-shape", "string-line", b'"text"\n'
    yield "wrong-shape", "null-line", b"null\n"
    for key in ("id", "author", "text", "created_at"):
        yield "missing-field", f"no-{key}", line(record(**{key: _DROP}))
    for key, value in [
        ("text", 5),
        ("text", None),
        ("text", ["a"]),
        ("text", {"a": 1}),
        ("text", True),
        ("id", 5.5),
        ("id", None),
        ("id", {"a": 1}),
        ("author", 7),
        ("author", None),
        ("created_at", 5),
        ("created_at", "yesterday"),
        ("created_at", "2026-02-30T00:00:00Z"),
        ("created_at", "99999-01-01T00:00:00Z"),
        ("created_at", -1e20),
        ("created_at", None),
        ("lang", 5),
        ("hashtags", "tag"),
        ("hashtags", [1, 2]),
        ("urls", "x"),
        ("urls", [{"short": 5}]),
        ("mentions", {"a": 1}),
        ("kind", "nonsense"),
        ("kind", 5),
        ("extra", "x"),
        ("extra", [1]),
        ("reply_to", {"a": 1}),
    ]:
        yield (
            "wrong-type",
            f"{key}-{type(value).__name__}-{str(value)[:10]}",
            line(record(**{key: value})),
        )
    for key in ("text", "author", "id", "lang"):
        yield "surrogate", f"surrogate-{key}", line(record(**{key: f"a{SURROGATE}b"}))
    yield "surrogate", "surrogate-hashtag", line(record(hashtags=[SURROGATE]))
    yield "surrogate", "surrogate-extra-key", line(record(extra={SURROGATE: "v"}))
    yield "surrogate", "surrogate-extra-value", line(record(extra={"k": SURROGATE}))
    yield "control", "nul", line(record(text="a\x00b"))
    yield "control", "raw-nul-byte", line(record())[:-2] + b"\x00\n"
    yield "encoding", "bom", b"\xef\xbb\xbf" + line(record())
    yield "encoding", "utf16", json.dumps(record(text="héllo")).encode("utf-16")
    yield (
        "encoding",
        "latin1",
        json.dumps(record(text="h\u00e9llo"), ensure_ascii=False).encode("latin-1"),
    )
    yield "encoding", "invalid-utf8", line(record()).replace(b"hello", b"h\xffllo")
    yield "encoding", "crlf", line(record()).replace(b"\n", b"\r\n")
    yield "encoding", "cr-only", line(record()).replace(b"\n", b"\r") * 3
    yield "huge", "one-mb-text", line(record(text="y" * (1 << 20)))
    yield "huge", "many-lines", b"".join(line(record(id=str(i))) for i in range(20_000))
    yield (
        "nesting",
        "deep",
        b'{"id": "1", "author": "me", "text": "x", "created_at": "2026-01-01", "extra": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}\n",
    )
    yield (
        "duplicate",
        "duplicate-keys",
        b'{"id": "1", "id": "2", "author": "me", "text": "x", "created_at": "2026-01-01"}\n',
    )


def csv_contents() -> Iterator[tuple[str, str, bytes]]:
    header = "id,author,text,created_at\n"
    good = '1,me,"hello there, this is a post",2026-02-20T09:10:58Z\n'
    yield "valid", "one", (header + good).encode()
    yield "valid", "quoted-newline", (header + '1,me,"two\nlines",2026-02-20T09:10:58Z\n').encode()
    yield "empty", "empty", b""
    yield "empty", "header-only", header.encode()
    yield "missing-field", "no-text-column", b"id,author,created_at\n1,me,2026-01-01\n"
    yield "missing-field", "no-header", good.encode()
    yield "wrong-shape", "short-row", (header + "1,me\n").encode()
    yield "wrong-shape", "long-row", (header + "1,me,x,2026-01-01,extra,more\n").encode()
    yield "wrong-shape", "unbalanced-quote", (header + '1,me,"open,2026-01-01\n').encode()
    yield "wrong-shape", "semicolons", b"id;author;text;created_at\n1;me;x;2026-01-01\n"
    yield (
        "wrong-shape",
        "duplicate-columns",
        b"id,text,text,created_at,author\n1,a,b,2026-01-01,me\n",
    )
    yield "wrong-type", "bad-date", (header + "1,me,x,yesterday\n").encode()
    yield "wrong-type", "empty-date", (header + "1,me,x,\n").encode()
    yield "wrong-type", "year-99999", (header + "1,me,x,99999-01-01\n").encode()
    yield "wrong-type", "empty-id", (header + ",me,x,2026-01-01\n").encode()
    yield "wrong-type", "empty-text", (header + "1,me,,2026-01-01\n").encode()
    yield "wrong-type", "bad-kind", b"id,author,text,created_at,kind\n1,me,x,2026-01-01,zzz\n"
    yield "wrong-type", "bad-extra", b"id,author,text,created_at,extra\n1,me,x,2026-01-01,{nope\n"
    yield (
        "wrong-type",
        "bad-hashtags",
        b"id,author,text,created_at,hashtags\n1,me,x,2026-01-01,[[[\n",
    )
    yield "control", "nul-byte", (header + "1,me,a\x00b,2026-01-01\n").encode()
    yield "control", "controls", (header + "1,me,a\x01\x02\x1bb,2026-01-01\n").encode()
    yield "encoding", "bom", b"\xef\xbb\xbf" + (header + good).encode()
    yield "encoding", "utf16", (header + good).encode("utf-16")
    yield "encoding", "latin1", (header + "1,me,h\u00e9llo,2026-01-01\n").encode("latin-1")
    yield "encoding", "invalid-utf8", (header + good).encode().replace(b"hello", b"h\xffllo")
    yield (
        "encoding",
        "surrogate-bytes",
        (header + good).encode().replace(b"hello", b"h\xed\xa0\x80llo"),
    )
    yield "encoding", "crlf", (header + good).replace("\n", "\r\n").encode()
    yield "encoding", "cr-only", (header + good).replace("\n", "\r").encode()
    yield "huge", "huge-field", (header + "1,me," + "z" * (1 << 20) + ",2026-01-01\n").encode()
    yield "huge", "many-columns", (",".join(f"c{i}" for i in range(50_000)) + "\n").encode()
    yield (
        "huge",
        "many-rows",
        (header + "".join(f"{i},me,post {i},2026-01-01\n" for i in range(20_000))).encode(),
    )
    yield "bad-json", "binary", os.urandom(2048)


def file_cases(
    root: Path, source: str, suffix: str, contents: Iterator[tuple[str, str, bytes]]
) -> Iterator[Case]:
    for category, name, data in contents:
        path = root / f"{source}-{name}{suffix}"
        path.write_bytes(data)
        yield Case(f"{source}/{name}", category, "source", source, str(path))
    yield from _special_files(root, source)


# plugins ------------------------------------------------------------------------------------


def sns_item(**fields: Any) -> dict[str, Any]:
    item = {
        "_type": "snscrape.modules.twitter.Tweet",
        "id": 1,
        "url": "https://twitter.com/me/status/1",
        "date": "2026-02-20T09:10:58+00:00",
        "rawContent": "hello there, this is a post",
        "user": {"username": "me"},
        "lang": "en",
    }
    item = _overlay(item, fields)
    return item


def snscrape_contents() -> Iterator[tuple[str, str, bytes]]:
    yield "valid", "one", line(sns_item())
    yield "empty", "empty", b""
    yield "bad-json", "garbage", b"{{\n"
    yield "wrong-shape", "array", line([sns_item()])
    yield "wrong-shape", "not-a-tweet", line({"_type": "snscrape.modules.twitter.User"})
    for key in ("id", "date", "rawContent", "user"):
        yield "missing-field", f"no-{key}", line(sns_item(**{key: _DROP}))
    for key, value in [
        ("id", "abc"),
        ("id", None),
        ("date", "yesterday"),
        ("date", 5),
        ("rawContent", 5),
        ("rawContent", None),
        ("user", "me"),
        ("user", {"username": 5}),
        ("user", None),
        ("links", "x"),
        ("links", [{"url": 5}]),
        ("hashtags", "x"),
        ("mentionedUsers", [1]),
        ("retweetedTweet", "x"),
        ("quotedTweet", 5),
        ("inReplyToTweetId", {"a": 1}),
    ]:
        yield (
            "wrong-type",
            f"{key}-{type(value).__name__}-{str(value)[:6]}",
            line(sns_item(**{key: value})),
        )
    yield "surrogate", "surrogate-text", line(sns_item(rawContent=f"a{SURROGATE}"))
    yield "surrogate", "surrogate-user", line(sns_item(user={"username": SURROGATE}))
    yield "encoding", "invalid-utf8", line(sns_item()).replace(b"hello", b"\xff")
    yield "encoding", "utf16", json.dumps(sns_item()).encode("utf-16")
    yield "control", "nul", line(sns_item(rawContent="a\x00b"))


def note(**fields: Any) -> dict[str, Any]:
    obj = {
        "id": "https://m.example/users/me/statuses/1",
        "type": "Note",
        "published": ISO_DATE,
        "content": "<p>hello there, this is a post</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [],
        "tag": [],
    }
    obj = _overlay(obj, fields)
    return obj


def outbox(items: Any) -> bytes:
    return json.dumps({"orderedItems": items}, ensure_ascii=True).encode()


def create(obj: Any, **fields: Any) -> dict[str, Any]:
    activity = {
        "id": "https://m.example/users/me/statuses/1/activity",
        "type": "Create",
        "published": ISO_DATE,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": obj,
    }
    activity.update(fields)
    return activity


ACTOR = json.dumps(
    {
        "preferredUsername": "me",
        "url": "https://m.example/@me",
        "followers": "https://m.example/users/me/followers",
    }
).encode()


def mastodon_contents() -> Iterator[tuple[str, str, bytes, bytes | None]]:
    yield "valid", "one", outbox([create(note())]), ACTOR
    yield "valid", "no-actor", outbox([create(note())]), None
    yield "empty", "empty-outbox", b"", ACTOR
    yield "empty", "no-items", outbox([]), ACTOR
    yield "bad-json", "garbage", b"{[", ACTOR
    yield "bad-json", "bad-actor", outbox([create(note())]), b"{["
    yield "wrong-shape", "items-not-list", json.dumps({"orderedItems": {"a": 1}}).encode(), ACTOR
    yield "wrong-shape", "outbox-list", b"[]", ACTOR
    yield "wrong-shape", "actor-list", outbox([create(note())]), b"[1]"
    yield "wrong-shape", "item-number", outbox([5]), ACTOR
    yield "wrong-shape", "object-string", outbox([create("https://x/1")]), ACTOR
    yield (
        "wrong-shape",
        "announce-object-dict",
        outbox([{"type": "Announce", "object": {"a": 1}, "published": ISO_DATE}]),
        ACTOR,
    )
    for key in ("id", "published", "content"):
        yield "missing-field", f"no-{key}", outbox([create(note(**{key: _DROP}))]), ACTOR
    for key, value in [
        ("content", 5),
        ("content", None),
        ("content", ["a"]),
        ("published", "yesterday"),
        ("published", 5),
        ("id", 5),
        ("to", "x"),
        ("tag", "x"),
        ("tag", [5]),
        ("inReplyTo", {"a": 1}),
        ("contentMap", "x"),
        ("sensitive", "x"),
        ("attachment", 5),
    ]:
        yield (
            "wrong-type",
            f"{key}-{type(value).__name__}-{str(value)[:6]}",
            outbox([create(note(**{key: value}))]),
            ACTOR,
        )
    yield (
        "surrogate",
        "surrogate-content",
        outbox([create(note(content=f"<p>a{SURROGATE}</p>"))]),
        ACTOR,
    )
    yield (
        "surrogate",
        "surrogate-actor",
        outbox([create(note())]),
        json.dumps({"preferredUsername": SURROGATE}).encode(),
    )
    yield "encoding", "invalid-utf8", outbox([create(note())]).replace(b"hello", b"\xff"), ACTOR
    yield "nesting", "deep-html", outbox([create(note(content="<b>" * 20_000 + "x"))]), ACTOR
    yield (
        "nesting",
        "deep-json",
        outbox([create(note())]).replace(
            b'"tag": []', b'"tag": ' + b"[" * 100_000 + b"]" * 100_000
        ),
        ACTOR,
    )
    yield "huge", "big-html", outbox([create(note(content="<p>" + "w " * 500_000 + "</p>"))]), ACTOR


def mastodon_cases(root: Path) -> Iterator[Case]:
    for category, name, box, actor in mastodon_contents():
        files = {"outbox.json": box} | ({"actor.json": actor} if actor is not None else {})
        zipped = write_zip(root / f"mastodon-{name}.zip", files)
        yield Case(f"mastodon/zip/{name}", category, "source", "mastodon", str(zipped))
        folder = write_tree(root / f"mastodon-{name}", files)
        yield Case(f"mastodon/folder/{name}", category, "source", "mastodon", str(folder))
    tar_path = root / "mastodon-tar-slip.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        info = tarfile.TarInfo("../outbox.json")
        data = outbox([create(note())])
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    yield Case("mastodon/tar/slip", "zip-slip", "source", "mastodon", str(tar_path))
    link_tar = root / "mastodon-tar-link.tar.gz"
    with tarfile.open(link_tar, "w:gz") as tar:
        info = tarfile.TarInfo("outbox.json")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    yield Case("mastodon/tar/symlink-member", "zip-slip", "source", "mastodon", str(link_tar))
    yield from _special_files(root, "mastodon")


def x_api_payloads() -> Iterator[tuple[str, str, Any]]:
    base = {
        "id": "1",
        "text": "hello there, this is a post",
        "created_at": "2026-02-20T09:10:58.000Z",
    }
    yield "valid", "one", base
    yield "valid", "note-tweet", base | {"note_tweet": {"text": "long " * 100}}
    for key in ("id", "text", "created_at"):
        yield "missing-field", f"no-{key}", {k: v for k, v in base.items() if k != key}
    wrong_api: list[tuple[str, Any]] = [
        ("id", None),
        ("id", ["1"]),
        ("text", 5),
        ("text", None),
        ("created_at", "yesterday"),
        ("created_at", 5),
        ("created_at", None),
        ("lang", 5),
        ("entities", "x"),
        ("entities", {"urls": "x"}),
        ("entities", {"urls": [{}]}),
        ("entities", {"mentions": [{}]}),
        ("entities", {"hashtags": [{"tag": None}]}),
        ("referenced_tweets", "x"),
        ("referenced_tweets", [5]),
        ("referenced_tweets", [{"type": None}]),
        ("note_tweet", "x"),
        ("note_tweet", {"text": None}),
        ("conversation_id", {"a": 1}),
    ]
    for key, value in wrong_api:
        yield "wrong-type", f"{key}-{type(value).__name__}-{str(value)[:6]}", base | {key: value}
    yield "wrong-shape", "list", [base]
    yield "wrong-shape", "string", "tweet"
    yield "surrogate", "surrogate-text", base | {"text": f"a{SURROGATE}"}
    yield "surrogate", "surrogate-id", base | {"id": SURROGATE}
    yield "control", "nul", base | {"text": "a\x00b"}
    yield "huge", "huge-text", base | {"text": "q" * (1 << 20)}


def bluesky_payloads() -> Iterator[tuple[str, str, Any]]:
    base = {
        "$type": "app.bsky.feed.post",
        "text": "hello there, this is a post",
        "createdAt": ISO_DATE,
    }
    yield "valid", "one", base
    yield "valid", "langs", base | {"langs": ["en", "de"]}
    for value in (
        "yesterday",
        "",
        "2026-02-30T00:00:00Z",
        "99999-01-01T00:00:00Z",
        "2026-02-20T09:10:58",
    ):
        yield "wrong-type", f"createdAt-{value[:12] or 'empty'}", base | {"createdAt": value}
    yield "wrong-type", "empty-text", base | {"text": ""}
    yield "wrong-type", "langs-empty-string", base | {"langs": [""]}
    for start, end in ((-5, 3), (3, 1), (0, 10_000), (10_000, 20_000)):
        facet = {
            "index": {"byteStart": start, "byteEnd": end},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://x.example"}],
        }
        yield "wrong-type", f"facet-{start}-{end}", base | {"facets": [facet]}
    tag = {
        "index": {"byteStart": 0, "byteEnd": 5},
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": ""}],
    }
    yield "wrong-type", "empty-tag", base | {"facets": [tag]}
    unknown = {
        "index": {"byteStart": 0, "byteEnd": 5},
        "features": [{"$type": "com.example.unknown", "x": 1}],
    }
    yield "wrong-type", "unknown-feature", base | {"facets": [unknown]}
    yield "surrogate", "surrogate-text", base | {"text": f"a{SURROGATE}b"}
    yield "control", "nul", base | {"text": "a\x00b"}
    yield "huge", "huge-text", base | {"text": "b" * (1 << 20)}


# model directories, arguments, configs, corpora, outputs ------------------------------------


def model_mutations() -> Iterator[tuple[str, str, Callable[[Path], None]]]:
    def edit_config(**changes: Any) -> Callable[[Path], None]:
        def apply(folder: Path) -> None:
            config = json.loads((folder / "config.json").read_text())
            (folder / "config.json").write_text(json.dumps(_overlay(config, changes)))

        return apply

    def edit_json(name: str, **changes: Any) -> Callable[[Path], None]:
        def apply(folder: Path) -> None:
            settings = json.loads((folder / name).read_text())
            (folder / name).write_text(json.dumps(_overlay(settings, changes)))

        return apply

    def write(name: str, data: bytes) -> Callable[[Path], None]:
        def apply(folder: Path) -> None:
            (folder / name).write_bytes(data)

        return apply

    def remove(name: str) -> Callable[[Path], None]:
        return lambda folder: (folder / name).unlink()

    def tensors(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[Path], None]:
        def apply(folder: Path) -> None:
            from safetensors.torch import load_file, save_file

            weights = load_file(folder / "model.safetensors")
            save_file(change(weights), folder / "model.safetensors")

        return apply

    def fifo(name: str) -> Callable[[Path], None]:
        def apply(folder: Path) -> None:
            (folder / name).unlink()
            os.mkfifo(folder / name)

        return apply

    yield "valid", "untouched", lambda folder: None
    yield "model-config", "model-type-bert", edit_config(model_type="bert")
    yield "model-config", "model-type-missing", edit_config(model_type=_DROP)
    yield "model-config", "config-list", write("config.json", b"[1, 2]")
    yield "model-config", "config-garbage", write("config.json", b"{nope")
    yield "model-config", "config-empty", write("config.json", b"")
    yield "model-config", "config-latin1", write("config.json", '{"a": "\xe9"}'.encode("latin-1"))
    yield "model-config", "n-layer-string", edit_config(n_layer="four")
    yield "model-config", "n-embd-negative", edit_config(n_embd=-8)
    yield "model-config", "vocab-float", edit_config(vocab_size=12.5)
    yield "model-config", "n-head-zero", edit_config(n_head=0)
    yield "model-config", "n-positions-huge", edit_config(n_positions=10**12)
    yield "model-config", "n-layer-more", edit_config(n_layer=6)
    yield "model-config", "config-missing", remove("config.json")
    yield "model-config", "config-fifo", fifo("config.json")
    yield "model-weights", "weights-missing", remove("model.safetensors")
    yield "model-weights", "weights-garbage", write("model.safetensors", b"not safetensors")
    yield "model-weights", "weights-empty", write("model.safetensors", b"")
    yield "model-weights", "weights-fifo", fifo("model.safetensors")
    yield (
        "model-weights",
        "keys-renamed",
        tensors(lambda w: {k.replace("attn", "atn"): v for k, v in w.items()}),
    )
    yield "model-weights", "half-missing", tensors(lambda w: {k: w[k] for k in sorted(w)[::2]})
    yield "model-weights", "one-missing", tensors(lambda w: {k: w[k] for k in sorted(w)[1:]})
    yield (
        "model-weights",
        "extra-tensor",
        tensors(lambda w: w | {"surprise.weight": next(iter(w.values())).clone()}),
    )
    yield (
        "model-weights",
        "wrong-shape",
        tensors(lambda w: {k: (v[:1] if k.endswith("wpe.weight") else v) for k, v in w.items()}),
    )
    yield "model-tokenizer", "tokenizer-missing", remove("tokenizer.json")
    yield "model-tokenizer", "tokenizer-garbage", write("tokenizer.json", b"{nope")
    yield "model-tokenizer", "tokenizer-list", write("tokenizer.json", b"[]")
    yield "model-tokenizer", "tokenizer-config-list", write("tokenizer_config.json", b"[]")
    yield "model-tokenizer", "tokenizer-fifo", fifo("tokenizer.json")
    yield "model-config", "generation-config-garbage", write("generation_config.json", b"{nope")
    for key, value in (("temperature", -5), ("top_p", 3), ("max_length", "long"), ("top_k", -1)):
        yield (
            "model-config",
            f"generation-{key}-{value}",
            edit_json("generation_config.json", **{key: value}),
        )
    yield "model-config", "generation-config-list", write("generation_config.json", b"[]")


def generate_args() -> Iterator[tuple[str, str, dict[str, Any]]]:
    yield "valid", "defaults", {}
    yield (
        "valid",
        "all-set",
        {
            "n": 2,
            "seed": 1,
            "temperature": 0.7,
            "top_p": 0.9,
            "max_new_tokens": 20,
            "batch_size": 2,
        },
    )
    ranges: dict[str, list[Any]] = {
        "temperature": [1e-300, 1e300, 0.0, -1.0, float("nan"), float("inf"), True, "hot"],
        "top_p": [0.0, -0.5, 1.5, float("nan"), float("inf")],
        "n": [0, -1, 10**12, 2**64, 1.5, True],
        "batch_size": [0, -3, 10**9, 2**70],
        "max_new_tokens": [0, -1, 10**12],
        "seed": [-1, 2**64, 18446744073709551616, "x"],
    }
    for key, values in ranges.items():
        for value in values:
            yield "argument-range", f"{key}={value!r}"[:40], {key: value}
    yield (
        "argument-range",
        "prompt-not-utf8",
        {"prompt": b"a\xff\xfe".decode("utf-8", "surrogateescape")},
    )
    yield "argument-range", "prompt-bytes", {"prompt": b"abc"}


def config_settings() -> Iterator[tuple[str, str, dict[str, Any]]]:
    yield "valid", "tiny", {"base_model": "tiny"}
    for key, value in [
        ("seed", 18446744073709551616),
        ("seed", -1),
        ("seed", "x"),
        ("threads", 100_000),
        ("threads", 0),
        ("epochs", "many"),
        ("epochs", 0),
        ("epochs", True),
        ("learning_rate", "inf"),
        ("learning_rate", float("nan")),
        ("learning_rate", -1),
        ("batch_tokens", 0),
        ("block_size", -1),
        ("validation", 1.5),
        ("validation", 0),
        ("extra", [1]),
        ("extra", "x"),
        ("device", "gpu9"),
        ("lr_schedule", "zigzag"),
        ("precision", "fp8"),
        ("out_dir", ""),
        ("out_dir", 5),
        ("max_steps", 0),
        ("tiny", {"n_embd": 30}),
        ("base_model", ""),
        ("compile", "maybe"),
        ("nonsense_key", 1),
    ]:
        yield "config-range", f"{key}={value!r}"[:40], {key: value}


def settings_clashes() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``--set`` pairs, in order: a dotted key under a name set to a value, or the reverse."""
    yield "valid", "dotted", {"base_model": "tiny", "tiny.n_layer": 1, "lora.rank": 4}
    for pairs in (
        {"extra": 5, "lora.rank": 4},
        {"lora.rank": 4, "extra": 5},
        {"tiny": 5, "tiny.n_layer": 2},
        {"tiny.n_layer": 2, "tiny": 5},
        {"extra.lora": 5, "lora.rank": 4},
        {"lora.rank": 4, "extra.lora": 5},
    ):
        yield "config-range", " ".join(f"{k}={v}" for k, v in pairs.items()), pairs


def corpus_edits() -> Iterator[tuple[str, str, bytes | None]]:
    yield "valid", "untouched", None
    for name, data in [
        ("list", b"[1, 2]"),
        ("no-report", b'{"format": 1, "posts": 1}'),
        ("report-list", b'{"format": 1, "report": [1]}'),
        ("report-wrong-types", b'{"format": 1, "report": {"downloaded": "x", "steps": [1]}}'),
        ("report-empty", b'{"format": 1, "report": {}}'),
        ("garbage", b"{nope"),
        ("empty", b""),
        ("format-2", b'{"format": 2, "report": {"downloaded": 1, "steps": []}}'),
        ("latin1", '{"a": "\xe9"}'.encode("latin-1")),
        ("null", b"null"),
    ]:
        yield "corpus-json", name, data


def outputs(root: Path) -> Iterator[tuple[str, str, str]]:
    (root / "a-file").write_text("x")
    user = root / "user-folder"
    user.mkdir(exist_ok=True)
    (user / "mine.txt").write_text("mine")
    for name, where in [
        ("root", "/"),
        ("proc", "/proc/tweetgen-out"),
        ("sys", "/sys/tweetgen-out"),
        ("dev-null", "/dev/null"),
        ("under-file", str(root / "a-file" / "out")),
        ("is-file", str(root / "a-file")),
        ("user-folder", str(user)),
    ]:
        yield "unwritable-output", name, where


# assembly -----------------------------------------------------------------------------------


def build(root: Path) -> list[Case]:
    """Write every input under ``root`` (it must exist) and return the cases."""
    cases: list[Case] = []
    for sub, maker in {
        "x": x_archive_cases,
        "jsonl": lambda r: file_cases(r, "jsonl", ".jsonl", jsonl_contents()),
        "csv": lambda r: file_cases(r, "csv", ".csv", csv_contents()),
        "snscrape": lambda r: file_cases(r, "snscrape", ".jsonl", snscrape_contents()),
        "mastodon": mastodon_cases,
    }.items():
        folder = root / sub
        folder.mkdir(parents=True, exist_ok=True)
        cases.extend(maker(folder))
    cases += [Case(f"x-api/{n}", c, "x-api", "x-api", payload=p) for c, n, p in x_api_payloads()]
    cases += [
        Case(f"bluesky/{n}", c, "bluesky", "bluesky", payload=p) for c, n, p in bluesky_payloads()
    ]
    cases += [
        Case(f"model/{n}", c, "model", "generate", payload=f) for c, n, f in model_mutations()
    ]
    cases += [
        Case(f"generate/{n}", c, "generate", "generate", payload=a) for c, n, a in generate_args()
    ]
    cases += [Case(f"config/{n}", c, "config", "train", payload=s) for c, n, s in config_settings()]
    cases += [
        Case(f"settings/{n}", c, "settings", "train", payload=s) for c, n, s in settings_clashes()
    ]
    cases += [Case(f"corpus/{n}", c, "corpus", "train", payload=d) for c, n, d in corpus_edits()]
    out_root = root / "outputs"
    out_root.mkdir(exist_ok=True)
    cases += [
        Case(f"output/{n}", c, "output", "prepare", location=w) for c, n, w in outputs(out_root)
    ]
    return cases


def main() -> None:
    root = Path(sys.argv[1])
    root.mkdir(parents=True, exist_ok=True)
    cases = build(root)
    by_kind: dict[str, int] = {}
    for case in cases:
        by_kind[case.target] = by_kind.get(case.target, 0) + 1
    print(f"{len(cases)} hostile inputs under {root}: {by_kind}")


if __name__ == "__main__":
    main()
