"""Build ``sample/x-archive-sample.zip``: a synthetic X account archive for demos and tests.

The posts are sayings from two BSD-licensed fortune files (see ``sample/README.md``), laid out
exactly as X exports an account: ``data/manifest.js``, ``data/account.js``, tweets split in two
parts, long posts in ``data/note-tweet.js``, and a few deleted posts. Nothing is random at run
time (a fixed seed, fixed timestamps, fixed member order), so the zip is reproducible::

    python sample/build_sample.py            # rewrites sample/x-archive-sample.zip
    python sample/build_sample.py --out x.zip
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TEXTS = HERE / "texts"
DEFAULT_OUT = HERE / "x-archive-sample.zip"

SEED = 20260225
USERNAME = "wisdom_sample"
DISPLAY_NAME = "Wisdom Sample"
ACCOUNT_ID = "1630000000000000001"
START = datetime(2023, 3, 1, 8, 0, tzinfo=timezone.utc)
GENERATED = "2026-02-25T12:00:00.000Z"
ZIP_TIME = (2026, 2, 25, 12, 0, 0)
TWITTER_EPOCH_MS = 1288834974657
NOTE_LIMIT = 280  # longer posts are "note tweets": truncated in tweets.js, whole in note-tweet.js
PART_SIZE = 300  # posts per tweets file, so the sample has tweets.js and tweets-part1.js
FRIENDS = ("old_sage", "cloud_watcher", "lem_reader", "tea_and_toast")
SHORT_POSTS = (
    "so true",
    "Good morning!",
    "ha",
    "thinking…",
    "yes.",
    "Tea & toast.",
    "1 < 2 > 0",
    "brb",
    "this >>>",
    "Monday again",
    "same",
    "hm.",
)
AMPERSAND_POSTS = (
    "Bread & butter & a quiet mind: the whole recipe for a good morning, more or less.",
    "Patience & persistence beat cleverness more often than cleverness would like to admit.",
    "If now < later and later < never, then start now & be done with it by lunch.",
    "Old books & new tea. Some evenings need nothing more than that, and a window with rain.",
    "Rule of thumb: fewer <meetings> & more walks; you will think better with your feet.",
)


@dataclass
class Tweet:
    """One post before it is written out; ``text`` is the plain (unescaped) text."""

    when: datetime
    text: str
    reply_to: tuple[str, str] | None = None  # (status id, screen name)
    urls: list[tuple[str, str]] = field(default_factory=list)  # (t.co url, expanded)
    mentions: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    id: str = ""


def read_fortunes(path: Path) -> list[str]:
    """Entries of a fortune file, unwrapped into paragraphs, attribution lines dropped."""
    raw = re.sub(r".\x08", "", path.read_text(encoding="utf-8"))  # overstrike (x BS x)
    entries = []
    for chunk in re.split(r"^%\n", raw, flags=re.MULTILINE):
        lines = []
        for line in chunk.splitlines():
            if re.match(r"^\s*--\s", line):
                break
            lines.append(line)
        paragraphs = re.split(r"\n\s*\n", "\n".join(lines))
        text = "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
        if text:
            entries.append(text)
    return entries


def snowflake(when: datetime, seq: int) -> str:
    """An X-style id that sorts by time, as real ids do."""
    ms = int(when.timestamp() * 1000)
    return str(((ms - TWITTER_EPOCH_MS) << 22) + seq)


def tco(rng: random.Random) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "https://t.co/" + "".join(rng.choice(alphabet) for _ in range(10))


def own_post(text: str, when: datetime, rng: random.Random, index: int) -> Tweet:
    """A saying posted as an original, a reply, a link, a quote or with a hashtag."""
    tweet = Tweet(when, text)
    roll = rng.random()
    if roll < 0.18:
        friend = rng.choice(FRIENDS)
        tweet.text = f"@{friend} {text}"
        tweet.mentions.append(friend)
        tweet.reply_to = (snowflake(when - timedelta(hours=2), 7), friend)
    elif roll < 0.28:
        short = tco(rng)
        tweet.text = f"{text} {short}"
        tweet.urls.append((short, f"https://example.org/sayings/{index}"))
    elif roll < 0.32:
        short = tco(rng)
        quoted = snowflake(when - timedelta(days=1), 3)
        tweet.text = f"{text} {short}"
        tweet.urls.append((short, f"https://x.com/{rng.choice(FRIENDS)}/status/{quoted}"))
    elif roll < 0.38:
        tweet.text = f"{text} #wisdom"
        tweet.hashtags.append("wisdom")
    return tweet


def retweet(text: str, when: datetime) -> Tweet:
    """How X stores a repost: ``RT @user: `` plus the text, cut near 140 characters."""
    full = f"RT @paradoxum: {text}"
    if len(full) > 140:
        full = full[:139].rstrip() + "…"
    return Tweet(when, full, mentions=["paradoxum"])


def timeline(rng: random.Random) -> list[Tweet]:
    """Every post, oldest first, with ids derived from their times."""
    sayings = read_fortunes(TEXTS / "wisdom")
    reposts = read_fortunes(TEXTS / "paradoxum")
    pool: list[tuple[str, str]] = [("own", t) for t in sayings]
    pool += [("rt", t) for t in reposts]
    pool += [("own", t) for t in AMPERSAND_POSTS]
    pool += [("short", t) for t in SHORT_POSTS]
    rng.shuffle(pool)
    tweets: list[Tweet] = []
    when = START
    for index, (kind, text) in enumerate(pool):
        when += timedelta(minutes=rng.randint(90, 3000), seconds=rng.randint(0, 59))
        if kind == "rt":
            tweets.append(retweet(text, when))
        elif kind == "short":
            tweets.append(Tweet(when, text))
        else:
            tweets.append(own_post(text, when, rng, index))
    for seq, tweet in enumerate(tweets):
        tweet.id = snowflake(tweet.when, seq % 4096)
    return tweets


def user_id(screen_name: str) -> str:
    """A stable made-up account id for a screen name (``hash()`` changes between runs)."""
    return str(1000000000 + zlib.crc32(screen_name.encode()))


def x_date(when: datetime) -> str:
    return when.strftime("%a %b %d %H:%M:%S +0000 %Y")


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def entities(tweet: Tweet, text: str) -> dict[str, Any]:
    """Entities with string indices, as in real archives."""

    def span(token: str) -> list[str]:
        start = max(text.find(token), 0)
        return [str(start), str(start + len(token))]

    return {
        "hashtags": [{"text": h, "indices": span("#" + h)} for h in tweet.hashtags],
        "symbols": [],
        "user_mentions": [
            {
                "name": m.replace("_", " ").title(),
                "screen_name": m,
                "indices": span("@" + m),
                "id_str": user_id(m),
                "id": user_id(m),
            }
            for m in tweet.mentions
        ],
        "urls": [
            {
                "url": short,
                "expanded_url": long,
                "display_url": long.split("//", 1)[1][:26] + "…",
                "indices": span(short),
            }
            for short, long in tweet.urls
        ],
    }


def tweet_record(tweet: Tweet) -> dict[str, Any]:
    """The ``{"tweet": {...}}`` object of tweets.js: numbers as strings, text HTML-escaped."""
    text = tweet.text
    if len(text) > NOTE_LIMIT:
        text = text[: NOTE_LIMIT - 6].rstrip() + "…"
    body: dict[str, Any] = {
        "edit_info": {
            "initial": {
                "editTweetIds": [tweet.id],
                "editableUntil": iso(tweet.when + timedelta(hours=1)),
                "editsRemaining": "5",
                "isEditEligible": True,
            }
        },
        "retweeted": False,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "entities": entities(tweet, text),
        "display_text_range": ["0", str(len(text))],
        "favorite_count": str(len(tweet.text) % 17),
        "id_str": tweet.id,
        "truncated": False,
        "retweet_count": "0",
        "id": tweet.id,
        "created_at": x_date(tweet.when),
        "favorited": False,
        "full_text": html.escape(text, quote=False),
        "lang": "en",
    }
    if tweet.reply_to:
        status, name = tweet.reply_to
        body["in_reply_to_status_id_str"] = body["in_reply_to_status_id"] = status
        body["in_reply_to_screen_name"] = name
        body["in_reply_to_user_id_str"] = body["in_reply_to_user_id"] = "1" + status[-17:]
    return {"tweet": body}


def note_record(tweet: Tweet, index: int) -> dict[str, Any]:
    """A long post as note-tweet.js holds it: its own id, ISO times, the whole text."""
    return {
        "noteTweet": {
            "noteTweetId": str(1700000000000000000 + index),
            "updatedAt": iso(tweet.when),
            "lifecycle": {
                "value": "published",
                "name": "Published",
                "originalName": "published",
                "annotations": {},
            },
            "createdAt": iso(tweet.when),
            "core": {
                "styletags": [],
                "urls": [],
                "text": tweet.text,
                "mentions": [],
                "cashtags": [],
                "hashtags": [],
            },
        }
    }


def js(global_name: str, value: Any) -> bytes:
    """``window.<name> = <JSON>`` in X's spacing."""
    body = json.dumps(value, indent=2, ensure_ascii=False, separators=(",", " : "))
    return f"window.{global_name} = {body}".encode()


def files_entry(name: str, global_name: str, count: int) -> dict[str, str]:
    return {"fileName": f"data/{name}", "globalName": global_name, "count": str(count)}


def build(out: Path) -> Path:
    rng = random.Random(SEED)
    tweets = timeline(rng)
    deleted = [tweets.pop(i) for i in (250, 120, 40)]
    newest_first = sorted(tweets, key=lambda t: t.when, reverse=True)
    parts = [newest_first[i : i + PART_SIZE] for i in range(0, len(newest_first), PART_SIZE)]
    notes = [note_record(t, i) for i, t in enumerate(tweets) if len(t.text) > NOTE_LIMIT]
    account = [
        {
            "account": {
                "email": "wisdom_sample@example.org",
                "createdVia": "web",
                "username": USERNAME,
                "accountId": ACCOUNT_ID,
                "createdAt": "2023-02-20T10:00:00.000Z",
                "accountDisplayName": DISPLAY_NAME,
            }
        }
    ]
    gone = []
    for t in deleted:
        record = tweet_record(t)
        record["tweet"]["deleted_at"] = x_date(t.when + timedelta(hours=3))
        gone.append(record)
    members: dict[str, bytes] = {}
    tweet_files = []
    for n, part in enumerate(parts):
        name = "tweets.js" if n == 0 else f"tweets-part{n}.js"
        members[f"data/{name}"] = js(f"YTD.tweets.part{n}", [tweet_record(t) for t in part])
        tweet_files.append(files_entry(name, f"YTD.tweets.part{n}", len(part)))
    members["data/note-tweet.js"] = js("YTD.note_tweet.part0", notes)
    members["data/deleted-tweets.js"] = js("YTD.deleted_tweets.part0", gone)
    members["data/account.js"] = js("YTD.account.part0", account)
    manifest = {
        "userInfo": {"accountId": ACCOUNT_ID, "userName": USERNAME, "displayName": DISPLAY_NAME},
        "archiveInfo": {
            "sizeBytes": str(sum(len(b) for b in members.values())),
            "generationDate": GENERATED,
            "isPartialArchive": False,
            "maxPartSizeBytes": "53687091200",
        },
        "readmeInfo": {"fileName": "data/README.txt", "directory": "data/", "name": "README.txt"},
        "dataTypes": {
            "account": {"files": [files_entry("account.js", "YTD.account.part0", 1)]},
            "deletedTweets": {
                "files": [files_entry("deleted-tweets.js", "YTD.deleted_tweets.part0", len(gone))]
            },
            "noteTweet": {
                "files": [files_entry("note-tweet.js", "YTD.note_tweet.part0", len(notes))]
            },
            "tweets": {"files": tweet_files},
        },
    }
    members["data/manifest.js"] = js("__THAR_CONFIG", manifest)
    members["data/README.txt"] = (
        b"Synthetic X archive built by tweetgen's sample/build_sample.py from BSD-licensed\n"
        b"fortune files; see sample/README.md. Not a real account.\n"
    )
    return write_zip(out, members)


def write_zip(out: Path, members: dict[str, bytes]) -> Path:
    """Same bytes in, same zip out: fixed times, modes and order."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, members[name], compresslevel=9)
    tmp.replace(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    print(build(parser.parse_args().out))


if __name__ == "__main__":
    main()
