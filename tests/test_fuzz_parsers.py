"""Hypothesis fuzzing of every parser (issue 9): whatever the bytes or the JSON, a reader yields
posts or a typed one-line error, within a deadline per example. Surrogates, control
characters, wrong types and odd shapes are all in the strategies."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tweetgen.errors import TweetgenError

#: Every example must answer within this (hypothesis fails a slower one).
DEADLINE_MS = 5_000
EXAMPLES = int(os.environ.get("TWEETGEN_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=DEADLINE_MS,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: Any character, lone surrogates and controls included.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | any_text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=12,
)


def fields(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts with the keys a parser looks for (each maybe missing), any values."""
    return st.fixed_dictionaries({}, optional={k: json_values for k in keys})


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


@contextmanager
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="tweetgen-fuzz-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def outcome(read: Callable[[], Any]) -> None:
    """Posts (saved, as a run would) or a one-line TweetgenError; anything else fails."""
    try:
        corpus = read()
    except TweetgenError as exc:
        assert "\n" not in str(exc).strip(), str(exc)
        return
    with scratch() as folder:
        corpus.save(folder / "saved")


def read_source(source: str, location: Path) -> Callable[[], Any]:
    from tweetgen.pipeline import read

    return lambda: read(source, str(location))


X_KEYS = [
    "id_str",
    "id",
    "created_at",
    "full_text",
    "lang",
    "entities",
    "in_reply_to_status_id_str",
]
X_KEYS += ["in_reply_to_screen_name", "retweeted", "extended_entities", "source"]


@FUZZ
@given(st.lists(st.fixed_dictionaries({"tweet": fields(X_KEYS)}) | json_values, max_size=4))
def test_x_archive_tweets_js(items: list[Any]) -> None:
    with scratch() as root:
        (root / "data").mkdir()
        (root / "data" / "tweets.js").write_text("window.YTD.tweets.part0 = " + dumps(items))
        outcome(read_source("x-archive", root))


@FUZZ
@given(st.binary(max_size=300))
def test_x_archive_raw_bytes(data: bytes) -> None:
    with scratch() as root:
        (root / "data").mkdir()
        (root / "data" / "tweets.js").write_bytes(b"window.YTD.tweets.part0 = " + data)
        outcome(read_source("x-archive", root))


JSONL_KEYS = ["id", "author", "text", "created_at", "lang", "kind", "reply_to", "urls"]
JSONL_KEYS += ["mentions", "hashtags", "extra", "source"]


@FUZZ
@given(st.lists(fields(JSONL_KEYS) | json_values, min_size=1, max_size=4))
def test_jsonl(rows: list[Any]) -> None:
    with scratch() as root:
        path = root / "posts.jsonl"
        path.write_text("".join(dumps(r) + "\n" for r in rows))
        outcome(read_source("jsonl", path))


@FUZZ
@given(st.binary(max_size=300))
def test_jsonl_raw_bytes(data: bytes) -> None:
    with scratch() as root:
        (root / "posts.jsonl").write_bytes(data)
        outcome(read_source("jsonl", root / "posts.jsonl"))


csv_cells = st.text(st.characters(codec="utf-8"), max_size=20) | st.sampled_from(
    ['"', '""', ",", "\n", "\r", "2026-01-01", "", "\x00", "[1]", "{"]
)


@FUZZ
@given(
    st.lists(
        st.sampled_from(["id", "author", "text", "created_at", "kind", "lang", "x"]),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.lists(csv_cells, max_size=7), max_size=4),
)
def test_csv(header: list[str], rows: list[list[str]]) -> None:
    with scratch() as root:
        path = root / "posts.csv"
        text = ",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        outcome(read_source("csv", path))


SNS_KEYS = ["id", "date", "rawContent", "content", "user", "lang", "links", "hashtags"]
SNS_KEYS += ["mentionedUsers", "retweetedTweet", "quotedTweet", "inReplyToTweetId", "url"]


@FUZZ
@given(
    st.lists(
        fields(SNS_KEYS).map(lambda d: d | {"_type": "snscrape.modules.twitter.Tweet"}),
        min_size=1,
        max_size=3,
    )
)
def test_snscrape_jsonl(items: list[dict[str, Any]]) -> None:
    with scratch() as root:
        path = root / "tweets.jsonl"
        path.write_text("".join(dumps(i) + "\n" for i in items))
        outcome(read_source("snscrape", path))


NOTE_KEYS = ["id", "type", "published", "content", "to", "cc", "tag", "inReplyTo", "attachment"]
ACTIVITY_KEYS = ["id", "type", "published", "to", "cc", "object"]


@FUZZ
@given(
    st.lists(
        fields(ACTIVITY_KEYS) | fields(ACTIVITY_KEYS).map(lambda a: a | {"type": "Create"}),
        max_size=3,
    ),
    st.lists(fields(NOTE_KEYS), max_size=3),
    fields(["preferredUsername", "url", "followers"]) | json_values,
)
def test_mastodon_outbox(
    activities: list[dict[str, Any]], notes: list[dict[str, Any]], actor: Any
) -> None:
    for activity, note in zip(activities, notes, strict=False):
        activity["object"] = note
    with scratch() as root:
        (root / "outbox.json").write_text(dumps({"orderedItems": activities}))
        (root / "actor.json").write_text(dumps(actor))
        outcome(read_source("mastodon", root))


API_KEYS = ["id", "text", "created_at", "lang", "entities", "referenced_tweets", "note_tweet"]
API_KEYS += ["conversation_id", "in_reply_to_user_id"]


@FUZZ
@given(fields(API_KEYS) | json_values)
def test_x_api_mapping(tweet: Any) -> None:
    from tweetgen_xapi.mapping import tweet_to_post

    from tweetgen.corpus.corpus import Corpus
    from tweetgen.sources.inputs import reader_errors

    def read() -> Any:
        with reader_errors("x-api", "a response"):
            return Corpus.from_posts([tweet_to_post(tweet, "me")])

    outcome(read)


@FUZZ
@given(
    any_text,
    any_text | st.sampled_from(["2026-01-01T00:00:00Z", "2026-02-30T00:00:00Z", ""]),
    st.lists(any_text, max_size=2),
    st.lists(st.tuples(st.integers(-5, 100), st.integers(-5, 100), any_text), max_size=2),
)
def test_bluesky_records(
    text: str, created: str, langs: list[str], tags: list[tuple[int, int, str]]
) -> None:
    from atproto import models
    from atproto_client.exceptions import AtProtocolError
    from tweetgen_bluesky.convert import record_to_post

    from tweetgen.corpus.corpus import Corpus
    from tweetgen.sources.inputs import reader_errors

    facets = [
        {
            "index": {"byteStart": a, "byteEnd": b},
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": t}],
        }
        for a, b, t in tags
    ]
    value = {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": created,
        "langs": langs,
        "facets": facets,
    }
    try:
        record = models.get_or_create(value, strict=False)
    except AtProtocolError:
        return  # the client refuses it (the plugin reports that as a NetworkError)

    def read() -> Any:
        with reader_errors("bluesky", "a response"):
            return Corpus.from_posts(
                [record_to_post("at://did:plc:me/app.bsky.feed.post/1", record, "me")]
            )

    outcome(read)
